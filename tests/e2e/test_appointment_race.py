"""Ten patients race for the last place of a slot over HTTP, on the threaded `chalice local` of the
running local stack: exactly one gets it, the others are told the slot is full; nothing answers 5xx."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tests.e2e.test_attacks import as_json, new_patient, send, staff_token


def test_ten_patients_race_for_the_last_place_over_http(local_stack):
    base = local_stack.api_url
    admin = staff_token(local_stack, "admin@demo-dental")
    session = {"start": "09:00", "end": "10:00", "slot_minutes": 60, "capacity": 2}
    weekly = {day: [session] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    status, data, _ = send(base, "PUT", "/doctors/dr-race", as_json(
        {"name": "赛医生", "department": "dermatology", "weekly": weekly}), token=admin)
    assert status == 200, data
    day = (datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=3)).isoformat()
    slot = as_json({"doctor_id": "dr-race", "date": day, "start": "09:00"})
    first = new_patient(local_stack, "slot-first", "13855551000")["access_token"]
    status, data, _ = send(base, "POST", "/me/appointments", slot, token=first)
    assert status == 201, data  # one place of two taken: the other is the last
    racers = [new_patient(local_stack, f"slot-racer{i}", f"138555510{i + 10:02d}")["access_token"] for i in range(10)]

    def book(token):
        return send(base, "POST", "/me/appointments", slot, token=token)

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(book, racers))
    assert all(status < 500 for status, _, _ in answers), answers
    assert sum(1 for status, _, _ in answers if status == 201) == 1, answers
    refused = [data["code"] for status, data, _ in answers if status != 201]
    assert set(refused) <= {"slot_full", "try_again"} and "slot_full" in refused, refused
    status, open_slots, _ = send(base, "GET", f"/me/appointment-slots?department=dermatology&from={day}&to={day}",
                                 token=first)
    assert status == 200, open_slots
    assert [(s["doctor_id"], s["left"]) for s in open_slots["items"] if s["doctor_id"] == "dr-race"] == [("dr-race", 0)]
    holders = [t for t in racers if send(base, "GET", "/me/appointments", token=t)[1]["items"]]
    assert len(holders) == 1
