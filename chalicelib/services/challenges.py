"""Streak challenges and vouchers: define, join, evaluate inside the check-in, redeem at the desk.

`on_checkin` is a check-in evaluator (chalicelib.services.progress): it reads the patient's
enrolments from the check-in's one read of their progress and returns the steps that join the
check-in's one plan: the enrolment's new state (guarded by the version it read), and
for a completed streak its voucher and code entry, or its ledger entry and points.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date

from chalicelib.domain import streaks, vouchers
from chalicelib.domain.challenges import DEFAULT_CHALLENGES, POINTS, Reward, Terms, reward_key
from chalicelib.domain.clock import clock, iso, local_date, parse_iso
from chalicelib.errors import BadRequest, Conflict, Forbidden, NotFound
from chalicelib.observability import count, logger
from chalicelib.store import challenges as store
from chalicelib.store import clinics
from chalicelib.store import plan as plans

# --- defining challenges (staff) --------------------------------------------------------------


def create_defaults(clinic_id: str, conditions, tz: str) -> None:
    """The clinic's default challenges (S2's glucose guard for a clinic that treats diabetes)."""
    now = clock.now()
    for default in DEFAULT_CHALLENGES:
        if default.condition in conditions:
            terms = default.terms(local_date(now, tz))
            store.create_challenge(clinic_id, default.challenge_id, terms.as_dict(), True, iso(now))


def _terms(clinic, challenge_id: str, body) -> Terms:
    from chalicelib.services.catalogue import of_clinic, require

    unknown = [c for c in body.conditions if c not in clinic.conditions]
    if unknown:
        raise BadRequest(f"unknown condition {unknown[0]!r}", code="unknown_condition", field="conditions")
    # a streak counts one of the clinic's check-in types (those it added in 诊所设置 too)
    require(of_clinic(clinic), "checkin_types", [body.checkin_type], "checkin_type")
    try:
        reward = Reward(**body.reward.model_dump())
        return Terms(challenge_id=challenge_id, name=body.name, name_en=body.name_en, checkin_type=body.checkin_type,
                     days=body.days, grace=body.grace, reward=reward, start_date=body.start_date,
                     end_date=body.end_date, conditions=tuple(dict.fromkeys(body.conditions)))
    except ValueError as exc:
        raise BadRequest(str(exc), code="invalid_challenge") from exc


def create(clinic_id: str, body) -> dict:
    clinic = clinics.get(clinic_id)
    challenge_id = body.challenge_id or secrets.token_hex(6)
    terms = _terms(clinic, challenge_id, body)
    item = store.create_challenge(clinic_id, challenge_id, terms.as_dict(), body.active, iso(clock.now()))
    return challenge_row(item, clinic.tz)


def edit(clinic_id: str, challenge_id: str, body) -> dict:
    """New terms for patients who join from now on; enrolled patients keep the terms they joined under."""
    clinic = clinics.get(clinic_id)
    terms = _terms(clinic, challenge_id, body)
    store.edit_challenge(clinic_id, challenge_id, terms.as_dict(), body.active, iso(clock.now()))
    return challenge_row(store.get_challenge(clinic_id, challenge_id), clinic.tz)


def staff_list(clinic_id: str) -> list[dict]:
    tz = clinics.get(clinic_id).tz
    return [challenge_row(item, tz) for item in store.list_challenges(clinic_id)]


def challenge_row(item, tz: str) -> dict:
    terms = Terms.from_dict(item.terms)
    return {**terms.as_dict(), "active": bool(item.active), "participants": int(item.participants or 0),
            "open": bool(item.active) and terms.open_on(local_date(clock.now(), tz)),
            "created_at": item.created_at, "updated_at": item.updated_at}


# --- the patient's side -----------------------------------------------------------------------


def my_challenges(principal) -> list[dict]:
    """Open challenges the patient may join, and every challenge they joined, with their progress."""
    from chalicelib.services.patients import own_patient

    clinic = clinics.get(principal.clinic_id)
    today = local_date(clock.now(), clinic.tz)
    patient = own_patient(principal.clinic_id, principal.patient_id)
    joined = {e.challenge_id: e for e in store.enrolments(principal.clinic_id, principal.patient_id)}
    rows = []
    for item in store.list_challenges(principal.clinic_id):
        enrolment = joined.pop(item.challenge_id, None)
        terms = Terms.from_dict(item.terms)
        if enrolment is not None:
            rows.append(enrolment_view(enrolment, today, active=bool(item.active)))
        elif item.active and terms.open_on(today) and terms.eligible(patient.conditions):
            rows.append({**_patient_terms(terms), "joined": False, "open": True, "progress": None})
    # an enrolment whose challenge was removed still shows what the patient earned
    rows.extend(enrolment_view(e, today, active=False) for e in joined.values())
    return rows


def join(principal, challenge_id: str) -> tuple[bool, dict]:
    from chalicelib.services.patients import own_patient

    clinic = clinics.get(principal.clinic_id)
    now = clock.now()
    today = local_date(now, clinic.tz)
    existing = store.get_enrolment(principal.clinic_id, principal.patient_id, challenge_id)
    if existing is not None:
        return False, enrolment_view(existing, today)
    item = store.get_challenge(principal.clinic_id, challenge_id)
    terms = Terms.from_dict(item.terms)
    if not item.active or not terms.open_on(today):
        raise Conflict("this challenge is not open to join", code="challenge_closed")
    patient = own_patient(principal.clinic_id, principal.patient_id)
    if not terms.eligible(patient.conditions):
        raise Forbidden("this challenge is for patients with other conditions", code="not_eligible")
    enrolment, created = _enrol(principal.clinic_id, principal.patient_id,
                                store.new_enrolment(challenge_id, terms.as_dict(), iso(now), today.isoformat()))
    if created:
        count("ChallengeJoins")
        from chalicelib.services.followups import start_for_challenge

        start_for_challenge(principal.clinic_id, principal.patient_id, challenge_id, terms.checkin_type, today)
    return created, enrolment_view(enrolment, today)


JOIN_ATTEMPTS = 5


def _enrol(clinic_id: str, patient_id: str, enrolment) -> tuple:
    """(enrolment, True) when this call enrolled, (the existing one, False) when already enrolled.

    Patients joining at the same moment conflict on the challenge item; those are tried again."""
    import random
    import time

    for attempt in range(JOIN_ATTEMPTS):
        try:
            plans.execute(plans.Plan().add(store.join_steps(clinic_id, patient_id, enrolment)))
            return enrolment, True
        except store.AlreadyEnrolled:
            existing = store.get_enrolment(clinic_id, patient_id, enrolment.challenge_id)
            if existing is not None:
                return existing, False
        except plans.Cancelled as exc:
            if "TransactionConflict" not in exc.failed.values():
                raise
        time.sleep(random.uniform(0.01, 0.05) * (2 ** attempt))
    raise Conflict("many patients are joining, try again", code="try_again")


def _patient_terms(terms: Terms) -> dict:
    data = terms.as_dict()
    data.pop("conditions")
    return data


def _progress(enrolment) -> streaks.Progress:
    return streaks.Progress(
        days=tuple(date.fromisoformat(d) for d in (enrolment.days or [])),
        closed_until=date.fromisoformat(enrolment.closed_until) if enrolment.closed_until else None,
        closed_gap=date.fromisoformat(enrolment.closed_gap) if enrolment.closed_gap else None,
        completed=int(enrolment.completed or 0),
        best=int(enrolment.best or 0),
    )


def enrolment_view(enrolment, today: date, active: bool = True) -> dict:
    terms = Terms.from_dict(enrolment.terms)
    progress = _progress(enrolment)
    alive = streaks.current(progress, terms.rule, today)
    return {
        **_patient_terms(terms), "joined": True, "open": active and terms.open_on(today),
        "progress": {
            "joined_on": enrolment.joined_on,
            "current_streak": alive.count if alive else 0,
            "streak_start": alive.start.isoformat() if alive else None,
            "grace_used": len(alive.missed) if alive else 0,
            "days_to_go": terms.days - (alive.count if alive else 0),
            "last_day": enrolment.last_day,
            "best_streak": int(enrolment.best or 0),
            "streaks_completed": int(enrolment.completed or 0),
            "rewards": list(enrolment.rewards or []),
        },
    }


def my_vouchers(principal) -> list[dict]:
    now = clock.now()
    items = sorted(store.vouchers(principal.clinic_id, principal.patient_id), key=lambda v: v.issued_at, reverse=True)
    return [voucher_view(v, now) for v in items]


def voucher_view(item, now) -> dict:
    return {"voucher_id": item.voucher_id, "code": vouchers.display(item.code), "kind": item.kind, "name": item.name,
            "name_en": item.name_en, "status": vouchers.status(item.status, parse_iso(item.expires_at), now),
            "issued_at": item.issued_at, "valid_until": item.valid_until, "expires_at": item.expires_at,
            "redeemed_at": item.redeemed_at, "source": item.source}


# --- the desk (staff) -------------------------------------------------------------------------


def _code(text: str) -> str:
    try:  # the routing decorator has decoded a percent-encoded path value (`ABCD%20EFGH`)
        return vouchers.normalise(text or "")
    except ValueError as exc:
        raise BadRequest(str(exc), code="invalid_voucher_code", field="code") from exc


def _not_found() -> NotFound:
    return NotFound("no voucher with this code", code="voucher_not_found", field="code")


def lookup_voucher(clinic_id: str, code_text: str) -> dict:
    pointer = store.find_code(clinic_id, _code(code_text))
    if pointer is None:
        raise _not_found()
    item, patient = store.voucher_and_patient(clinic_id, pointer.patient_id, pointer.voucher_id)
    if item is None:
        raise _not_found()
    return _desk_view(item, pointer.patient_id, patient)


def redeem_voucher(principal, code_text: str) -> dict:
    """Redeem once: a conditional update (`issued` and not expired); a second desk gets 409."""
    clinic_id = principal.clinic_id
    pointer = store.find_code(clinic_id, _code(code_text))
    if pointer is None:
        raise _not_found()
    now = clock.now()
    item = store.redeem(clinic_id, pointer.patient_id, pointer.voucher_id, now=iso(now),
                        by=principal.username or principal.subject)
    if item is None:
        current = store.get_voucher(clinic_id, pointer.patient_id, pointer.voucher_id)
        if current is None:
            raise _not_found()
        if current.status == vouchers.REDEEMED:
            raise Conflict(f"this voucher was redeemed at {current.redeemed_at}", code="voucher_redeemed",
                           field="code")
        if vouchers.status(current.status, parse_iso(current.expires_at), now) == vouchers.EXPIRED:
            raise Conflict(f"this voucher expired after {current.valid_until}", code="voucher_expired", field="code")
        raise Conflict("the voucher changed meanwhile, try again", code="try_again", field="code")
    count("VouchersRedeemed")
    logger.info("voucher redeemed", extra={"patient_id": pointer.patient_id, "voucher_id": pointer.voucher_id})
    return _desk_view(item, pointer.patient_id, None)


def _desk_view(item, patient_id: str, patient) -> dict:
    view = {**voucher_view(item, clock.now()), "patient_id": patient_id, "redeemed_by": item.redeemed_by}
    if patient is not None:
        view["patient_name_masked"] = patient.name_masked
    return view


# --- the check-in evaluator -------------------------------------------------------------------


def on_checkin(context) -> list:
    """Advance every enrolment of the check-in's type; reward each streak it completes, once."""
    from chalicelib.services.progress import Effect

    checkin = context.checkin
    if not checkin.counted:
        return []  # a streak counts days: the day's first check-in of the type already moved it
    day = date.fromisoformat(checkin.local_date)
    tz = context.clinic.tz
    today = local_date(context.now, tz)
    clinic_id, patient_id = context.patient.clinic_id, context.patient.patient_id
    at = iso(context.now)
    effects: list[Effect] = []
    for enrolment in context.progress.enrolments:
        try:
            terms = Terms.from_dict(enrolment.terms)
        except (KeyError, TypeError, ValueError):
            logger.warning("enrolment with unreadable terms", extra={"challenge_id": enrolment.challenge_id})
            continue
        if terms.checkin_type != checkin.type or not terms.counts(day, date.fromisoformat(enrolment.joined_on)):
            continue
        outcome = streaks.record(_progress(enrolment), day, terms.rule, today)
        if not outcome.changed:
            continue
        earned: list[dict] = []
        rewards = [effect for streak in outcome.completed
                   for effect in _reward_effects(Effect, terms, streak, clinic_id, patient_id, today, tz, at, earned)]
        state = outcome.progress
        open_runs = streaks.runs(state.days, terms.rule)[1]
        latest = open_runs[-1] if open_runs else None
        last_day = max(filter(None, (enrolment.last_day, day.isoformat())))
        step = store.progress_step(
            clinic_id, patient_id, enrolment, days=[d.isoformat() for d in state.days],
            closed_until=state.closed_until.isoformat() if state.closed_until else None,
            closed_gap=state.closed_gap.isoformat() if state.closed_gap else None,
            completed=state.completed, best=state.best, last_day=last_day,
            streak_start=latest.start.isoformat() if latest else None, streak_length=latest.count if latest else 0,
            grace_used=len(latest.missed) if latest else 0, new_rewards=earned, at=at)
        alive = streaks.current(state, terms.rule, today)
        reply = {"challenge_id": terms.challenge_id, "name": terms.name, "current_streak": alive.count if alive else 0,
                 "days": terms.days, "streaks_completed": state.completed, "completed_now": len(outcome.completed)}
        effects.append(Effect(step, reply={"challenges": reply}))
        effects.extend(rewards)
    return effects


