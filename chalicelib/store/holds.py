"""Slot places held for recall offers, and each department's count of offers outstanding
(docs/delivery.md "Capacity", docs/appointments.md "Holds").

Invariants, each kept by one transaction:
- a hold raises its slot's `booked` (places taken) only while `booked < capacity`, and `held` with it:
  walk-ins and other offers never get a held place, and a slot is never overbooked;
- a hold raises its department's `RECALLHOLDS#<department>` count only while it is below the budget
  the sender computed: two senders racing for the last offer cannot both get it;
- a hold is keyed by its recall job (`HOLD#<job sk>`, written with attribute_not_exists), so a job
  delivered twice (SQS at least once) holds one place;
- a hold leaves in the transaction that gives its place back (expired: `booked - 1`, `held - 1`) or
  turns it into the holder's booking (`held - 1`, `booked` unchanged), with the department count,
  conditional on the hold still being there: never released twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from pynamodb.exceptions import DoesNotExist

from chalicelib.store import db, keys
from chalicelib.store import plan as plans
from chalicelib.store.models import RecallHoldsItem, SlotHoldItem, SlotItem, bind

HOLD_NEW = "hold-new"  # no hold for this job yet
HOLD_SLOT_OPEN = "hold-slot-open"  # the slot had a place nobody booked or held
HOLD_BUDGET = "hold-budget"  # the department's offers were below its budget
HOLD_KEPT = "hold-kept"  # the hold is still there (not released or consumed meanwhile)


class Hold(NamedTuple):
    clinic_id: str
    patient_id: str
    job_sk: str
    department: str
    doctor_id: str
    day: str
    start: str
    starts_at: str
    expires_at: str
    held_at: str


class SlotCount(NamedTuple):
    taken: int  # bookings and holds
    held: int


def _hold_of(clinic_id: str, item: SlotHoldItem) -> Hold:
    return Hold(clinic_id, item.patient_id, item.job_sk, item.department, item.doctor_id, item.day, item.start,
                item.starts_at, item.expires_at, item.held_at)


def _item(h: Hold) -> SlotHoldItem:
    return SlotHoldItem(keys.patient_pk(h.clinic_id, h.patient_id), keys.hold_sk(h.job_sk))


def _slot(h: Hold) -> SlotItem:
    return SlotItem(keys.slot_pk(h.clinic_id, h.department), keys.slot_sk(h.day, h.start, h.doctor_id))


def _department(h: Hold) -> RecallHoldsItem:
    return RecallHoldsItem(keys.clinic_pk(h.clinic_id), keys.recall_holds_sk(h.department))


def slot_counts(clinic_id: str, department: str, first_day: str, last_day: str) -> dict[tuple[str, str, str], SlotCount]:
    """{(day, "HH:MM", doctor): places taken and held} of a department's slots in a date range (one Query)."""
    bind()
    counts: dict[tuple[str, str, str], SlotCount] = {}
    for item in SlotItem.query(keys.slot_pk(clinic_id, department), SlotItem.sk.between(first_day, last_day + "~"),
                               consistent_read=True):
        day, start, doctor_id = str(item.sk).split("#", 2)
        counts[day, f"{start[:2]}:{start[2:]}", doctor_id] = SlotCount(int(item.booked or 0), int(item.held or 0))
    return counts


def department_held(clinic_id: str, department: str) -> int:
    """The department's recall offers outstanding (one GetItem)."""
    bind()
    try:
        return int(RecallHoldsItem.get(keys.clinic_pk(clinic_id), keys.recall_holds_sk(department),
                                       consistent_read=True).held or 0)
    except DoesNotExist:
        return 0


def of_job(clinic_id: str, patient_id: str, job_sk: str) -> Hold | None:
    bind()
    try:
        return _hold_of(clinic_id, SlotHoldItem.get(keys.patient_pk(clinic_id, patient_id), keys.hold_sk(job_sk),
                                                    consistent_read=True))
    except DoesNotExist:
        return None


def of_patient(clinic_id: str, patient_id: str) -> list[Hold]:
    """The patient's holds (one Query of the patient's partition)."""
    bind()
    return [_hold_of(clinic_id, item) for item in SlotHoldItem.query(
        keys.patient_pk(clinic_id, patient_id), SlotHoldItem.sk.startswith(keys.HOLD), consistent_read=True)]


