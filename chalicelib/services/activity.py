"""Check-ins, earning points, the points view and redemptions."""

from __future__ import annotations

import hashlib
import random
import time
import uuid
from typing import Any

from chalicelib.domain.clock import clock, iso, local_date
from chalicelib.domain import vouchers
from chalicelib.domain.rules import checkin_day, points_for, tier_for
from chalicelib.errors import BadRequest, Conflict, InsufficientPoints, NotFound
from chalicelib.observability import count
from chalicelib.services import progress, segments, sessions
from chalicelib.store import clinics, history, idempotency, ledger, patients, points
from chalicelib.store import earning as payouts
from chalicelib.store import lots
from chalicelib.store import plan as plans
from chalicelib.store.ledger import LedgerEntry


TRY_AGAIN = "this check-in raced another one, send it again"


def check_in(principal, data, idem=None, *, max_late=None, for_patient: str | None = None) -> dict:
    """Record a check-in; the day's first of its type pays the check-in rule and moves streaks
    and tasks. One read call and one write call: the check-in is one plan (store/plan.py).
    `max_late`: how old a reading may be (WeRun's days, vouched for by WeChat, go back a week).
    `for_patient`: a household member the caller checks in for (services.households decided the
    caller may): the check-in, its points, streaks and tasks are that member's, with `by` the caller."""
    from chalicelib.services import catalogue

    clinic_id = principal.clinic_id
    patient_id = for_patient or principal.patient_id
    clinic = clinics.get(clinic_id)
    diastolic = getattr(data, "diastolic", None)
    reading = catalogue.check_reading(catalogue.of_clinic(clinic), data.type, data.value, diastolic)
    now = clock.now()
    try:
        day = checkin_day(data.client_time, now, clinic.tz, *([max_late] if max_late else [])).isoformat()
    except ValueError as exc:
        raise BadRequest(str(exc), code="invalid_client_time", field="client_time") from exc
    entry_id = points.ledger_entry_id_for_checkin(data.type, day)
    today = local_date(now, clinic.tz)
    patient, already, board = points.read_checkin_state(clinic_id, patient_id, data.type, day, today)
    if for_patient is None:
        patient = sessions.check_profile(principal, patient)  # the route leaves the session check to this read
    elif patient is None:
        raise NotFound("patient not found", code="patient_not_found")
    award = points_for(clinic.earning_rules, "checkin")
    checkin_id = uuid.uuid4().hex[:16]
    checkin = points.CheckIn(checkin_id=checkin_id, type=data.type, value=reading, local_date=day,
                             client_time=iso(data.client_time), received_at=iso(now), counted=not already,
                             context=getattr(data, "context", None), diastolic=diastolic,
                             by=principal.patient_id if for_patient else None)

    effects = []
    if progress.EVALUATORS:
        context = progress.CheckInContext(clinic, patient, checkin, now,
                                          progress.read_progress(clinic_id, patient_id))
        effects = progress.evaluate(context)

    def reply(counted: bool, paid: int, limited: str | None) -> dict:
        awarded = paid + sum(e.points for e in effects) if counted else 0
        answer: dict[str, Any] = {
            "checkin": {"checkin_id": checkin_id, "type": data.type, "value": reading, "local_date": day,
                        "counted": counted, **({"context": checkin.context} if checkin.context else {}),
                        **({"diastolic": diastolic} if diastolic is not None else {})},
            "points_awarded": awarded,
            "balance": int(patient.balance or 0) + awarded,
        }
        if limited:
            answer["limit_reached"] = limited
        for effect in effects:
            if not (counted or effect.on_repeat):
                continue
            for key, value in effect.reply.items():
                answer.setdefault(key, []).append(value)
        return answer

    extra = sum(e.points for e in effects)
    earning = payouts.plan(clinic, patient, "checkin", award, today, board, board_points=award + extra)
    earning.extra_credit = extra
    pay, limited = award, None
    for _ in range(points.PAYOUT_ATTEMPTS):
        if not checkin.counted:
            break
        earning.points = pay
        # the memberships depend on the credit: asked again whenever the credit changes
        membership = segments.for_checkin(clinic, patient, checkin, now, pay + extra)
        plan = plans.Plan()
        plan.add(points.counted_checkin_steps(patient, checkin, entry_id=entry_id, paid=pay, credit=pay + extra,
                                              at=iso(now)))
        plan.add(payouts.steps(patient, earning))
        for effect in effects:
            # a twin check-in moved the same streak or task first: this one's view is stale
            plan.add(effect.step, refused=Conflict(TRY_AGAIN, code="try_again"))
        plan.add(membership.steps)
        if idem is not None:
            idempotency.record_in(plan, principal, idem, 201, reply(True, pay, limited))
        try:
            plans.execute(plan)
        except points.AlreadyCounted:
            checkin.counted = False
        except payouts.LimitReached as refused:
            if not pay:
                raise
            pay, limited = 0, refused.period
            earning.limits = {}
        except payouts.BoardMoved:
            earning.board = payouts.board_entry(clinic_id, patient_id, today)
        else:
            membership.committed()
            count("CheckIns", type=data.type)
            return reply(True, pay, limited)
    else:
        raise Conflict("the patient's points changed meanwhile, try again", code="try_again")
    # not the day's first of its type: the check-in alone, with the effects that count every one
    plan = plans.Plan().add(points.checkin_put(patient, checkin))
    for effect in effects:
        if effect.on_repeat:
            plan.add(effect.step, refused=Conflict(TRY_AGAIN, code="try_again"))
    if idem is not None:
        idempotency.record_in(plan, principal, idem, 201, reply(False, 0, None))
    plans.execute(plan)
    count("CheckIns", type=data.type)
    return reply(False, 0, None)


