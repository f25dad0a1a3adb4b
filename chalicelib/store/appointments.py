"""Doctors, holidays, slot counters, bookings and the day counters of appointments (docs/appointments.md).

Invariants, kept by the steps below in one transaction each:
- a slot's counter (`<clinic>#SLOTS#<department>` / `<day>#<HHMM>#<doctor>`) is raised only while
  `booked < capacity`, in the transaction that puts the booking: two patients racing for the last
  place cannot both get it; closing a booking that still held a place gives it back in the same
  transaction;
- a patient holds one booking per slot (the booking's key is the slot; a new one may replace only a
  cancelled one) and at most `limit` active ones (the profile's `appts_active`, raised on booking
  while below the limit, lowered whenever a booking leaves `booked`);
- a booking sits in the sparse due index only while booked, so the no-show sweep reads only those;
- the day counter (`APPTSTAT#<day>`) changes in the same transaction as the booking it counts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, NamedTuple

from pynamodb.exceptions import DoesNotExist

from chalicelib.domain.appointments import ARRIVED, BOOKED, CANCELLED, NO_SHOW
from chalicelib.store import keys
from chalicelib.store import plan as plans
from chalicelib.store.models import (AppointmentItem, AppointmentStatItem, DoctorItem, HolidaysItem, PatientItem,
                                     SlotItem, bind)

# labels of the booking's conditions
SLOT_LEFT = "slot-left"  # the slot still had a place
SLOT_FREE_FOR_PATIENT = "appointment-new"  # the patient holds no active booking of this slot
ACTIVE_LEFT = "active-left"  # the patient holds fewer active bookings than the limit
STILL_BOOKED = "still-booked"  # the booking being changed is still booked


class Doctor(NamedTuple):
    doctor_id: str
    name: str
    department: str
    active: bool
    weekly: dict[str, list[dict[str, Any]]]
    exceptions: dict[str, list[dict[str, Any]]]
    updated_at: str


class Appointment(NamedTuple):
    clinic_id: str
    patient_id: str
    doctor_id: str
    department: str
    day: str
    start: str
    end: str
    starts_at: str
    ends_at: str
    expert: bool
    status: str
    booked_at: str
    booked_by: str
    changed_at: str | None = None
    changed_by: str | None = None
    rescheduled_to: str | None = None
    visit_id: str | None = None
    after_reminder_days: int | None = None  # days from the latest reminder to this booking (within 30)

    @property
    def appointment_id(self) -> str:
        return appointment_id(self.patient_id, self.day, self.start, self.doctor_id)


_ID = re.compile(r"^([A-Za-z0-9_-]{1,64})\.(\d{8})\.(\d{4})\.([A-Za-z0-9_-]{1,64})$")


def appointment_id(patient_id: str, day: str, start: str, doctor_id: str) -> str:
    """The public id of a booking: the patient and the slot (a patient holds one booking per slot)."""
    return f"{patient_id}.{day.replace('-', '')}.{start.replace(':', '')}.{doctor_id}"


def parse_id(text: str) -> tuple[str, str, str, str] | None:
    """(patient, day, start, doctor) of a booking id, or None when it is not one."""
    found = _ID.match(text)
    if not found:
        return None
    patient, day, start, doctor = found.groups()
    return patient, f"{day[:4]}-{day[4:6]}-{day[6:]}", f"{start[:2]}:{start[2:]}", doctor


# -- doctors and holidays ---------------------------------------------------------------------------

def _doctor_of(item: DoctorItem) -> Doctor:
    return Doctor(item.doctor_id, item.name, item.department, bool(item.active), dict(item.weekly or {}),
                  dict(item.exceptions or {}), item.updated_at)


def put_doctor(clinic_id: str, doctor: Doctor) -> Doctor:
    bind()
    DoctorItem(keys.clinic_pk(clinic_id), keys.doctor_sk(doctor.doctor_id), doctor_id=doctor.doctor_id,
               name=doctor.name, department=doctor.department, active=doctor.active, weekly=doctor.weekly,
               exceptions=doctor.exceptions, updated_at=doctor.updated_at).save()
    return doctor


def doctors(clinic_id: str) -> list[Doctor]:
    """The clinic's doctors (one Query of the clinic's partition)."""
    bind()
    return [_doctor_of(item) for item in DoctorItem.query(keys.clinic_pk(clinic_id),
                                                          DoctorItem.sk.startswith(keys.DOCTOR))]


def doctor(clinic_id: str, doctor_id: str) -> Doctor | None:
    bind()
    try:
        return _doctor_of(DoctorItem.get(keys.clinic_pk(clinic_id), keys.doctor_sk(doctor_id)))
    except DoesNotExist:
        return None


def holidays(clinic_id: str) -> list[dict[str, Any]]:
    bind()
    try:
        return list(HolidaysItem.get(keys.clinic_pk(clinic_id), keys.HOLIDAYS_SK).days or [])
    except DoesNotExist:
        return []


def put_holidays(clinic_id: str, days: list[dict[str, Any]], at: str) -> list[dict[str, Any]]:
    bind()
    HolidaysItem(keys.clinic_pk(clinic_id), keys.HOLIDAYS_SK, days=days, updated_at=at).save()
    return days


# -- slots ------------------------------------------------------------------------------------------

def booked_counts(clinic_id: str, department: str, first_day: str, last_day: str) -> dict[tuple[str, str, str], int]:
    """{(day, "HH:MM", doctor): places taken} of a department's slots in a date range (one Query)."""
    bind()
    counts: dict[tuple[str, str, str], int] = {}
    for item in SlotItem.query(keys.slot_pk(clinic_id, department), SlotItem.sk.between(first_day, last_day + "~")):
        day, start, doctor_id = str(item.sk).split("#", 2)
        counts[day, f"{start[:2]}:{start[2:]}", doctor_id] = int(item.booked or 0)
    return counts


