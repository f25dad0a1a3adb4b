"""Appointments through the API: doctors and schedules, open slots (holidays, exceptions, the clinic's
zone), booking with capacity, cancel, reschedule, arrival, the no-show sweep and the day counters.

T0 is Friday 2026-11-20, 10:00 in Shanghai (02:00 UTC)."""

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import pytest

DERM = "dermatology"


def session(start, end, minutes, capacity, expert=False):
    return {"start": start, "end": end, "slot_minutes": minutes, "capacity": capacity, "expert": expert}


MORNING = session("09:00", "11:00", 30, 2)
WEEKLY = {day: [MORNING] for day in ("mon", "tue", "wed", "thu")}
WEEKLY["fri"] = [MORNING, session("14:00", "15:00", 60, 1, expert=True)]
DOCTOR = {"name": "李医生", "department": DERM, "weekly": WEEKLY,
          "exceptions": [{"date": "2026-11-24", "sessions": [session("13:00", "14:00", 30, 1)]},
                         {"date": "2026-11-25", "sessions": []}]}


@pytest.fixture
def desk(api, staff_token):
    admin = staff_token("demo-dental", "admin")
    status, put = api.put("/doctors/dr-li", DOCTOR, token=admin)
    assert status == 200, put
    status, days = api.put("/clinic/holidays", {"days": [{"date": "2026-11-23", "name": "院庆"}]}, token=admin)
    assert status == 200, days
    return {"admin": admin, "staff": staff_token("demo-dental", "front_desk")}


def slots(api, token, first="2026-11-20", last="2026-11-25", me=True, **extra):
    query = "&".join(f"{k}={v}" for k, v in {"department": DERM, "from": first, "to": last, **extra}.items())
    return api.get(f"/{'me/' if me else ''}appointment-slots?{query}", token=token)


def book(api, token, day, start, doctor="dr-li", path="/me/appointments", headers=None):
    return api.post(path, {"doctor_id": doctor, "date": day, "start": start}, token=token, headers=headers)


def test_schedules_are_validated_and_listed(api, desk, staff_token):
    admin = desk["admin"]
    bad = {**DOCTOR, "weekly": {"mon": [session("09:00", "10:00", 30, 1), session("09:30", "11:00", 30, 1)]}}
    status, err = api.put("/doctors/dr-x", bad, token=admin)
    assert status == 400 and err["code"] == "invalid_schedule" and err["field"] == "weekly.mon"
    bad = {**DOCTOR, "weekly": {"tue": [session("10:00", "09:00", 30, 1)]}}
    assert api.put("/doctors/dr-x", bad, token=admin)[1]["code"] == "invalid_schedule"
    bad = {**DOCTOR, "weekly": {"tue": [session("09:00", "09:50", 30, 1)]}}  # not whole slots
    assert api.put("/doctors/dr-x", bad, token=admin)[1]["code"] == "invalid_schedule"
    bad = {**DOCTOR, "weekly": {"tue": [session("9:00", "10:00", 30, 1)]}}
    status, err = api.put("/doctors/dr-x", bad, token=admin)
    assert status == 400 and err["code"] == "invalid_input"
    status, err = api.put("/doctors/dr-x", {**DOCTOR, "department": "cardiology"}, token=admin)
    assert status == 400 and err["code"] == "unknown_department"
    bad = {**DOCTOR, "exceptions": [{"date": "2026-12-01", "sessions": []}, {"date": "2026-12-01", "sessions": []}]}
    assert api.put("/doctors/dr-x", bad, token=admin)[1]["field"] == "exceptions.1.date"
    assert api.put("/doctors/dr-x", {**DOCTOR, "capacity": 3}, token=admin)[1]["code"] == "unknown_field"
    status, err = api.put("/doctors/dr-x", DOCTOR, token=desk["staff"])
    assert status == 403
    status, listed = api.get("/doctors", token=staff_token("demo-dental", "analyst"))
    assert status == 200 and [d["doctor_id"] for d in listed["items"]] == ["dr-li"]
    assert listed["items"][0]["weekly"]["fri"][1]["expert"] is True
    assert listed["holidays"] == [{"date": "2026-11-23", "name": "院庆"}]
    assert api.get("/clinic/holidays", token=admin)[1]["days"] == listed["holidays"]
    # another clinic sees none of them
    assert api.get("/doctors", token=staff_token("other-clinic", "admin"))[1]["items"] == []


