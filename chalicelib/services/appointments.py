"""Appointments: doctors and their weekly schedules, open slots, booking with capacity, cancelling,
rescheduling, arrival (which records the visit) and the no-show sweep. docs/appointments.md."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from chalicelib.domain import appointments as rules
from chalicelib.domain.clock import clock, iso, local_date
from chalicelib.errors import AppError, BadRequest, Conflict, NotFound
from chalicelib.observability import count
from chalicelib.store import appointments as store
from chalicelib.store import clinics, idempotency, patients
from chalicelib.store import plan as plans


def _clinic(clinic_id: str):
    return clinics.get(clinic_id)


def _sessions(raw: list[dict[str, Any]]) -> list[rules.Session]:
    return rules.sessions_of(raw)


# -- doctors and holidays ---------------------------------------------------------------------------

def doctor_row(doctor: store.Doctor) -> dict[str, Any]:
    return {"doctor_id": doctor.doctor_id, "name": doctor.name, "department": doctor.department,
            "active": doctor.active, "weekly": doctor.weekly,
            "exceptions": [{"date": day, "sessions": sessions} for day, sessions in sorted(doctor.exceptions.items())],
            "updated_at": doctor.updated_at}


def put_doctor(clinic_id: str, doctor_id: str, body) -> dict[str, Any]:
    """Add or replace a doctor with their weekly sessions and date exceptions."""
    from chalicelib.services import catalogue

    clinic = _clinic(clinic_id)
    catalogue.require(catalogue.of_clinic(clinic), "departments", [body.department], "department")
    weekly: dict[str, list[dict[str, Any]]] = {}
    for weekday in rules.WEEKDAYS:
        sessions = getattr(body.weekly, weekday)
        problem = rules.session_problem(_sessions([s.model_dump() for s in sessions]))
        if problem:
            raise BadRequest(problem, code="invalid_schedule", field=f"weekly.{weekday}")
        if sessions:
            weekly[weekday] = [s.model_dump() for s in sessions]
    exceptions: dict[str, list[dict[str, Any]]] = {}
    for n, exception in enumerate(body.exceptions):
        day = exception.date.isoformat()
        if day in exceptions:
            raise BadRequest(f"two exceptions for {day}", code="invalid_schedule", field=f"exceptions.{n}.date")
        sessions = [s.model_dump() for s in exception.sessions]
        problem = rules.session_problem(_sessions(sessions))
        if problem:
            raise BadRequest(problem, code="invalid_schedule", field=f"exceptions.{n}.sessions")
        exceptions[day] = sessions
    doctor = store.Doctor(doctor_id, body.name, body.department, body.active, weekly, exceptions, iso(clock.now()))
    return {"doctor": doctor_row(store.put_doctor(clinic_id, doctor))}


def list_doctors(clinic_id: str) -> dict[str, Any]:
    return {"items": [doctor_row(d) for d in store.doctors(clinic_id)], "holidays": store.holidays(clinic_id)}


def put_holidays(clinic_id: str, body) -> dict[str, Any]:
    seen: set[str] = set()
    days = []
    for n, entry in enumerate(sorted(body.days, key=lambda e: e.date)):
        day = entry.date.isoformat()
        if day in seen:
            raise BadRequest(f"{day} is listed twice", code="invalid_schedule", field=f"days.{n}.date")
        seen.add(day)
        days.append({"date": day, "name": entry.name})
    return {"days": store.put_holidays(clinic_id, days, iso(clock.now()))}


def get_holidays(clinic_id: str) -> dict[str, Any]:
    return {"days": store.holidays(clinic_id)}


# -- priority booking (the perk's window on expert slots) --------------------------------------------

class Priority:
    """The priority-booking rule for one caller (docs/appointments.md, "Priority booking").

    A patient (`patient_id` given) sees and books an expert slot inside the perk's window only when
    their badges unlock the perk; their badges are read once, and only when a slot in the window
    comes up. The desk (`patient_id` None) may book any slot and is only told when it opens to all."""

    def __init__(self, clinic, patient_id: str | None):
        from chalicelib.domain.tasks import priority_perk
        from chalicelib.services.tasks import perks_of

        self.perk = priority_perk(perks_of(clinic))
        self.days = self.perk.priority_days if self.perk else None
        self.clinic_id = clinic.clinic_id
        self.patient_id = patient_id
        self._holder: bool | None = None

    def holder(self) -> bool:
        if self._holder is None:
            from chalicelib.services.tasks import holds

            self._holder = (self.perk is not None and self.patient_id is not None
                            and holds(self.clinic_id, self.patient_id, self.perk))
        return self._holder

    def opening(self, slot: rules.Slot, today: date) -> rules.Opening:
        day = date.fromisoformat(slot.day)
        found = rules.opening(day, slot.expert, today, self.days, holder=False)
        if found.bookable:
            return found
        if self.patient_id is None:  # the desk books any slot (docs/appointments.md)
            return rules.Opening(True, False, found.opens_on)
        return rules.opening(day, slot.expert, today, self.days, holder=self.holder())


# -- open slots -------------------------------------------------------------------------------------

def _slots_of(doctor: store.Doctor, day: date, holiday_days: list[str], tz: str) -> list[rules.Slot]:
    weekly = {k: _sessions(v) for k, v in doctor.weekly.items()}
    exceptions = {k: _sessions(v) for k, v in doctor.exceptions.items()}
    return rules.slots_on(doctor.doctor_id, day, rules.sessions_on(day, weekly, exceptions, holiday_days), tz)


def open_slots(clinic_id: str, department: str, doctor_id: str | None, first: date, last: date,
               patient_id: str | None = None) -> dict[str, Any]:
    """The department's (or one doctor's) slots in a date range that have not started yet, with the
    places left: the schedules less the slot counters (one Query of the department's counters). For a
    patient (`patient_id`), expert slots not yet open to everyone are marked by the priority-booking
    rule: bookable with `priority` for a holder of the perk, not bookable with the day they open for
    others (their badges are read only when such a slot is in the range)."""
    from chalicelib.services import catalogue

    clinic = _clinic(clinic_id)
    catalogue.require(catalogue.of_clinic(clinic), "departments", [department], "department")
    now = clock.now()
    today = local_date(now, clinic.tz)
    problem = rules.range_problem(first, last, today)
    if problem:
        raise BadRequest(problem, code="invalid_period", field="to")
    first = max(first, today)
    found = [d for d in store.doctors(clinic_id) if d.department == department and d.active
             and (doctor_id is None or d.doctor_id == doctor_id)]
    if doctor_id is not None and not found:
        raise NotFound("no such doctor in this department", code="doctor_not_found", field="doctor_id")
    holiday_days = [h["date"] for h in store.holidays(clinic_id)]
    taken = store.booked_counts(clinic_id, department, first.isoformat(), last.isoformat())
    priority = Priority(clinic, patient_id)
    items = []
    for day in rules.days(first, last):
        for doctor in found:
            for slot in _slots_of(doctor, day, holiday_days, clinic.tz):
                if not rules.bookable(slot, now):
                    continue
                booked = taken.get((slot.day, slot.start, slot.doctor_id), 0)
                opening = priority.opening(slot, today)
                items.append({"doctor_id": doctor.doctor_id, "doctor_name": doctor.name, "department": department,
                              "date": slot.day, "start": slot.start, "end": slot.end,
                              "starts_at": slot.starts_at, "ends_at": slot.ends_at, "capacity": slot.capacity,
                              "left": max(0, slot.capacity - booked), "expert": slot.expert,
                              "bookable": opening.bookable, "priority": opening.priority,
                              "opens_on": opening.opens_on.isoformat() if opening.opens_on else None})
    items.sort(key=lambda s: (s["starts_at"], s["doctor_id"]))
    return {"tz": clinic.tz, "first_day": first.isoformat(), "last_day": last.isoformat(), "items": items}


# -- bookings ---------------------------------------------------------------------------------------

def appointment_row(a: store.Appointment, doctor_names: dict[str, str] | None = None) -> dict[str, Any]:
    return {"appointment_id": a.appointment_id, "patient_id": a.patient_id, "doctor_id": a.doctor_id,
            "doctor_name": (doctor_names or {}).get(a.doctor_id), "department": a.department, "date": a.day,
            "start": a.start, "end": a.end, "starts_at": a.starts_at, "ends_at": a.ends_at, "expert": a.expert,
            "status": a.status, "booked_at": a.booked_at, "booked_by": a.booked_by, "changed_at": a.changed_at,
            "rescheduled_to": a.rescheduled_to, "visit_id": a.visit_id, "after_reminder_days": a.after_reminder_days}


def _names(clinic_id: str) -> dict[str, str]:
    return {d.doctor_id: d.name for d in store.doctors(clinic_id)}


def _new_booking(clinic_id: str, patient_id: str, body, by: str,
                 after_reminder: bool = True) -> tuple[store.Appointment, int, dict[str, str]]:
    """The booking a request asks for, checked against the doctor's schedule (holidays, exceptions,
    the clinic's zone), the priority-booking rule when the patient books (`by == "patient"`; the desk
    books any slot), and the slot's capacity; BadRequest, NotFound or Conflict otherwise."""
    clinic = _clinic(clinic_id)
    now = clock.now()
    today = local_date(now, clinic.tz)
    if body.date < today or body.date > today + timedelta(days=rules.MAX_AHEAD_DAYS):
        raise BadRequest(f"date must be from today to {rules.MAX_AHEAD_DAYS} days ahead", code="invalid_date",
                         field="date")
    doctor = store.doctor(clinic_id, body.doctor_id)
    if doctor is None or not doctor.active:
        raise NotFound("no such doctor", code="doctor_not_found", field="doctor_id")
    holiday_days = [h["date"] for h in store.holidays(clinic_id)]
    slot = next((s for s in _slots_of(doctor, body.date, holiday_days, clinic.tz) if s.start == body.start), None)
    if slot is None:
        raise NotFound("the doctor has no slot at this time", code="slot_not_found", field="start")
    if not rules.bookable(slot, now):
        raise Conflict("this slot has started", code="slot_started", field="start")
    opening = Priority(clinic, patient_id if by == "patient" else None).opening(slot, today)
    if not opening.bookable:
        raise Conflict(f"this expert slot opens to everyone on {opening.opens_on}; holders of the "
                       "priority-booking perk may book it now", code="slot_not_open_yet", field="date")
    gap = None
    if after_reminder:  # days from the latest reminder to this booking (the KPI "reminder to booking")
        from chalicelib.domain.clock import parse_iso
        from chalicelib.store import recall

        sent = recall.last_sent_at(clinic_id, patient_id)
        gap = rules.days_after_reminder(parse_iso(sent) if sent else None, now, clinic.tz)
    appointment = store.Appointment(clinic_id, patient_id, doctor.doctor_id, doctor.department, slot.day, slot.start,
                                    slot.end, slot.starts_at, slot.ends_at, slot.expert, rules.BOOKED, iso(now), by,
                                    after_reminder_days=gap)
    return appointment, slot.capacity, {doctor.doctor_id: doctor.name}