def _reward_effects(Effect, terms: Terms, streak, clinic_id: str, patient_id: str, today: date, tz: str, at: str,
                    earned: list[dict]) -> list:
    key = reward_key(terms.challenge_id, streak.start)
    entry = {"streak_start": streak.start.isoformat(), "completed_on": streak.last.isoformat(),
             "earned_on": today.isoformat(), "type": terms.reward.type}
    reward = terms.reward
    if reward.type == POINTS:
        points = int(reward.points or 0)  # a points reward has points >= 1 (Reward checks it)
        step = store.reward_entry_step(clinic_id, patient_id, key, points, at, terms.challenge_id)
        earned.append({**entry, "points": points})
        return [Effect(step, points=points, reply={"rewards": {"challenge_id": terms.challenge_id, "points": points}})]
    voucher_id = hashlib.sha256(f"{clinic_id}:{patient_id}:{key}".encode()).hexdigest()[:16]
    code = vouchers.new_code(secrets.randbelow)
    valid_days = int(reward.valid_days or 0)  # a voucher reward has valid_days >= 1 (Reward checks it)
    valid_until, expires_at = vouchers.validity(today, valid_days, tz)
    # a voucher reward names its kind and name (Reward checks it)
    voucher = store.Voucher(voucher_id=voucher_id, code=code, kind=reward.voucher_kind or "",
                            name=reward.voucher_name or "",
                            name_en=reward.voucher_name_en, source=key, issued_at=at,
                            valid_until=valid_until.isoformat(), expires_at=iso(expires_at))
    earned.append({**entry, "voucher_id": voucher_id, "code": vouchers.display(code)})
    shown = {"voucher_id": voucher_id, "code": vouchers.display(code), "kind": reward.voucher_kind,
             "name": reward.voucher_name, "name_en": reward.voucher_name_en, "valid_until": valid_until.isoformat(),
             "challenge_id": terms.challenge_id}
    steps = store.voucher_steps(clinic_id, patient_id, voucher, terms.challenge_id)
    return [Effect(step, reply={"vouchers": shown} if i == 0 else {}) for i, step in enumerate(steps)]