def test_open_slots_follow_holidays_exceptions_and_the_clinic_zone(api, desk, new_patient, clock):
    token, _ = new_patient()
    status, found = slots(api, token)
    assert status == 200, found
    # Friday: 09:00-10:00 have started (it is 10:00), 10:30 and the expert 14:00 are open; the weekend is
    # empty, Monday is a holiday, Tuesday has its exception's sessions, Wednesday is closed
    assert [(s["date"], s["start"], s["capacity"], s["left"], s["expert"]) for s in found["items"]] == [
        ("2026-11-20", "10:30", 2, 2, False), ("2026-11-20", "14:00", 1, 1, True),
        ("2026-11-24", "13:00", 1, 1, False), ("2026-11-24", "13:30", 1, 1, False)]
    first = found["items"][0]
    assert (first["starts_at"], first["ends_at"], first["doctor_name"]) == ("2026-11-20T02:30:00Z",
                                                                            "2026-11-20T03:00:00Z", "李医生")
    assert found["tz"] == "Asia/Shanghai"
    assert slots(api, desk["staff"], me=False, doctor_id="dr-li")[1] == found
    status, err = slots(api, token, doctor_id="dr-nobody")
    assert status == 404 and err["code"] == "doctor_not_found"
    status, err = slots(api, token, first="2026-11-20", last="2026-12-31")
    assert status == 400 and err["code"] == "invalid_period"
    assert slots(api, token, first="2026-11-25", last="2026-11-20")[1]["code"] == "invalid_period"
    assert slots(api, token, department="cardiology")[1]["code"] == "unknown_department"
    # 17:30 UTC on the 20th is already the 21st in Shanghai: the 20th lies in the clinic's past
    clock.set(datetime(2026, 11, 20, 17, 30, tzinfo=timezone.utc))
    token, _ = new_patient(name="late", phone="13800002222")
    status, err = slots(api, token, first="2026-11-20", last="2026-11-20")
    assert status == 400 and err["code"] == "invalid_period"
    assert [s["date"] for s in slots(api, token, first="2026-11-20", last="2026-11-24")[1]["items"]] == [
        "2026-11-24", "2026-11-24"]