def share(principal, share_ref: str, idem=None) -> dict:
    """A share earns points once per share reference (the mini-program's share ticket): the
    entry, the profile, the rule's lot, counters and board entry, as one plan."""
    clinic = clinics.get(principal.clinic_id)
    now = clock.now()
    today = local_date(now, clinic.tz)
    patient = patients.get(principal.clinic_id, principal.patient_id)
    award = points_for(clinic.earning_rules, "share")
    entry = LedgerEntry(entry_id="share:" + hashlib.sha256(share_ref.encode()).hexdigest()[:24], points=award,
                        reason="share", at=iso(now))
    reply = {"points_awarded": award, "balance": int(patient.balance or 0) + award}
    earning = payouts.plan(clinic, patient, "share", award, today,
                           payouts.board_entry(principal.clinic_id, principal.patient_id, today))
    rewarded = Conflict("this share was already rewarded", code="share_already_rewarded", field="share_ref")
    for _ in range(points.PAYOUT_ATTEMPTS):
        plan = plans.Plan()
        plan.add(ledger.entry_put(principal.clinic_id, principal.patient_id, entry), refused=rewarded)
        # a share is the patient's own act: it counts as an interaction for segments
        plan.add(points.profile_credit(patient, award, interaction_at=entry.at))
        plan.add(payouts.steps(patient, earning))
        if idem is not None:
            idempotency.record_in(plan, principal, idem, 201, reply)
        try:
            plans.execute(plan)
        except payouts.BoardMoved:
            earning.board = payouts.board_entry(principal.clinic_id, principal.patient_id, today)
            continue
        except payouts.LimitReached as refused:
            segments.record_event(principal.clinic_id, principal.patient_id, now)
            return {"points_awarded": 0, "balance": int(patient.balance or 0), "limit_reached": refused.period}
        except Conflict as refused:
            if refused is not rewarded:
                raise
            segments.record_event(principal.clinic_id, principal.patient_id, now)
            raise
        segments.record_event(principal.clinic_id, principal.patient_id, now)
        return reply
    raise Conflict("the patient's points changed meanwhile, try again", code="try_again")


