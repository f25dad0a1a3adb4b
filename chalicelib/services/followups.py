"""Staff follow-up plans (S2's weekly call by a health manager): start, pause, assign (or claim),
the day's worklist (the clinic's, one staff member's own, or the plans nobody is assigned to),
the clinic's default assignee, revealing a number to call, outcomes with notes, end.

A plan carries its next due day in the sparse due index, and in its assignee's list on gsi1; the
worklist reads only what is due today or overdue, then those patients' profiles and plans in one
BatchGetItem per page, and shows them highest risk first with masked phones. Revealing the full
number is a separate call that needs a reason and is written to the audit trail. Outcomes move the
next due day by the plan's cadence.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, timedelta

from chalicelib.domain.clock import clock, iso, local_date
from chalicelib.errors import BadRequest, Conflict, NotFound
from chalicelib.observability import count, logger
from chalicelib.store import clinics, patients
from chalicelib.store import followups as store

DEFAULT_CADENCE_DAYS = 7
GLUCOSE = "glucose"
# the roles that make follow-up calls (the routes' MANAGER): only they can be given plans
CALLERS = ("admin", "health_manager")


def _today(clinic_id: str) -> date:
    return local_date(clock.now(), clinics.get(clinic_id).tz)


def plan_view(plan: store.FollowUpPlan | None) -> dict | None:
    if plan is None:
        return None
    return {"patient_id": plan.patient_id, "status": plan.status, "cadence_days": int(plan.cadence_days),
            "next_due": plan.next_due if plan.status == "active" else None, "source": plan.source,
            "started_on": plan.started_on, "started_by": plan.started_by, "calls": int(plan.calls or 0),
            "last_outcome": plan.last_outcome, "last_outcome_on": plan.last_outcome_on,
            "paused_reason": plan.paused_reason, "ended_on": plan.ended_on, "assignee": plan.assignee}


def _check_assignee(clinic_id: str, username: str) -> str:
    """A staff member of the clinic whose account is active and who makes follow-up calls (an
    admin or a health manager); else unknown_assignee."""
    from chalicelib.errors import AppError
    from chalicelib.services import staff_accounts

    try:
        _, account = staff_accounts.account_of(clinic_id, username)
    except AppError as exc:
        raise BadRequest("no active staff account of this clinic has this username", code="unknown_assignee",
                         field="assignee") from exc
    if account.status != "active":
        raise BadRequest("this staff account is disabled", code="unknown_assignee", field="assignee")
    if account.role not in CALLERS:
        raise BadRequest("only admins and health managers make follow-up calls", code="unknown_assignee",
                         field="assignee")
    return username


def default_assignee(clinic_id: str) -> str | None:
    """The clinic's default assignee while their account can take calls; else None (the plan then
    shows among the unassigned ones)."""
    chosen = clinics.get(clinic_id).followup_assignee
    if not chosen:
        return None
    try:
        return _check_assignee(clinic_id, chosen)
    except BadRequest:
        logger.warning("the clinic's default follow-up assignee cannot take calls", extra={"clinic": clinic_id})
        return None


def set_default_assignee(clinic_id: str, username: str | None) -> dict:
    """Who gets the plans nobody starts by hand (a glucose challenge's): an active admin or health
    manager of the clinic, or nobody (None: such plans wait under 未分配)."""
    if username:
        _check_assignee(clinic_id, username)
    clinics.set_followup_assignee(clinic_id, username)
    return {"followup_assignee": username}


def assign(principal, patient_id: str, assignee: str | None, unassigned_only: bool = False) -> dict:
    """Give a plan to a staff member (None: to nobody, back among the unassigned). A claim is the
    caller taking it, `unassigned_only`: refused (plan_assigned) if someone else has it meanwhile.
    Giving it to whom it is given already changes nothing (a repeat answers the same)."""
    clinic_id = principal.clinic_id
    plan = _plan_or_404(clinic_id, patient_id)
    me = principal.username or principal.subject
    if assignee and assignee != me:  # the caller is a live account of a calling role already
        _check_assignee(clinic_id, assignee)
    if plan.assignee == assignee:
        return {"plan": plan_view(plan)}
    if unassigned_only and plan.assignee:
        raise Conflict("someone has taken this plan already", code="plan_assigned", field="assignee")
    store.assign_plan(plan, assignee, iso(clock.now()))
    count("FollowUpPlansAssigned", claimed=str(assignee == me).lower())
    logger.info("follow-up plan assigned", extra={"patient_id": patient_id})
    return {"plan": plan_view(store.get_plan(clinic_id, patient_id))}


def start(principal, patient_id: str, cadence_days: int | None, first_due: date | None,
          assignee: str | None = None) -> tuple[bool, dict | None]:
    """Put the patient on a plan (or restart a paused or ended one), assigned to `assignee` (a
    staff username of the clinic; default: the plan's assignee so far, else who starts it).
    Returns (created, plan)."""
    clinic_id = principal.clinic_id
    patients.get(clinic_id, patient_id)
    today = _today(clinic_id)
    first = first_due or today
    if first < today:
        raise BadRequest("first_due cannot be in the past", code="invalid_date", field="first_due")
    cadence = cadence_days or DEFAULT_CADENCE_DAYS
    by, at = principal.username or principal.subject, iso(clock.now())
    if assignee and assignee != by:
        _check_assignee(clinic_id, assignee)
    plan = store.get_plan(clinic_id, patient_id)
    if plan is None:
        created = store.create_plan(clinic_id, patient_id, cadence_days=cadence, first_due=first.isoformat(),
                                    source="staff", started_by=by, at=at, assignee=assignee or by)
        if created is None:
            raise Conflict("the plan changed meanwhile, try again", code="try_again")
        count("FollowUpPlansStarted", source="staff")
        return True, plan_view(created)
    store.restart_plan(plan, clinic_id=clinic_id, cadence_days=cadence, first_due=first.isoformat(), by=by, at=at,
                       assignee=assignee or plan.assignee or by)
    return False, plan_view(store.get_plan(clinic_id, patient_id))


def pause(principal, patient_id: str) -> dict:
    """Take an active plan off the worklists until it is started again (POST .../followup)."""
    clinic_id = principal.clinic_id
    plan = _plan_or_404(clinic_id, patient_id)
    if plan.status != "active":
        return {"plan": plan_view(plan)}
    store.pause_plan(plan, "staff", iso(clock.now()))
    return {"plan": plan_view(store.get_plan(clinic_id, patient_id))}


def start_for_challenge(clinic_id: str, patient_id: str, challenge_id: str, checkin_type: str, today: date) -> bool:
    """A patient who joins a glucose challenge (S2) gets a weekly plan, first call a week on,
    assigned to the clinic's default assignee if it has one (else it waits under 未分配); an
    existing plan (a staff decision) is left as it is. Returns True if a plan was created."""
    if checkin_type != GLUCOSE:
        return False
    first = (today + timedelta(days=DEFAULT_CADENCE_DAYS)).isoformat()
    created = store.create_plan(clinic_id, patient_id, cadence_days=DEFAULT_CADENCE_DAYS, first_due=first,
                                source=f"challenge:{challenge_id}", started_by=None, at=iso(clock.now()),
                                assignee=default_assignee(clinic_id))
    if created is not None:
        count("FollowUpPlansStarted", source="challenge")
    return created is not None


def _plan_or_404(clinic_id: str, patient_id: str) -> store.FollowUpPlan:
    plan = store.get_plan(clinic_id, patient_id)
    if plan is None:
        patients.get(clinic_id, patient_id)  # a patient of another clinic, or none, is not found
        raise NotFound("the patient has no follow-up plan", code="no_followup_plan")
    return plan


def detail(principal, patient_id: str) -> dict:
    """The plan and its latest outcomes with their notes in clear; reading a note is a view of a
    patient's decrypted data, so it is audited (only when there is a note to read)."""
    clinic_id = principal.clinic_id
    plan = _plan_or_404(clinic_id, patient_id)
    found = store.outcomes(clinic_id, patient_id)
    notes = [o for o in found if o.note_enc]
    key = None
    if notes:
        from chalicelib.services import audit
        from chalicelib.services.patient_fields import clinic_key

        audit.record(principal, audit.VIEW_PATIENT, patient_id=patient_id,
                     detail={"part": "followup_notes", "notes": len(notes)})
        key = clinic_key(clinic_id)
    return {"plan": plan_view(plan), "outcomes": [outcome_view(o, key) for o in found]}


def outcome_view(item: store.FollowUpOutcome, key: bytes | None = None) -> dict:
    """An outcome; with the clinic's key (a plan's detail), its note in clear too."""
    view = {"outcome_id": item.outcome_id, "outcome": item.outcome, "day": item.day, "at": item.at,
            "staff": item.staff, "has_note": bool(item.note_enc), "booking_date": item.booking_date}
    if key is not None:
        from chalicelib import crypto

        view["note"] = crypto.decrypt(key, item.clinic_id, item.note_enc) if item.note_enc else None
    return view


def record(principal, patient_id: str, outcome: str, note: str | None, booking_date: date | None,
           idem=None) -> dict:
    """Record a call's outcome. booked also records the booking (stopping recall reminders);
    wrong_number pauses the plan and flags the patient."""
    clinic_id = principal.clinic_id
    plan = _plan_or_404(clinic_id, patient_id)
    if plan.status != "active":
        raise Conflict(f"the plan is {plan.status}; restart it first", code="plan_not_active")
    if outcome not in store.OUTCOMES:
        raise BadRequest(f"unknown outcome {outcome!r}", code="unknown_outcome", field="outcome")
    today = _today(clinic_id)
    if outcome == "booked":
        if booking_date is None:
            raise BadRequest("a booked outcome needs booking_date", code="booking_date_required", field="booking_date")
        if booking_date < today:
            raise BadRequest("booking_date is in the past", code="invalid_date", field="booking_date")
    elif booking_date is not None:
        raise BadRequest("booking_date goes only with a booked outcome", code="unexpected_field", field="booking_date")
    now = iso(clock.now())
    outcome_id = (hashlib.sha256(f"{idem.scope}:{idem.key}".encode()).hexdigest()[:16] if idem is not None
                  else uuid.uuid4().hex[:16])
    note_enc = None
    if note:
        from chalicelib import crypto
        from chalicelib.services.patient_fields import clinic_key

        note_enc = crypto.encrypt(clinic_key(clinic_id), clinic_id, note)
    item = store.new_outcome(clinic_id, patient_id, outcome_id=outcome_id, outcome=outcome, day=today.isoformat(),
                             at=now, staff=principal.username or principal.subject, note_enc=note_enc,
                             booking_date=booking_date.isoformat() if booking_date else None)
    booking = None
    if outcome == "booked" and booking_date is not None:  # checked above: a booked outcome has its date
        from chalicelib.services.visits import record_booking

        # before the outcome: stopping reminders is safe to repeat if the outcome write then fails
        booking = record_booking(clinic_id, patient_id, booking_date)
    paused = outcome == "wrong_number"
    next_due = None if paused else (today + timedelta(days=int(plan.cadence_days))).isoformat()
    reply = {"outcome": outcome_view(item), "next_due": next_due, "plan_status": "paused" if paused else "active",
             "booking": booking}
    store.record_outcome(store.OutcomeWrite(plan=plan, clinic_id=clinic_id, outcome=item, next_due=next_due,
                                            flag_patient=paused), principal=principal, idem=idem, reply=reply)
    count("FollowUpOutcomes", outcome=outcome)
    logger.info("follow-up outcome", extra={"patient_id": patient_id, "outcome": outcome})
    if outcome in ("reached", "booked"):  # a call that reached the patient is an interaction (silence ends)
        from chalicelib.services import segments

        segments.record_event(clinic_id, patient_id, clock.now())
    return reply


def end(principal, patient_id: str) -> dict:
    clinic_id = principal.clinic_id
    plan = _plan_or_404(clinic_id, patient_id)
    if plan.status == "ended":
        return {"plan": plan_view(plan)}
    store.end_plan(plan, _today(clinic_id).isoformat(), iso(clock.now()))
    return {"plan": plan_view(store.get_plan(clinic_id, patient_id))}


def _risk_order(row: dict):
    score = row["risk_score"]
    return (score is None, -(score or 0.0), row["next_due"] or "", row["patient_id"])


def masked_phone(clinic_id: str, phone_enc: str | None, key: bytes) -> str:
    """The number as lists show it (138****1111): decrypted only to be masked here."""
    from chalicelib import crypto
    from chalicelib.domain.privacy import mask_phone

    return mask_phone(crypto.decrypt(key, clinic_id, phone_enc)) if phone_enc else ""


def worklist(clinic_id: str, limit: int, cursor: str | None, assignee: str | None = None,
             unassigned: bool = False) -> dict:
    """Plans due today or overdue (all the clinic's, those assigned to `assignee`, or with
    `unassigned` those nobody is assigned to): one Query and one BatchGetItem per page (the
    unassigned: see store.unassigned_due_plans), highest risk first, phones masked."""
    from chalicelib.services.patient_fields import clinic_key

    today = _today(clinic_id)
    if unassigned:
        due, next_cursor = store.unassigned_due_plans(clinic_id, today.isoformat(), limit, cursor)
    else:
        due, next_cursor = store.due_plans(clinic_id, today.isoformat(), limit, cursor, assignee)
    key = clinic_key(clinic_id) if due else b""
    rows = []
    for entry in due:
        p, f = entry.profile, entry.plan
        overdue = (today - date.fromisoformat(f["next_due"])).days if f.get("next_due") else 0
        factors = p.get("risk_factors") or []
        rows.append({"patient_id": p["patient_id"], "name_masked": p.get("name_masked"),
                     "conditions": p.get("conditions") or [], "last_visit_date": p.get("last_visit_date"),
                     "risk_score": p.get("risk_score"), "risk_factors": factors,
                     "followup_flag": p.get("followup_flag"), "next_due": f.get("next_due"), "days_overdue": overdue,
                     "cadence_days": int(f.get("cadence_days") or DEFAULT_CADENCE_DAYS), "source": f.get("source"),
                     "last_outcome": f.get("last_outcome"), "last_outcome_on": f.get("last_outcome_on"),
                     "calls": int(f.get("calls") or 0), "assignee": f.get("assignee"),
                     "phone_masked": masked_phone(clinic_id, p.get("phone_enc"), key)})
    rows.sort(key=_risk_order)
    return {"day": today.isoformat(), "items": rows, "next_cursor": next_cursor}


def totals(clinic_id: str, first: date | None, last: date | None) -> dict:
    today = _today(clinic_id)
    last = last or today
    first = first or (last - timedelta(days=29))
    if first > last:
        raise BadRequest("from must not be after to", code="invalid_period", field="from")
    if (last - first).days > 366:
        raise BadRequest("a period is at most 367 days", code="period_too_long", field="to")
    days = store.totals_between(clinic_id, first.isoformat(), last.isoformat())
    summed = {name: sum(d[name] for d in days) for name in store.OUTCOMES}
    calls = sum(summed.values())
    return {"from": first.isoformat(), "to": last.isoformat(), "totals": summed, "calls": calls,
            "reach_rate": round((summed["reached"] + summed["booked"]) / calls, 4) if calls else None,
            "booking_rate": round(summed["booked"] / calls, 4) if calls else None, "days": days}


def reveal_phone(principal, patient_id: str, reason: str) -> dict:
    """The patient's full number, to call them: written to the audit trail with the reason first,
    so no number is shown unrecorded."""
    from chalicelib.services import audit
    from chalicelib.services.patient_fields import decrypted

    patient = patients.get(principal.clinic_id, patient_id)
    event_id = audit.record(principal, audit.REVEAL_PHONE, patient_id=patient_id, reason=reason)
    return {"patient_id": patient_id, "phone": decrypted(patient)["phone"], "event_id": event_id}