def test_book_cancel_reschedule_and_limits(api, desk, new_patient, staff_token):
    alice, alice_id = new_patient()
    bob, bob_id = new_patient(name="bob", phone="13800003333")
    status, made = book(api, alice, "2026-11-20", "14:00", headers={"Idempotency-Key": "book-1"})
    assert status == 201, made
    booking = made["appointment"]
    assert (booking["status"], booking["patient_id"], booking["expert"], booking["booked_by"]) == (
        "booked", alice_id, True, "patient")
    assert book(api, alice, "2026-11-20", "14:00", headers={"Idempotency-Key": "book-1"}) == (201, made)  # replay
    status, err = book(api, bob, "2026-11-20", "14:00")
    assert status == 409 and err["code"] == "slot_full"
    status, err = book(api, alice, "2026-11-20", "14:00")
    assert status == 409 and err["code"] in ("slot_full", "already_booked")
    assert book(api, alice, "2026-11-20", "10:30")[0] == 201
    status, err = book(api, alice, "2026-11-20", "10:30")
    assert status == 409 and err["code"] == "already_booked"  # one booking per slot, though a place is left
    assert book(api, alice, "2026-11-24", "13:00")[0] == 201
    status, err = book(api, alice, "2026-11-24", "13:30")
    assert status == 409 and err["code"] == "too_many_appointments"
    # slots that do not exist or have started
    assert book(api, bob, "2026-11-23", "09:00")[1]["code"] == "slot_not_found"  # the holiday
    assert book(api, bob, "2026-11-25", "09:00")[1]["code"] == "slot_not_found"  # closed by exception
    assert book(api, bob, "2026-11-20", "09:30")[1]["code"] == "slot_started"
    assert book(api, bob, "2026-11-19", "09:30")[1]["code"] == "invalid_date"
    assert book(api, bob, "2026-11-24", "13:00", doctor="dr-nobody")[1]["code"] == "doctor_not_found"

    left = {(s["date"], s["start"]): s["left"] for s in slots(api, bob)[1]["items"]}
    assert left == {("2026-11-20", "10:30"): 1, ("2026-11-20", "14:00"): 0, ("2026-11-24", "13:00"): 0,
                    ("2026-11-24", "13:30"): 1}
    mine = api.get("/me/appointments", token=alice)[1]["items"]
    assert [(a["date"], a["start"], a["status"]) for a in mine] == [
        ("2026-11-24", "13:00", "booked"), ("2026-11-20", "14:00", "booked"), ("2026-11-20", "10:30", "booked")]
    assert api.get("/me/appointments", token=bob)[1]["items"] == []

    # bob cannot touch alice's booking, whatever id he sends
    expert_id = booking["appointment_id"]
    assert api.post(f"/me/appointments/{expert_id}/cancel", token=bob)[1]["code"] == "appointment_not_found"
    assert api.post("/me/appointments/nonsense/cancel", token=bob)[1]["code"] == "appointment_not_found"
    other_staff = staff_token("other-clinic", "admin")
    assert api.post(f"/appointments/{expert_id}/cancel", token=other_staff)[0] == 404
    # alice cancels: the place goes back, bob takes it
    status, cancelled = api.post(f"/me/appointments/{expert_id}/cancel", token=alice)
    assert status == 200 and cancelled["appointment"]["status"] == "cancelled"
    assert api.post(f"/me/appointments/{expert_id}/cancel", token=alice)[1]["code"] == "appointment_not_booked"
    assert book(api, bob, "2026-11-20", "14:00")[0] == 201
    # alice may book again (three active again), and may rebook the slot she cancelled once a place is free
    tue = next(a for a in mine if a["date"] == "2026-11-24")["appointment_id"]
    status, moved = api.post(f"/me/appointments/{tue}/reschedule",
                             {"doctor_id": "dr-li", "date": "2026-11-24", "start": "13:30"}, token=alice)
    assert status == 200, moved
    assert moved["previous"]["status"] == "cancelled" and moved["previous"]["rescheduled_to"] == \
        moved["appointment"]["appointment_id"]
    assert moved["appointment"]["start"] == "13:30"
    status, err = api.post(f"/me/appointments/{moved['appointment']['appointment_id']}/reschedule",
                           {"doctor_id": "dr-li", "date": "2026-11-24", "start": "13:30"}, token=alice)
    assert status == 400 and err["code"] == "same_slot"
    left = {(s["date"], s["start"]): s["left"] for s in slots(api, bob)[1]["items"]}
    assert left[("2026-11-24", "13:00")] == 1 and left[("2026-11-24", "13:30")] == 0
    # a reschedule into a full slot changes nothing
    status, err = api.post(f"/me/appointments/{moved['appointment']['appointment_id']}/reschedule",
                           {"doctor_id": "dr-li", "date": "2026-11-20", "start": "14:00"}, token=alice)
    assert status == 409 and err["code"] == "slot_full"
    assert [a["status"] for a in api.get("/me/appointments", token=alice)[1]["items"]].count("booked") == 2

    # the desk books for a patient, lists the day with masked names, and cancels
    staff = desk["staff"]
    status, made = book(api, staff, "2026-11-24", "13:00", path=f"/patients/{bob_id}/appointments")
    assert status == 201 and made["appointment"]["booked_by"] == "staff:front_desk@demo-dental"
    status, day = api.get(f"/appointments?date=2026-11-24&department={DERM}", token=staff)
    assert status == 200
    # by time, the bookings still booked before the cancelled ones of the same slot
    assert [(a["start"], a["patient_id"], a["status"]) for a in day["items"]] == [
        ("13:00", bob_id, "booked"), ("13:00", alice_id, "cancelled"), ("13:30", alice_id, "booked")]
    assert all(a["patient_name"] and "*" in a["patient_name"] for a in day["items"])
    assert api.get("/appointments?date=2026-11-24&department=dentistry", token=staff)[1]["items"] == []
    assert api.get("/appointments?date=2026-11-24", token=other_staff)[1]["items"] == []
    assert book(api, other_staff, "2026-11-24", "13:30", path=f"/patients/{bob_id}/appointments")[0] == 404
    status, gone = api.post(f"/appointments/{made['appointment']['appointment_id']}/cancel", token=staff)
    assert status == 200 and gone["appointment"]["status"] == "cancelled"
    # the desk lists a patient's bookings (the patient's page), latest slot first; not another clinic's
    status, listed = api.get(f"/patients/{bob_id}/appointments", token=staff)
    assert status == 200
    assert [(a["date"], a["start"], a["status"], a["doctor_name"]) for a in listed["items"]] == [
        ("2026-11-24", "13:00", "cancelled", "李医生"), ("2026-11-20", "14:00", "booked", "李医生")]
    assert api.get(f"/patients/{alice_id}/appointments", token=staff)[1]["items"] == \
        api.get("/me/appointments", token=alice)[1]["items"]
    status, err = api.get(f"/patients/{bob_id}/appointments", token=other_staff)
    assert status == 404 and err["code"] == "patient_not_found"