def _refusals(plan: plans.Plan) -> plans.Plan:
    plan.refuse(store.SLOT_LEFT, Conflict("this slot has no place left", code="slot_full"))
    plan.refuse(store.SLOT_FREE_FOR_PATIENT, Conflict("the patient already holds a booking of this slot",
                                                      code="already_booked"))
    plan.refuse(store.ACTIVE_LEFT, Conflict(f"a patient may hold at most {rules.MAX_ACTIVE} active bookings",
                                            code="too_many_appointments"))
    plan.refuse(store.STILL_BOOKED, Conflict("this booking is no longer booked", code="appointment_not_booked"))
    return plan


def book(principal, patient_id: str, body, idem=None) -> dict[str, Any]:
    """Book a slot for a patient: the slot's counter, the booking, the patient's active count and the
    day's counter in one transaction; then the booking stops the reminders its rules name."""
    clinic_id = principal.clinic_id
    patients.get(clinic_id, patient_id)
    by = "patient" if principal.role == "patient" else f"staff:{principal.username or principal.subject}"
    appointment, capacity, names = _new_booking(clinic_id, patient_id, body, by)
    reply = {"appointment": appointment_row(appointment, names)}
    from chalicelib.services import capacity as offers

    # a recall offer may hold this slot for the patient: the booking takes the held place
    hold = offers.hold_for_booking(clinic_id, patient_id, appointment.day, appointment.start, appointment.doctor_id)
    for held in ((hold, None) if hold is not None else (None,)):
        plan = _refusals(plans.Plan()).add(store.book_steps(appointment, capacity, rules.MAX_ACTIVE,
                                                            from_hold=held is not None), offers.booking_steps(held))
        if idem is not None:
            idempotency.record_in(plan, principal, idem, 201, reply)
        try:
            plans.execute(plan)
            break
        except Conflict as err:
            if held is None or err.code != "slot_full":
                raise  # else the hold was released meanwhile: book an ordinary place
    count("AppointmentsBooked", by=by.split(":")[0])
    _after_booking(clinic_id, patient_id, appointment)
    return reply