WHOLE_LEDGER = 100_000


def points_view(clinic_id: str, patient, limit: int = 20, cursor: str | None = None) -> dict:
    """Balance, totals, tier, the open lots by expiry and one page of the ledger, newest first."""
    entries, next_cursor = history.ledger_page(clinic_id, patient.patient_id, limit, cursor)
    expiring = [{"expires_on": expires, "points": remaining}
                for expires, remaining in lots.open_lots(clinic_id, patient.patient_id)]
    return {
        "expiring": expiring,
        "balance": int(patient.balance or 0),
        "earned_total": int(patient.earned_total or 0),
        "tier": tier_for(int(patient.earned_total or 0)),
        "redeemed_total": int(patient.redeemed_total or 0),
        "entries": entries,
        "next_cursor": next_cursor,
    }


def rewards(clinic_id: str) -> list[dict]:
    return [reward_row(r) for r in clinics.list_rewards(clinic_id) if r.active]


def reward_row(reward) -> dict:
    return {"reward_id": reward.reward_id, "name": reward.name, "name_en": reward.name_en, "cost": int(reward.cost),
            "active": bool(reward.active),
            "stock": int(reward.stock) if reward.stock is not None else None,
            "per_patient_limit": int(reward.per_patient_limit) if reward.per_patient_limit is not None else None}


REDEEM_ATTEMPTS = 5


def redeem(principal, reward_id: str, idem=None) -> dict:
    patient, reward = points.read_patient_and_reward(principal.clinic_id, principal.patient_id, reward_id)
    patient = sessions.check_profile(principal, patient)  # the route leaves the session check to this read
    if reward is None:
        raise NotFound("reward not found", code="reward_not_found", field="reward_id")
    if not reward.active:
        raise Conflict("this reward is not available", code="reward_inactive", field="reward_id")
    # A retried request with the same key maps to the same redemption id, so even a retry that
    # lost its stored answer cannot debit twice.
    if idem is not None:
        redemption_id = hashlib.sha256(f"{idem.scope}:{idem.key}".encode()).hexdigest()[:16]
    else:
        redemption_id = uuid.uuid4().hex[:16]
    now = iso(clock.now())
    from chalicelib.services.redemptions import new_code

    code = new_code()
    redemption = points.Redemption(redemption_id=redemption_id, reward_id=reward.reward_id, reward_name=reward.name,
                                   cost=reward.cost, at=now, code=code)
    reply = {
        "redemption": {"redemption_id": redemption_id, "reward_id": reward.reward_id, "reward_name": reward.name,
                       "cost": reward.cost, "status": "issued", "at": now, "code": vouchers.display(code)},
        "balance": int(patient.balance or 0) - reward.cost,
    }
    if int(patient.balance or 0) < reward.cost:
        raise InsufficientPoints("not enough points for this reward", field="reward_id")
    if reward.stock is not None and reward.stock <= 0:
        raise Conflict("this reward is out of stock", code="out_of_stock", field="reward_id")
    take_reward(patient, reward, redemption, principal=principal, idem=idem, reply=reply)
    segments.record_event(principal.clinic_id, principal.patient_id)
    count("Redemptions")
    return reply