def test_ten_patients_race_for_the_last_place(api, desk, new_patient, one_request_at_a_time):
    tokens = [new_patient(name=f"racer{i}", phone=f"138000050{i:02d}")[0] for i in range(10)]

    def attempt(token):
        return book(api, token, "2026-11-20", "14:00")

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(attempt, tokens))
    assert all(status < 500 for status, _ in answers), answers
    assert sum(1 for status, _ in answers if status == 201) == 1, answers
    refused = [data for status, data in answers if status != 201]
    assert all(data["code"] in ("slot_full", "try_again") for data in refused), refused
    assert sum(1 for data in refused if data["code"] == "slot_full") >= 1
    assert next(s for s in slots(api, tokens[0])[1]["items"] if s["start"] == "14:00")["left"] == 0
    booked = [t for t in tokens if api.get("/me/appointments", token=t)[1]["items"]]
    assert len(booked) == 1


def test_a_booking_stops_the_reminders_its_rule_names(api, desk, new_patient):
    from tests.test_helpers import sweep_lapses

    token, pid = new_patient(consents={"service": True})
    status, planned = api.post(f"/patients/{pid}/remissions", {"condition": "eczema", "date": "2026-10-22"},
                               token=desk["admin"])
    assert status == 201 and planned["planned"]
    assert book(api, token, "2026-11-24", "13:00")[0] == 201
    log = api.get("/reminders", token=desk["admin"])[1]["items"]
    assert [(r["patient_id"], r["status"]) for r in log] == [(pid, "stopped")]
    assert sweep_lapses()["read"] == 0
    assert api.get("/me/home", token=token)[1]["revisit"]["next_booking_date"] == "2026-11-24"
    mine = api.get("/me/appointments", token=token)[1]["items"][0]["appointment_id"]
    assert api.post(f"/me/appointments/{mine}/cancel", token=token)[0] == 200
    assert api.get("/me/home", token=token)[1]["revisit"]["next_booking_date"] is None


def test_arrive_records_the_visit_once(api, desk, new_patient, clock):
    token, pid = new_patient()
    today = book(api, token, "2026-11-20", "10:30")[1]["appointment"]
    later = book(api, token, "2026-11-24", "13:00")[1]["appointment"]
    staff = desk["staff"]
    status, err = api.post(f"/appointments/{later['appointment_id']}/arrive", token=staff)
    assert status == 409 and err["code"] == "not_appointment_day"
    status, arrived = api.post(f"/appointments/{today['appointment_id']}/arrive", token=staff)
    assert status == 200, arrived
    assert arrived["appointment"]["status"] == "arrived" and arrived["appointment"]["visit_id"]
    visits = api.get("/me/visits", token=token)[1]["items"]
    assert [(v["visit_date"], v["department"]) for v in visits] == [("2026-11-20", DERM)]
    assert visits[0]["visit_id"] == arrived["appointment"]["visit_id"]
    status, err = api.post(f"/appointments/{today['appointment_id']}/arrive", token=staff)
    assert status == 409 and err["code"] == "appointment_not_booked"
    assert len(api.get("/me/visits", token=token)[1]["items"]) == 1
    # an arrived booking no longer counts against the patient's limit of active bookings
    assert book(api, token, "2026-11-24", "13:30")[0] == 201
    assert book(api, token, "2026-11-20", "14:00")[0] == 201