def _after_booking(clinic_id: str, patient_id: str, appointment: store.Appointment) -> None:
    from chalicelib.services.visits import record_booking

    record_booking(clinic_id, patient_id, date.fromisoformat(appointment.day))


def _after_cancel(clinic_id: str, cancelled: store.Appointment) -> None:
    """The profile's next booking day moves to the patient's next booking still booked (or goes) when
    it was the cancelled booking's day."""
    patient = patients.get(clinic_id, cancelled.patient_id)
    if patient.next_booking_date != cancelled.day:
        return
    left = sorted(a.day for a in store.of_patient(clinic_id, cancelled.patient_id)
                  if a.status == rules.BOOKED and a.day >= cancelled.day)
    patients.update_profile(patient, {"next_booking_date": left[0] if left else None})


def _find(clinic_id: str, appointment_id: str, patient_id: str | None = None) -> store.Appointment:
    """The booking of this id in the clinic (for a patient: only their own)."""
    parsed = store.parse_id(appointment_id)
    if parsed is None or (patient_id is not None and parsed[0] != patient_id):
        raise NotFound("appointment not found", code="appointment_not_found")
    found = store.get(clinic_id, *parsed)
    if found is None:
        raise NotFound("appointment not found", code="appointment_not_found")
    return found


def patient_appointments(clinic_id: str, patient_id: str, known: bool = True) -> dict[str, Any]:
    """A patient's bookings, latest slot first; `known=False` (an id from staff) checks the patient exists."""
    if not known:
        patients.get(clinic_id, patient_id)
    names = _names(clinic_id)
    items = [appointment_row(a, names) for a in store.of_patient(clinic_id, patient_id)]
    items.sort(key=lambda r: r["starts_at"], reverse=True)
    return {"items": items}