# -- bookings ---------------------------------------------------------------------------------------

def _appointment_of(clinic_id: str, item: AppointmentItem) -> Appointment:
    return Appointment(clinic_id, item.patient_id, item.doctor_id, item.department, item.day, item.start, item.end,
                       item.starts_at, item.ends_at, bool(item.expert), item.status, item.booked_at, item.booked_by,
                       item.changed_at, item.changed_by, item.rescheduled_to, item.visit_id,
                       None if item.after_reminder_days is None else int(item.after_reminder_days))


def _item(appointment: Appointment) -> AppointmentItem:
    a = appointment
    return AppointmentItem(keys.patient_pk(a.clinic_id, a.patient_id), keys.appointment_sk(a.day, a.start, a.doctor_id))


def get(clinic_id: str, patient_id: str, day: str, start: str, doctor_id: str) -> Appointment | None:
    bind()
    try:
        return _appointment_of(clinic_id, AppointmentItem.get(keys.patient_pk(clinic_id, patient_id),
                                                              keys.appointment_sk(day, start, doctor_id),
                                                              consistent_read=True))
    except DoesNotExist:
        return None


def of_patient(clinic_id: str, patient_id: str) -> list[Appointment]:
    """The patient's bookings, by slot (one Query of the patient's partition)."""
    bind()
    return [_appointment_of(clinic_id, item) for item in AppointmentItem.query(
        keys.patient_pk(clinic_id, patient_id), AppointmentItem.sk.startswith(keys.APPOINTMENT))]


def of_day(clinic_id: str, day: str, department: str | None) -> list[Appointment]:
    """A clinic-local day's bookings, of one department or all, by department, time and doctor (gsi1)."""
    bind()
    condition = AppointmentItem.gsi1sk.startswith(f"{department}#") if department else None
    return [_appointment_of(clinic_id, item) for item in AppointmentItem.by_gsi1.query(
        keys.appointment_day_pk(clinic_id, day), condition)]