def test_no_show_sweep_marks_missed_bookings_once(api, desk, new_patient, staff_token, clock):
    from tests.test_helpers import mark_no_shows
    from chalicelib.services.appointments import show_figures

    token, pid = new_patient()
    other, _ = new_patient(name="came", phone="13800004444")
    missed = book(api, token, "2026-11-20", "14:00")[1]["appointment"]
    came = book(api, other, "2026-11-20", "10:30")[1]["appointment"]
    assert api.post(f"/appointments/{came['appointment_id']}/arrive", token=desk["staff"])[0] == 200
    # the slot ends at 15:00 Shanghai (07:00 UTC); a grace of an hour later it is a no-show, not before
    clock.set(datetime(2026, 11, 20, 7, 59, tzinfo=timezone.utc))
    assert mark_no_shows() == {"marked": 0}
    clock.advance(minutes=2)
    assert mark_no_shows() == {"marked": 1}
    assert mark_no_shows() == {"marked": 0}
    staff = staff_token("demo-dental", "front_desk")  # tokens of the morning have expired
    day = api.get("/appointments?date=2026-11-20", token=staff)[1]["items"]
    assert [(a["patient_id"], a["status"]) for a in day if a["start"] == "14:00"] == [(pid, "no_show")]
    assert api.post(f"/appointments/{missed['appointment_id']}/arrive", token=staff)[1]["code"] == \
        "appointment_not_booked"
    from datetime import date

    figures = show_figures("demo-dental", date(2026, 11, 20))
    assert (figures["arrived"], figures["no_show"], figures["show_rate"], figures["no_show_rate"]) == (1, 1, 0.5, 0.5)
    assert figures["booked"] == 2
    from tests.test_helpers import refresh_kpis

    refresh_kpis()
    kpis = api.get("/dashboard", token=staff)[1]["kpis"]
    assert (kpis["appointments_booked_30"], kpis["appointments_arrived_30"], kpis["appointments_no_show_30"]) == (2, 1, 1)
    assert kpis["show_rate_30"] == 0.5 and kpis["no_show_rate_30"] == 0.5
    assert kpis["basis"]["show_rate_30"] == {"hits": 1, "decided": 2, "pending": 0}
    # the missed booking no longer counts as active
    for start in ("13:00", "13:30"):
        assert book(api, staff, "2026-11-24", start, path=f"/patients/{pid}/appointments")[0] == 201


def test_an_erased_patients_bookings_give_their_places_back(api, desk, new_patient):
    token, _ = new_patient()
    assert book(api, token, "2026-11-24", "13:00")[0] == 201
    other, _ = new_patient(name="next", phone="13800006666")
    assert next(s for s in slots(api, other)[1]["items"] if s["start"] == "13:00")["left"] == 0
    assert api.delete("/me", token=token)[0] in (200, 204)
    assert next(s for s in slots(api, other)[1]["items"] if s["start"] == "13:00")["left"] == 1
    assert book(api, other, "2026-11-24", "13:00")[0] == 201


def test_days_from_reminder_to_booking(api, desk, new_patient, staff_token, clock):
    from chalicelib.jobs import send_reminders
    from chalicelib.jobs.sweep import queue_url
    from tests.test_helpers import refresh_kpis, sweep_lapses
    from devstack.sqs_pump import drain

    token, pid = new_patient(consents={"service": True})
    plain, plain_id = new_patient(name="unreminded", phone="13800007777")
    # remission on 10-21: the day-30 reminder is due now (T0) and sent
    assert api.post(f"/patients/{pid}/remissions", {"condition": "eczema", "date": "2026-10-21"},
                    token=desk["admin"])[0] == 201
    assert sweep_lapses()["queued"] == 1
    drain(queue_url(), send_reminders.handle)
    assert len(api.get("/me/inbox", token=token)[1]["items"]) == 1
    clock.set(datetime(2026, 11, 22, 2, 0, tzinfo=timezone.utc))  # two days later
    staff = staff_token("demo-dental", "front_desk")
    status, made = book(api, staff, "2026-11-24", "13:00", path=f"/patients/{pid}/appointments")
    assert status == 201 and made["appointment"]["after_reminder_days"] == 2
    status, other = book(api, staff, "2026-11-24", "13:30", path=f"/patients/{plain_id}/appointments")
    assert status == 201 and other["appointment"]["after_reminder_days"] is None
    refresh_kpis()
    kpis = api.get("/dashboard", token=staff)[1]["kpis"]
    assert kpis["reminder_bookings"] == 1 and kpis["reminder_to_booking_days"] == 2.0