def cancel(principal, appointment_id: str, *, own: bool) -> dict[str, Any]:
    """Cancel a booking that is still booked and has not started; its place goes back to the slot."""
    clinic_id = principal.clinic_id
    appointment = _find(clinic_id, appointment_id, principal.patient_id if own else None)
    if appointment.status != rules.BOOKED:
        raise Conflict("this booking is no longer booked", code="appointment_not_booked")
    if appointment.starts_at <= iso(clock.now()):
        raise Conflict("this booking's slot has started", code="slot_started")
    by = "patient" if own else f"staff:{principal.username or principal.subject}"
    at = iso(clock.now())
    plans.execute(_refusals(plans.Plan()).add(store.close_steps(appointment, rules.CANCELLED, at=at, by=by)))
    count("AppointmentsCancelled", by=by.split(":")[0])
    _after_cancel(clinic_id, appointment)
    return {"appointment": appointment_row(appointment._replace(status=rules.CANCELLED, changed_at=at),
                                           _names(clinic_id))}


def reschedule(principal, appointment_id: str, body) -> dict[str, Any]:
    """Move the caller's booking to another slot: the old one cancelled (its place back) and the new one
    booked (a place taken while one is left) in one transaction."""
    clinic_id, patient_id = principal.clinic_id, principal.patient_id
    old = _find(clinic_id, appointment_id, patient_id)
    if old.status != rules.BOOKED:
        raise Conflict("this booking is no longer booked", code="appointment_not_booked")
    if old.starts_at <= iso(clock.now()):
        raise Conflict("this booking's slot has started", code="slot_started")
    # a moved booking is not a new answer to a reminder: only the first booking counts for that figure
    new, capacity, names = _new_booking(clinic_id, patient_id, body, "patient", after_reminder=False)
    if (new.day, new.start, new.doctor_id) == (old.day, old.start, old.doctor_id):
        raise BadRequest("the new slot is the booked one", code="same_slot", field="start")
    at = iso(clock.now())
    plan = _refusals(plans.Plan())
    plan.add(store.close_steps(old, rules.CANCELLED, at=at, by="patient", count_active=False,
                               rescheduled_to=new.appointment_id))
    plan.add(store.book_steps(new, capacity, None))
    plans.execute(plan)
    count("AppointmentsRescheduled")
    _after_booking(clinic_id, patient_id, new)
    names = {**names, **_names(clinic_id)}
    return {"appointment": appointment_row(new, names),
            "previous": appointment_row(old._replace(status=rules.CANCELLED, changed_at=at,
                                                     rescheduled_to=new.appointment_id), names)}


