"""Appointments: admins keep doctors, weekly schedules and holidays; patients and the desk see open
slots and book; patients cancel and reschedule their own; the desk lists a day, cancels and marks
arrivals. docs/appointments.md."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, Optional

from chalice import Blueprint
from pydantic import Field

from chalicelib.api import replies
from chalicelib.api.models import CODE, Id, Strict
from chalicelib.api.routing import ADMIN, IN_TRANSACTION, PATIENT, READERS, STAFF, route
from chalicelib.lazy import lazy

if TYPE_CHECKING:
    from chalicelib.services import appointments as service
else:
    service = lazy("chalicelib.services.appointments")

bp: Blueprint = Blueprint(__name__)

HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class SessionBody(Strict):
    start: str = Field(pattern=HHMM, description="clinic-local time HH:MM")
    end: str = Field(pattern=r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$", description="clinic-local time HH:MM")
    slot_minutes: int = Field(ge=5, le=240)
    capacity: int = Field(ge=1, le=100, description="patients per slot")
    expert: bool = False


def _sessions() -> Any:
    return Field(default_factory=list, max_length=12)


class WeeklyBody(Strict):
    mon: list[SessionBody] = _sessions()
    tue: list[SessionBody] = _sessions()
    wed: list[SessionBody] = _sessions()
    thu: list[SessionBody] = _sessions()
    fri: list[SessionBody] = _sessions()
    sat: list[SessionBody] = _sessions()
    sun: list[SessionBody] = _sessions()


class ExceptionBody(Strict):
    date: date
    sessions: list[SessionBody] = Field(default_factory=list, max_length=12,
                                        description="the sessions of that day instead of the weekday's; empty: closed")


class DoctorBody(Strict):
    name: str = Field(min_length=1, max_length=40)
    department: str = Field(min_length=2, max_length=40, pattern=CODE,
                            description="one of the clinic's departments (GET /clinic/catalogue)")
    active: bool = True
    weekly: WeeklyBody = Field(default_factory=WeeklyBody)
    exceptions: list[ExceptionBody] = Field(default_factory=list, max_length=366)


class HolidayBody(Strict):
    date: date
    name: str = Field(default="", max_length=40)


class HolidaysBody(Strict):
    days: list[HolidayBody] = Field(max_length=366)


class SlotQuery(Strict):
    department: str = Field(min_length=2, max_length=40, pattern=CODE)
    doctor_id: Optional[str] = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    first_day: date = Field(alias="from")
    last_day: date = Field(alias="to", description="at most 31 days after `from`")


class BookBody(Strict):
    doctor_id: str = Id
    date: date
    start: str = Field(pattern=HHMM, description="the slot's clinic-local start, as GET .../slots lists it")


class DayQuery(Strict):
    day: date = Field(alias="date")
    department: Optional[str] = Field(default=None, min_length=2, max_length=40, pattern=CODE)
    doctor_id: Optional[str] = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")


BOOK_ERRORS = ("invalid_date", "doctor_not_found", "slot_not_found", "slot_started", "slot_full", "already_booked",
               "too_many_appointments")
# a patient's own booking also follows the priority-booking rule (the desk books any slot)
MY_BOOK_ERRORS = BOOK_ERRORS + ("slot_not_open_yet",)


@route(bp, "/doctors", roles=READERS, reply=replies.DoctorsReply,
       summary="The clinic's doctors with their weekly sessions and date exceptions, and the clinic's holidays")
def doctors(call):
    return service.list_doctors(call.principal.clinic_id)


@route(bp, "/doctors/{doctor_id}", methods=("PUT",), roles=ADMIN, body=DoctorBody, reply=replies.PutDoctorReply,
       errors=("unknown_department", "invalid_schedule"),
       summary="Add or replace a doctor: department, weekly sessions (slots, capacity, expert) and date exceptions")
def put_doctor(call):
    return service.put_doctor(call.principal.clinic_id, call.params["doctor_id"], call.body)


@route(bp, "/clinic/holidays", roles=READERS, reply=replies.HolidaysReply,
       summary="The days the whole clinic is closed")
def holidays(call):
    return service.get_holidays(call.principal.clinic_id)


@route(bp, "/clinic/holidays", methods=("PUT",), roles=ADMIN, body=HolidaysBody, reply=replies.HolidaysReply,
       errors=("invalid_schedule",), summary="Replace the days the whole clinic is closed")
def put_holidays(call):
    return service.put_holidays(call.principal.clinic_id, call.body)


def _slots(call, patient_id=None):
    q = call.query
    return service.open_slots(call.principal.clinic_id, q.department, q.doctor_id, q.first_day, q.last_day,
                              patient_id)


@route(bp, "/me/appointment-slots", roles=PATIENT, query=SlotQuery, reply=replies.SlotsReply,
       errors=("unknown_department", "invalid_period", "doctor_not_found"),
       summary="Open slots of a department (or one doctor) over up to 31 days from today, with the places left; "
               "expert slots not yet open to everyone are bookable (priority) for holders of the "
               "priority-booking perk and show the day they open to others")
def my_slots(call):
    return _slots(call, call.principal.patient_id)


@route(bp, "/appointment-slots", roles=STAFF, query=SlotQuery, reply=replies.SlotsReply,
       errors=("unknown_department", "invalid_period", "doctor_not_found"),
       summary="Open slots of a department (or one doctor) over up to 31 days from today, with the places left")
def slots(call):
    return _slots(call)


@route(bp, "/me/appointments", methods=("POST",), roles=PATIENT, body=BookBody, idempotent=IN_TRANSACTION,
       reply=replies.AppointmentReply, status=201, errors=MY_BOOK_ERRORS,
       summary="Book a slot for oneself (an expert slot inside the priority window needs the priority-booking "
               "perk); the booking stops the reminders its rules name")
def book_mine(call):
    return 201, service.book(call.principal, call.principal.patient_id, call.body, call.idem)


@route(bp, "/me/appointments", roles=PATIENT, reply=replies.AppointmentsReply,
       summary="The caller's bookings, latest slot first")
def my_appointments(call):
    return service.patient_appointments(call.principal.clinic_id, call.principal.patient_id)


@route(bp, "/me/appointments/{appointment_id}/cancel", methods=("POST",), roles=PATIENT,
       reply=replies.AppointmentReply, errors=("appointment_not_booked", "slot_started"),
       summary="Cancel one's booking before its slot starts; the place goes back to the slot")
def cancel_mine(call):
    return service.cancel(call.principal, call.params["appointment_id"], own=True)


@route(bp, "/me/appointments/{appointment_id}/reschedule", methods=("POST",), roles=PATIENT, body=BookBody,
       reply=replies.RescheduleReply, errors=MY_BOOK_ERRORS + ("appointment_not_booked", "same_slot"),
       summary="Move one's booking to another slot (the old one cancelled, the new one booked, in one write)")
def reschedule_mine(call):
    return service.reschedule(call.principal, call.params["appointment_id"], call.body)


@route(bp, "/patients/{patient_id}/appointments", methods=("POST",), roles=STAFF, body=BookBody,
       idempotent=IN_TRANSACTION, reply=replies.AppointmentReply, status=201, errors=BOOK_ERRORS,
       summary="Book a slot for a patient of the clinic (the desk; any slot, the priority window included)")
def book_for_patient(call):
    return 201, service.book(call.principal, call.params["patient_id"], call.body, call.idem)


@route(bp, "/patients/{patient_id}/appointments", roles=STAFF, reply=replies.AppointmentsReply,
       summary="A patient's bookings, latest slot first (the desk, on the patient's page)")
def patient_appointments(call):
    return service.patient_appointments(call.principal.clinic_id, call.params["patient_id"], known=False)


@route(bp, "/appointments", roles=STAFF, query=DayQuery, reply=replies.DayAppointmentsReply,
       summary="A day's bookings of a department (or all), with masked patient names")
def day_appointments(call):
    q = call.query
    return service.day_list(call.principal.clinic_id, q.day, q.department, q.doctor_id)


@route(bp, "/appointments/{appointment_id}/cancel", methods=("POST",), roles=STAFF,
       reply=replies.AppointmentReply, errors=("appointment_not_booked", "slot_started"),
       summary="Cancel a booking before its slot starts (the desk); the place goes back to the slot")
def cancel_booking(call):
    return service.cancel(call.principal, call.params["appointment_id"], own=False)


@route(bp, "/appointments/{appointment_id}/arrive", methods=("POST",), roles=STAFF,
       reply=replies.ArriveReply, errors=("appointment_not_booked", "not_appointment_day"),
       summary="The patient came: record the visit (on-time points, reminders stopped) and mark the booking arrived")
def arrive(call):
    return service.arrive(call.principal, call.params["appointment_id"])


@route(bp, "/me/slot-offers", roles=PATIENT, reply=replies.SlotOffersReply,
       summary="The slots recall reminders hold for the caller (book one with POST /me/appointments)")
def my_slot_offers(call):
    from chalicelib.services import capacity

    return capacity.my_offers(call.principal.clinic_id, call.principal.patient_id)