def due_no_shows(clinic_id: str, ended_before: str, limit: int = 100) -> list[Appointment]:
    """Bookings still booked whose slot ended before `ended_before` (the sparse due index, then a
    consistent read of each)."""
    bind()
    found = []
    for entry in AppointmentItem.by_due.query(keys.appointment_due_pk(clinic_id),
                                              AppointmentItem.due_sk < ended_before, limit=limit):
        try:
            item = AppointmentItem.get(entry.pk, entry.sk, consistent_read=True)
        except DoesNotExist:
            continue
        if item.status == BOOKED:
            found.append(_appointment_of(clinic_id, item))
    return found


def book_steps(appointment: Appointment, capacity: int, active_limit: int | None,
               from_hold: bool = False) -> list[plans.Step]:
    """The booking, its slot's place and the day's counter; with `active_limit`, the patient's count of
    active bookings (left out by a reschedule, which keeps it as it is). `from_hold`: the patient books
    the place a recall offer held for them (store.holds.consume_steps): the place is taken already, so the
    slot's `held` goes down instead of `booked` going up."""
    a = appointment
    booking = AppointmentItem(
        keys.patient_pk(a.clinic_id, a.patient_id), keys.appointment_sk(a.day, a.start, a.doctor_id),
        gsi1pk=keys.appointment_day_pk(a.clinic_id, a.day),
        gsi1sk=keys.appointment_day_sort(a.department, a.start, a.doctor_id, a.patient_id),
        due_pk=keys.appointment_due_pk(a.clinic_id),
        due_sk=keys.appointment_due_sort(a.ends_at, a.patient_id, a.day, a.start, a.doctor_id),
        patient_id=a.patient_id, doctor_id=a.doctor_id, department=a.department, day=a.day, start=a.start,
        end=a.end, starts_at=a.starts_at, ends_at=a.ends_at, expert=a.expert, status=BOOKED, booked_at=a.booked_at,
        booked_by=a.booked_by, after_reminder_days=a.after_reminder_days)
    slot = SlotItem(keys.slot_pk(a.clinic_id, a.department), keys.slot_sk(a.day, a.start, a.doctor_id))
    take = (plans.update(slot, [SlotItem.held.add(-1)], SLOT_LEFT, SlotItem.held > 0) if from_hold else
            plans.update(slot, [SlotItem.booked.add(1)], SLOT_LEFT,
                         SlotItem.booked.does_not_exist() | (SlotItem.booked < capacity)))
    steps = [
        take,
        plans.put(booking, SLOT_FREE_FOR_PATIENT,
                  AppointmentItem.pk.does_not_exist() | (AppointmentItem.status == CANCELLED)),
        _stat(a, BOOKED),
    ]
    if a.after_reminder_days is not None:
        stat = AppointmentStatItem(keys.clinic_pk(a.clinic_id), keys.appointment_stat_sk(a.day))
        steps.append(plans.update(stat, [AppointmentStatItem.reminded.add(1),
                                         AppointmentStatItem.reminder_days.add(a.after_reminder_days)],
                                  f"stat-{a.day}-reminded"))
    if active_limit is not None:
        profile = PatientItem(keys.patient_pk(a.clinic_id, a.patient_id), keys.PROFILE_SK)
        # a booking that follows a reminder counts as the patient answering one (recall's response signal)
        answered = [PatientItem.reminders_answered.add(1)] if a.after_reminder_days is not None else []
        steps.append(plans.update(profile, [PatientItem.appts_active.add(1), *answered], ACTIVE_LEFT,
                                  PatientItem.pk.exists() & (PatientItem.appts_active.does_not_exist()
                                                             | (PatientItem.appts_active < active_limit))))
    return steps


