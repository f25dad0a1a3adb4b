"""Capacity-aware recall: a department's recall offers are throttled to a share of its free slot places
over the next days, the sweep lets the patients most at risk and most likely to answer go first, and each
message offers a real slot held for the patient until they book it or the hold ends.
docs/delivery.md "Capacity", docs/appointments.md "Holds".
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import NamedTuple
from urllib.parse import urlencode

from chalicelib.domain import appointments as slots_rules
from chalicelib.domain import capacity as rules
from chalicelib.domain.clock import clock, iso, local_date, parse_iso
from chalicelib.domain.delivery import DeliverySettings, settings_from
from chalicelib.observability import count, logger
from chalicelib.store import appointments as appointment_store
from chalicelib.store import channels as channel_store
from chalicelib.store import clinics, holds, recall

BOOKING_PAGE = "packages/booking/slots/index"


class DepartmentCapacity(NamedTuple):
    department: str
    throttled: bool  # the department has doctors with schedules (else recall is not throttled)
    slots: list[rules.SlotPlaces]
    budget: rules.Budget
    doctor_names: dict[str, str]


def department_capacity(clinic_id: str, tz: str, settings: DeliverySettings, department: str,
                        now: datetime) -> DepartmentCapacity:
    """The department's standard (not expert) slots over the next `capacity_days` days with their
    places, and its recall budget: the doctors (one Query), holidays (one GetItem), the slot counters
    (one Query) and the department's count of offers (one GetItem)."""
    doctors = [d for d in appointment_store.doctors(clinic_id)
               if d.department == department and d.active and (d.weekly or d.exceptions)]
    if not doctors:
        return DepartmentCapacity(department, False, [], rules.Budget(0, 0, 0), {})
    today = local_date(now, tz)
    last = today + timedelta(days=max(1, settings.capacity_days) - 1)
    holiday_days = [h["date"] for h in appointment_store.holidays(clinic_id)]
    counts = holds.slot_counts(clinic_id, department, today.isoformat(), last.isoformat())
    places = []
    for day in slots_rules.days(today, last):
        for doctor in doctors:
            weekly = {k: slots_rules.sessions_of(v) for k, v in doctor.weekly.items()}
            exceptions = {k: slots_rules.sessions_of(v) for k, v in doctor.exceptions.items()}
            sessions = slots_rules.sessions_on(day, weekly, exceptions, holiday_days)
            for slot in slots_rules.slots_on(doctor.doctor_id, day, sessions, tz):
                # expert slots are left to the desk and the priority perk; recall offers standard places
                if slot.expert or not slots_rules.bookable(slot, now):
                    continue
                taken = counts.get((slot.day, slot.start, slot.doctor_id), holds.SlotCount(0, 0))
                places.append(rules.SlotPlaces(slot.doctor_id, slot.day, slot.start, slot.starts_at, slot.capacity,
                                               taken.taken, taken.held))
    budget = rules.budget(places, settings.capacity_share, holds.department_held(clinic_id, department))
    return DepartmentCapacity(department, True, places, budget, {d.doctor_id: d.name for d in doctors})


def offers_slot(kind: str, anchor: str | None) -> bool:
    """Whether a job is a recall that asks the patient to come (a package renewal reminder is about a
    contract, not a visit: it neither waits for nor holds a place)."""
    return kind == "recall" and anchor not in rules.NOT_HEALTH_ANCHORS


def suggested_slot_text(ctx) -> str:
    """`{slot}` where the department keeps no schedules: the clinic's first opening two days on."""
    from chalicelib.domain import delivery

    slot = delivery.suggested_slot(ctx.now, ctx.clinic.tz, ctx.settings.open_days, ctx.settings.open_at)
    return delivery.slot_text(slot, ctx.clinic.tz)


def settings_of(clinic_id: str) -> DeliverySettings:
    return settings_from(channel_store.delivery_settings(clinic_id))


def department_of(rule_department: str | None, patient_department: str | None) -> str | None:
    """Where a recall sends the patient: the rule's department, else the patient's own."""
    return rule_department or patient_department


# -- the sweep: who goes first ------------------------------------------------------------------------

def plan_sweep(clinic_id: str, dues: list[recall.DueJob], now: datetime) -> tuple[list[recall.DueJob], int]:
    """Of a clinic's due jobs, those to queue now; the recalls of a throttled department beyond its budget
    left are deferred (`no_capacity`) to be looked at again, highest priority first. Returns the jobs
    to queue and how many were deferred."""
    if not dues:
        return [], 0
    if not any(d.active and (d.weekly or d.exceptions) for d in appointment_store.doctors(clinic_id)):
        return list(dues), 0  # a clinic without schedules is not throttled: no further read
    facts = {f.due: f for f in recall.due_facts(dues)}
    rule_departments = {r.rule.rule_id: r.rule.department for r in clinics.recall_rules(clinic_id)}
    queue: list[recall.DueJob] = []
    waiting: dict[str, list[recall.DueFacts]] = defaultdict(list)
    for due in dues:
        fact = facts.get(due)
        department = (department_of(rule_departments.get(fact.rule_id), fact.department)
                      if fact is not None and offers_slot(fact.kind, fact.anchor) else None)
        if fact is None or department is None:
            queue.append(due)  # other kinds, recalls with no department, gone jobs: the sender decides
        else:
            waiting[department].append(fact)
    if not waiting:
        return queue, 0
    clinic = clinics.get(clinic_id)
    settings = settings_of(clinic_id)
    until = iso(now + rules.CAPACITY_RETRY)
    deferred = 0
    for department, group in waiting.items():
        room = department_capacity(clinic_id, clinic.tz, settings, department, now)
        if not room.throttled:
            queue.extend(f.due for f in group)
            continue
        ranked = rules.rank(rules.Candidate(f.due.job_id + "|" + f.due.patient_id,
                                            rules.priority(f.risk_score, f.received, f.answered), f.due_at)
                            for f in group)
        by_key = {f.due.job_id + "|" + f.due.patient_id: f for f in group}
        left = room.budget.left
        for n, candidate in enumerate(ranked):
            fact = by_key[candidate.key]
            if n < left:
                queue.append(fact.due)
            elif recall.defer_due(fact.due, until, iso(now), rules.NO_CAPACITY):
                deferred += 1
        logger.info("recall capacity", extra={"clinic_id": clinic_id, "department": department,
                                              "free": room.budget.free, "allowed": room.budget.allowed,
                                              "held": room.budget.held, "due": len(group)})
    if deferred:
        count("RecallsDeferredNoCapacity", deferred)
    return queue, deferred