def take_reward(patient, reward: points.Reward, redemption: points.Redemption, *, principal=None, idem=None,
                reply: dict | None = None) -> None:
    """The redemption's plan: the debit of the balance and of the earliest lots, its ledger entry,
    the redemption, one of the reward's stock and of the patient's allowance; one transaction.

    Many patients racing for the last units of a reward conflict on the reward item; DynamoDB
    cancels all but one, and those are tried again (with jitter) until the stock says no.
    """
    already = Conflict("this redemption was already made", code="already_redeemed")
    for attempt in range(REDEEM_ATTEMPTS):
        plan = plans.Plan()
        plan.add(points.redemption_steps(patient, redemption), refused=already)
        plan.add(points.reward_steps(patient, reward))
        plan.refuse(points.IN_STOCK, Conflict("this reward is out of stock", code="out_of_stock", field="reward_id"))
        plan.refuse(points.ALLOWANCE_LEFT, Conflict("the patient has redeemed this reward as often as allowed",
                                                    code="reward_limit_reached", field="reward_id"))
        plan.add(points.debit(patient, redemption.cost, redeemed_at=redemption.at),
                 refused=InsufficientPoints("not enough points for this reward", field="reward_id"))
        plan.add(lots.debit_steps(patient, lots.open_lots(patient.clinic_id, patient.patient_id), redemption.cost))
        if idem is not None:
            idempotency.record_in(plan, principal, idem, 201, reply)
        try:
            plans.execute(plan)
            return
        except lots.LotsChanged:
            pass
        except plans.Cancelled as exc:
            if "TransactionConflict" not in exc.failed.values():
                raise
        time.sleep(random.uniform(0.01, 0.05) * (2 ** attempt))
    raise Conflict("the reward is in high demand, try again", code="try_again", field="reward_id")


def _staff_entry(principal, patient, entry_id: str, amount: int, reason: str, note: str, ref: str | None,
                 idem) -> dict:
    now = iso(clock.now())
    entry = LedgerEntry(entry_id=entry_id, points=amount, reason=reason, at=now, ref=ref, note=note,
                        staff=principal.username or principal.subject)
    reply = {"entry": {"entry_id": entry_id, "at": now, "points": amount, "reason": reason, "note": note,
                       "staff": entry.staff},
             "balance": int(patient.balance or 0) + amount}
    clinic = clinics.get(principal.clinic_id)
    earned_on = local_date(clock.now(), clinic.tz)
    # The entry once, and the balance and lots with it; a debit carries `balance >= points`, so
    # staff cannot push a balance below zero either.
    for _ in range(points.PAYOUT_ATTEMPTS):
        plan = plans.Plan()
        plan.add(ledger.entry_put(patient.clinic_id, patient.patient_id, entry),
                 refused=Conflict("this entry was already made", code="entry_exists"))
        if amount > 0:
            plan.add(points.profile_credit(patient, amount))
            plan.add(lots.credit_steps(patient, amount, earned_on, lots.term_months(clinic)))
        else:
            plan.add(points.debit(patient, -amount),
                     refused=InsufficientPoints("the balance is too small for this debit", field="points"))
            plan.add(lots.debit_steps(patient, lots.open_lots(patient.clinic_id, patient.patient_id), -amount))
        if idem is not None:
            idempotency.record_in(plan, principal, idem, 201, reply)
        try:
            plans.execute(plan)
        except lots.LotsChanged:
            continue
        count("PointsAdjusted")
        return reply
    raise Conflict("the patient's points changed meanwhile, try again", code="try_again")


def adjust(principal, patient_id: str, amount: int, note: str, idem=None) -> dict:
    """A manual adjustment by staff: a new ledger entry with the reason and who made it, never an edit."""
    patient = patients.get(principal.clinic_id, patient_id)
    key = (hashlib.sha256(f"{idem.scope}:{idem.key}".encode()).hexdigest()[:16] if idem is not None
           else uuid.uuid4().hex[:16])
    return _staff_entry(principal, patient, f"adjust:{key}", amount, "adjustment", note, None, idem)


def reverse(principal, patient_id: str, entry_id: str, note: str, idem=None) -> dict:
    """Undo one ledger entry with an opposite entry (once per entry)."""
    patient = patients.get(principal.clinic_id, patient_id)
    original = points.get_entry(principal.clinic_id, patient_id, entry_id)
    if original is None:
        raise NotFound("ledger entry not found", code="entry_not_found", field="entry_id")
    if original.reason == "reversal":
        raise BadRequest("a reversal cannot be reversed; make an adjustment", code="not_reversible",
                         field="entry_id")
    return _staff_entry(principal, patient, f"reverse:{entry_id}", -int(original.points), "reversal", note,
                        entry_id, idem)