def day_list(clinic_id: str, day: date, department: str | None, doctor_id: str | None) -> dict[str, Any]:
    """A day's bookings of a department (or all), with each patient's masked name."""
    found = [a for a in store.of_day(clinic_id, day.isoformat(), department)
             if doctor_id is None or a.doctor_id == doctor_id]
    masked = patients.masked_names(clinic_id, {a.patient_id for a in found})
    names = _names(clinic_id)
    items = [{**appointment_row(a, names), "patient_name": masked.get(a.patient_id)} for a in found]
    items.sort(key=lambda r: (r["starts_at"], r["department"], r["doctor_id"], r["status"] != rules.BOOKED,
                              r["booked_at"], r["patient_id"]))
    return {"date": day.isoformat(), "items": items}


def arrive(principal, appointment_id: str) -> dict[str, Any]:
    """The patient came: the visit is recorded as a staff-recorded visit is (on-time points, the
    answered revisit request, reminders stopped) and the booking is marked arrived."""
    from chalicelib.services.visits import external_visit_id, record_visit

    clinic_id = principal.clinic_id
    appointment = _find(clinic_id, appointment_id)
    if appointment.status != rules.BOOKED:
        raise Conflict("this booking is no longer booked", code="appointment_not_booked")
    clinic = _clinic(clinic_id)
    if appointment.day != local_date(clock.now(), clinic.tz).isoformat():
        raise Conflict("a booking is marked arrived on its own day", code="not_appointment_day")
    by = f"staff:{principal.username or principal.subject}"
    # the visit's id comes from the booking, so an arrival retried after a failure records it once
    visit_id = external_visit_id("appointment", appointment.appointment_id)
    points = 0
    try:
        visit = record_visit(clinic_id, appointment.patient_id, visit_date=date.fromisoformat(appointment.day),
                             department=appointment.department, next_due_date=None,
                             recorded_by=principal.username or principal.subject, source="appointment",
                             external_id=appointment.appointment_id)
        visit_id = visit["visit"]["visit_id"]
        points = visit["points_awarded"]
    except AppError as err:
        if err.code != "visit_exists":
            raise
    at = iso(clock.now())
    plans.execute(_refusals(plans.Plan()).add(store.close_steps(appointment, rules.ARRIVED, at=at, by=by,
                                                                visit_id=visit_id)))
    count("AppointmentsArrived")
    row = appointment_row(appointment._replace(status=rules.ARRIVED, changed_at=at, visit_id=visit_id),
                          _names(clinic_id))
    return {"appointment": row, "points_awarded": points}


def mark_no_shows(clinic_id: str, limit: int = 100) -> int:
    """Mark as no_show the bookings still booked whose slot ended more than the grace period ago
    (the sparse due index: only bookings still booked are read). Safe to run again: each change is
    conditional on the booking being still booked."""
    cutoff = iso(clock.now() - rules.NO_SHOW_GRACE)
    marked = 0
    for appointment in store.due_no_shows(clinic_id, cutoff, limit):
        try:
            plans.execute(_refusals(plans.Plan()).add(store.close_steps(appointment, rules.NO_SHOW,
                                                                        at=iso(clock.now()), by="sweep")))
        except AppError as err:
            if err.code != "appointment_not_booked":  # arrived or cancelled meanwhile
                raise
            continue
        marked += 1
    if marked:
        count("AppointmentsNoShow", value=marked)
    return marked


def show_figures(clinic_id: str, today: date, days: int = 30) -> dict[str, Any]:
    """Show and no-show rates of the bookings of the last `days` days (the day counters: one Query)."""
    totals = store.day_totals(clinic_id, (today - timedelta(days=days)).isoformat(), today.isoformat())
    arrived = sum(t["arrived"] for t in totals.values())
    missed = sum(t["no_show"] for t in totals.values())
    figures = rules.rates(arrived, missed)
    figures["booked"] = sum(t["booked"] for t in totals.values())
    figures["cancelled"] = sum(t["cancelled"] for t in totals.values())
    figures["days"] = days
    return figures