def release_expired(clinic_id: str, now: datetime) -> int:
    """Give back the places of the holds whose time is over (before the sweep counts the budgets)."""
    released = sum(1 for hold in holds.expired(clinic_id, iso(now)) if holds.release(hold))
    if released:
        count("RecallHoldsReleased", released)
    return released


# -- the sender: the offer a message names ------------------------------------------------------------

class Offer(NamedTuple):
    """The slot a recall message offers: held (`hold`), or none open in a throttled department."""

    hold: holds.Hold | None
    text: str
    link: str
    doctor_name: str | None = None


NO_SLOT_TEXT = "近期的号源（请在小程序“预约复诊”中选择时间）"


def offer_for(clinic_id: str, tz: str, settings: DeliverySettings, job, patient, rule_department: str | None,
              now: datetime) -> Offer | str | None:
    """The offer of a due recall: an Offer (a held slot, or the mini-program when no slot can be held),
    `rules.NO_CAPACITY` when the department's offers are at their budget (the job waits), or None when
    the department is not throttled (no schedules: the message keeps the suggested opening time)."""
    department = department_of(rule_department, patient.department)
    if department is None:
        return None
    existing = holds.of_job(clinic_id, patient.patient_id, job.job_id)
    if existing is not None and existing.expires_at > iso(now):
        return _offer(existing, tz, appointment_store.doctor(clinic_id, existing.doctor_id))
    if existing is not None:
        holds.release(existing)
    room = department_capacity(clinic_id, tz, settings, department, now)
    if not room.throttled:
        return None
    if room.budget.left <= 0:
        return rules.NO_CAPACITY
    for slot in rules.offer_slot(room.slots, now)[:8]:
        starts = parse_iso(slot.starts_at)
        hold = holds.Hold(clinic_id, patient.patient_id, job.job_id, department, slot.doctor_id, slot.day, slot.start,
                          slot.starts_at, iso(rules.hold_expiry(now, starts)), iso(now))
        taken = holds.take(hold, slot.capacity, room.budget.allowed)
        if taken == "ok":
            count("RecallHoldsTaken")
            return _offer(hold, tz, None, room.doctor_names.get(slot.doctor_id))
        if taken == "exists":  # a twin delivery of the same job held one a moment ago
            twin = holds.of_job(clinic_id, patient.patient_id, job.job_id)
            if twin is not None:
                return _offer(twin, tz, appointment_store.doctor(clinic_id, twin.doctor_id))
        if taken == "no_budget":
            return rules.NO_CAPACITY
    # budget left but no place to hold (the open ones start too soon): the patient picks in the mini-program
    return Offer(None, NO_SLOT_TEXT, f"{BOOKING_PAGE}?{urlencode({'department': department})}")


def _offer(hold: holds.Hold, tz: str, doctor, name: str | None = None) -> Offer:
    from chalicelib.domain.delivery import slot_text

    name = name or (doctor.name if doctor is not None else None)
    query = urlencode({"department": hold.department, "doctor_id": hold.doctor_id, "date": hold.day,
                       "start": hold.start.replace(":", ""), "offer": "1"})
    return Offer(hold, slot_text(parse_iso(hold.starts_at), tz), f"{BOOKING_PAGE}?{query}", name)


def release_job_hold(clinic_id: str, patient_id: str, job_id: str) -> bool:
    """A job that took a hold ended without sending: its place goes back at once."""
    hold = holds.of_job(clinic_id, patient_id, job_id)
    return holds.release(hold) if hold is not None else False


# -- the patient ----------------------------------------------------------------------------------------

def my_offers(clinic_id: str, patient_id: str) -> dict:
    """The slots held for the patient by recall offers, still open (the booking page shows them ready)."""
    now = iso(clock.now())
    found = [h for h in holds.of_patient(clinic_id, patient_id) if h.expires_at > now]
    names = {d.doctor_id: d.name for d in appointment_store.doctors(clinic_id)} if found else {}
    items = [{"department": h.department, "doctor_id": h.doctor_id, "doctor_name": names.get(h.doctor_id),
              "date": h.day, "start": h.start, "starts_at": h.starts_at, "held_until": h.expires_at}
             for h in sorted(found, key=lambda h: h.starts_at)]
    return {"items": items}


def hold_for_booking(clinic_id: str, patient_id: str, day: str, start: str, doctor_id: str) -> holds.Hold | None:
    """The patient's hold of this slot, if a recall offer holds it for them (their booking then takes it)."""
    # an expired hold the sweep has not released yet still takes its place: the holder may book it
    return next((h for h in holds.of_patient(clinic_id, patient_id)
                 if (h.day, h.start, h.doctor_id) == (day, start, doctor_id)), None)


def booking_steps(hold: holds.Hold | None) -> list:
    """The steps that turn the holder's hold into their booking (none without a hold)."""
    return holds.consume_steps(hold) if hold is not None else []