def take(hold: Hold, capacity: int, allowed: int) -> str:
    """Hold a place of the slot for the job: "ok", "exists" (the job holds one already), "slot_full"
    or "no_budget" (the department's offers reached `allowed`)."""
    bind()
    item = SlotHoldItem(
        keys.patient_pk(hold.clinic_id, hold.patient_id), keys.hold_sk(hold.job_sk),
        due_pk=keys.hold_due_pk(hold.clinic_id),
        due_sk=keys.hold_due_sort(hold.expires_at, hold.patient_id, hold.job_sk),
        patient_id=hold.patient_id, department=hold.department, doctor_id=hold.doctor_id, day=hold.day,
        start=hold.start, starts_at=hold.starts_at, expires_at=hold.expires_at, job_sk=hold.job_sk,
        held_at=hold.held_at)
    plan = plans.Plan().add(
        plans.put(item, HOLD_NEW, SlotHoldItem.sk.does_not_exist()),
        plans.update(_slot(hold), [SlotItem.booked.add(1), SlotItem.held.add(1)], HOLD_SLOT_OPEN,
                     SlotItem.booked.does_not_exist() | (SlotItem.booked < capacity)),
        plans.update(_department(hold), [RecallHoldsItem.held.add(1)], HOLD_BUDGET,
                     RecallHoldsItem.held.does_not_exist() | (RecallHoldsItem.held < allowed)))
    try:
        plans.execute(plan)
    except db.Cancelled as exc:
        # the budget first: a sender that lost the last offer waits, it does not look for another slot
        for label, outcome in ((HOLD_NEW, "exists"), (HOLD_BUDGET, "no_budget"), (HOLD_SLOT_OPEN, "slot_full")):
            if exc.conditional(label):
                return outcome
        raise
    return "ok"


def release(hold: Hold) -> bool:
    """Give a hold's place back (expired, or its job ended without a booking). False if it was gone."""
    bind()
    plan = plans.Plan().add(
        plans.delete(_item(hold), HOLD_KEPT, SlotHoldItem.sk.exists()),
        plans.update(_slot(hold), [SlotItem.booked.add(-1), SlotItem.held.add(-1)], "hold-slot-back"),
        plans.update(_department(hold), [RecallHoldsItem.held.add(-1)], "hold-department-back"))
    try:
        plans.execute(plan)
    except db.Cancelled as exc:
        if exc.conditional(HOLD_KEPT):
            return False
        raise
    return True


def consume_steps(hold: Hold) -> list[plans.Step]:
    """The holder books the held slot: the hold goes and the department's count with it; the booking's
    own slot step (store.appointments.book_steps with from_hold) lowers `held` instead of raising `booked`."""
    return [plans.delete(_item(hold), HOLD_KEPT, SlotHoldItem.sk.exists()),
            plans.update(_department(hold), [RecallHoldsItem.held.add(-1)], "hold-department-back")]


def expired(clinic_id: str, now_iso: str, limit: int = 200) -> list[Hold]:
    """Holds whose time is over (the sparse due index, then a consistent read of each)."""
    bind()
    found = []
    for entry in SlotHoldItem.by_due.query(keys.hold_due_pk(clinic_id), SlotHoldItem.due_sk <= now_iso + "~",
                                           limit=limit):
        if str(entry.due_sk).split("#", 1)[0] > now_iso:
            continue
        try:
            found.append(_hold_of(clinic_id, SlotHoldItem.get(entry.pk, entry.sk, consistent_read=True)))
        except DoesNotExist:
            continue
    return found


def release_raw(clinic_id: str, raw_items: Iterable[dict[str, Any]]) -> int:
    """Give back the places held for an erased patient (the hold items among their partition's raw
    items), each in its release transaction. Returns the holds released."""
    bind()
    released = 0
    for raw in raw_items:
        if raw["sk"]["S"].startswith(keys.HOLD):
            released += release(_hold_of(clinic_id, SlotHoldItem.from_raw_data(raw)))
    return released
