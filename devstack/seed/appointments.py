"""The demo clinics' doctors with their weekly schedules (a few expert sessions among them) and a
handful of bookings for today and the next days, so the desk's day (#/appointments) is not empty.

Everything goes through chalicelib/services/appointments.py, as an admin's and the desk's requests
do: each doctor is checked by `put_doctor` (the department against the clinic's catalogue, the
sessions by `session_problem`), and each booking is made by `book` on a slot `open_slots` lists,
with the clock set to the morning of the clinic's day (BOOKED_AT, clinic-local), before its first
session, or to the moment of seeding when that is earlier. Of today's bookings whose slot has started
by the moment of seeding, most were marked arrived at the slot's start (`arrive`, which records the
visit); the first sweep marks the others no-show once their slot ended an hour ago.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from devstack.seed.planner import PatientPlan
from devstack.seed.spec import DEPARTMENT_OF, ClinicSpec

BOOKED_AT = time(7, 30)  # clinic-local: the desk books the day's patients before the first session
BOOKING_DAYS = 4  # today and the three days after it
SHARE_BOOKED = 0.35  # of the open slots of each doctor in those days, about this share gets a booking
ARRIVED_SHARE = 0.8  # of today's bookings whose slot has started by the moment of seeding, those who came


def _s(start: str, end: str, minutes: int, capacity: int, expert: bool = False) -> dict:
    return {"start": start, "end": end, "slot_minutes": minutes, "capacity": capacity, "expert": expert}


def _days(names: str, *sessions: dict) -> dict:
    return {day: list(sessions) for day in names.split()}


# doctor id -> (name, department, weekly sessions); every day of the week has someone on duty
DOCTORS: dict[str, dict[str, tuple[str, str, dict]]] = {
    "demo-dental": {
        "dr-wang": ("王建国", "dentistry", {
            **_days("mon tue wed fri", _s("09:00", "12:00", 30, 2), _s("14:00", "17:00", 30, 2)),
            "thu": [_s("09:00", "12:00", 30, 2), _s("14:00", "16:00", 60, 1, expert=True)]}),
        "dr-zhou": ("周丽华", "dentistry", _days("sat sun", _s("09:00", "12:00", 30, 2), _s("13:30", "16:30", 30, 2))),
        "dr-chen": ("陈静", "endocrinology", {
            **_days("mon wed fri", _s("08:30", "11:30", 30, 3)),
            "tue": [_s("14:00", "16:00", 30, 1, expert=True)], "sat": [_s("08:30", "11:30", 30, 2)]}),
        "dr-liu": ("刘芳", "obstetrics", {
            **_days("mon tue thu fri", _s("09:00", "12:00", 20, 2)), "wed": [_s("14:00", "16:00", 40, 1, expert=True)]}),
        "dr-zhao": ("赵敏", "dermatology", _days("mon tue wed thu fri sun", _s("13:00", "17:00", 30, 2))),
        "dr-sun": ("孙伟", "health_check", _days("mon tue wed thu fri sat sun", _s("08:00", "10:00", 15, 4))),
        "dr-he": ("何志强", "general", _days("mon tue wed thu fri", _s("08:30", "11:30", 30, 3))),
    },
    "north-derm": {
        # Urumqi's day starts later: the clinic opens at 10:00 local time
        "dr-aili": ("艾力", "dermatology", {
            **_days("mon tue thu fri", _s("10:00", "13:00", 30, 2), _s("16:00", "19:00", 30, 2)),
            "wed": [_s("10:00", "13:00", 30, 2), _s("16:00", "18:00", 60, 1, expert=True)]}),
        "dr-guli": ("古丽娜", "dermatology", _days("sat sun", _s("10:30", "14:30", 30, 2))),
        "dr-ma": ("马晓东", "health_check", _days("mon tue wed thu fri sat sun", _s("09:30", "11:30", 20, 3))),
    },
}


def seed_appointments(spec: ClinicSpec, plans: list[PatientPlan], now: datetime, seed: int) -> dict[str, int]:
    """The clinic's doctors, then bookings by the desk for patients of each doctor's department (the
    showcase patients left alone), one cancelled. Returns what was written."""
    from chalicelib.api.appointments import BookBody, DoctorBody
    from chalicelib.auth import Principal
    from chalicelib.domain.clock import clock, local_date, parse_iso
    from chalicelib.services import appointments as service
    from chalicelib.store import clinics

    doctors = DOCTORS.get(spec.clinic_id, {})
    if not doctors:
        return {}
    tz = clinics.get(spec.clinic_id).tz
    clock.set(now)
    try:
        for doctor_id, (name, department, weekly) in doctors.items():
            service.put_doctor(spec.clinic_id, doctor_id, DoctorBody.model_validate(
                {"name": name, "department": department, "weekly": weekly}))
    finally:
        clock.release()
    today = local_date(now, tz)
    morning = datetime.combine(today, BOOKED_AT, tzinfo=ZoneInfo(tz))
    at = min(now, morning)
    rng = random.Random(f"{seed}:{spec.clinic_id}:appointments")
    waiting: dict[str, list[str]] = {}  # department -> patients who may book there, in plan order
    for plan in plans:
        if plan.note or not plan.conditions:
            continue
        waiting.setdefault(DEPARTMENT_OF[plan.conditions[0]], []).append(plan.patient_id)
    desk = Principal(role="front_desk", clinic_id=spec.clinic_id, subject="seed",
                     username=f"front_desk@{spec.clinic_id}", roles=("front_desk",))
    made = []
    clock.set(at)
    try:
        for doctor_id, (_, department, _) in doctors.items():
            slots = service.open_slots(spec.clinic_id, department, doctor_id, today,
                                       today + timedelta(days=BOOKING_DAYS - 1))["items"]
            for slot in slots:
                queue = waiting.get(department) or []
                if not queue or rng.random() >= SHARE_BOOKED:
                    continue
                body = BookBody.model_validate({"doctor_id": doctor_id, "date": slot["date"], "start": slot["start"]})
                made.append(service.book(desk, queue.pop(0), body)["appointment"])
        # one patient called to cancel: a booking of a later day
        later = [a for a in made if a["date"] != today.isoformat()]
        if later:
            service.cancel(desk, rng.choice(later)["appointment_id"], own=False)
    finally:
        clock.release()
    # most of those whose slot of today has started came: the desk marked them arrived as the slot began
    # (which records their visit); the others are the first sweep's no-shows once an hour has passed
    arrived = 0
    for booking in made:
        starts = parse_iso(booking["starts_at"])
        if booking["date"] != today.isoformat() or starts > now or rng.random() >= ARRIVED_SHARE:
            continue
        clock.set(starts)
        try:
            service.arrive(desk, booking["appointment_id"])
        finally:
            clock.release()
        arrived += 1
    return {"doctors": len(doctors), "appointments": len(made), "appointments_cancelled": int(bool(later)),
            "appointments_arrived": arrived}