def _stat(a: Appointment, field: str) -> plans.Step:
    item = AppointmentStatItem(keys.clinic_pk(a.clinic_id), keys.appointment_stat_sk(a.day))
    attribute = {BOOKED: AppointmentStatItem.booked, CANCELLED: AppointmentStatItem.cancelled,
                 ARRIVED: AppointmentStatItem.arrived, NO_SHOW: AppointmentStatItem.no_show}[field]
    return plans.update(item, [attribute.add(1)], f"stat-{a.day}-{field}")


def close_steps(appointment: Appointment, status: str, *, at: str, by: str, count_active: bool = True,
                rescheduled_to: str | None = None, visit_id: str | None = None) -> list[plans.Step]:
    """A booking leaves `booked` (arrived, cancelled, no_show): it leaves the due index, a cancelled
    one gives its slot's place back, the day's counter and (unless a reschedule keeps it) the patient's
    count of active bookings change, all conditional on the booking being still booked."""
    a = appointment
    actions: list[Any] = [AppointmentItem.status.set(status), AppointmentItem.changed_at.set(at),
                          AppointmentItem.changed_by.set(by), AppointmentItem.due_pk.remove(),
                          AppointmentItem.due_sk.remove()]
    if rescheduled_to:
        actions.append(AppointmentItem.rescheduled_to.set(rescheduled_to))
    if visit_id:
        actions.append(AppointmentItem.visit_id.set(visit_id))
    steps = [plans.update(_item(a), actions, STILL_BOOKED, AppointmentItem.status == BOOKED), _stat(a, status)]
    if status == CANCELLED:
        slot = SlotItem(keys.slot_pk(a.clinic_id, a.department), keys.slot_sk(a.day, a.start, a.doctor_id))
        steps.append(plans.update(slot, [SlotItem.booked.add(-1)], "slot-back", SlotItem.booked > 0))
    if count_active:
        profile = PatientItem(keys.patient_pk(a.clinic_id, a.patient_id), keys.PROFILE_SK)
        steps.append(plans.update(profile, [PatientItem.appts_active.add(-1)], "active-back"))
    return steps


def day_totals(clinic_id: str, first_day: str, last_day: str) -> dict[str, dict[str, int]]:
    """{day: {booked, cancelled, arrived, no_show}} of the days in a range (one Query of the clinic's partition)."""
    bind()
    out: dict[str, dict[str, int]] = {}
    for item in AppointmentStatItem.query(keys.clinic_pk(clinic_id), AppointmentStatItem.sk.between(
            keys.appointment_stat_sk(first_day), keys.appointment_stat_sk(last_day))):
        out[str(item.sk)[len(keys.APPOINTMENT_STAT):]] = {
            "booked": int(item.booked or 0), "cancelled": int(item.cancelled or 0),
            "arrived": int(item.arrived or 0), "no_show": int(item.no_show or 0),
            "reminded": int(item.reminded or 0), "reminder_days": int(item.reminder_days or 0)}
    return out


def appointment_ids(appointments: Iterable[Appointment]) -> list[str]:
    return [a.appointment_id for a in appointments]


def release_places(clinic_id: str, raw_items: Iterable[dict[str, Any]]) -> int:
    """Give back the places of the bookings still booked among a partition's raw items (an erased
    patient's): one conditional UpdateItem per slot. Returns the places given back."""
    bind()
    released = 0
    for raw in raw_items:
        if not raw["sk"]["S"].startswith(keys.APPOINTMENT) or raw.get("status", {}).get("S") != BOOKED:
            continue
        slot = SlotItem(keys.slot_pk(clinic_id, raw["department"]["S"]),
                        keys.slot_sk(raw["day"]["S"], raw["start"]["S"], raw["doctor_id"]["S"]))
        try:
            slot.update(actions=[SlotItem.booked.add(-1)], condition=SlotItem.booked > 0)
            released += 1
        except Exception as exc:  # noqa: BLE001 (PynamoDB's UpdateError: only a failed condition is expected)
            from chalicelib.store import db

            if not db.condition_failed(exc):
                raise
    return released
