"""GET /me/home: the mini-program's home page in one request, in at most three DynamoDB reads."""

from contextlib import contextmanager

import pytest

from tests.conftest import T0

GUARD = "glucose-guard-365"
READ_OPS = ("GetItem", "BatchGetItem", "TransactGetItems", "Query", "Scan")


@contextmanager
def dynamodb_reads():
    """The DynamoDB read calls made inside the block (every client: PynamoDB's and the raw one)."""
    from botocore.client import BaseClient

    calls: list[str] = []
    original = BaseClient._make_api_call

    def counted(self, operation, params):
        if self.meta.service_model.service_name == "dynamodb" and operation in READ_OPS:
            calls.append(operation)
        return original(self, operation, params)

    BaseClient._make_api_call = counted
    try:
        yield calls
    finally:
        BaseClient._make_api_call = original


def put_message(pid, message_id, read=False):
    from chalicelib.store.inbox import InboxMessage, stored_in
    from chalicelib.store.keys import patient_pk

    item = stored_in(patient_pk("demo-dental", pid), InboxMessage(message_id, "复诊提醒", "{nickname}您好", "service",
                                                                  T0.isoformat()))
    if read:
        item.read_at = T0.isoformat()
    item.save()


@pytest.fixture
def busy_patient(api, new_patient, staff_token):
    """A patient with a check-in, tasks, an enrolment, a lot, inbox messages, a visit and a booking."""
    token, pid = new_patient(name="homer", conditions=["diabetes"])
    staff = staff_token("demo-dental", "front_desk")
    assert api.post(f"/patients/{pid}/points/adjustments", {"points": 40, "reason": "活动"}, token=staff)[0] == 201
    assert api.post(f"/me/challenges/{GUARD}/join", token=token)[0] in (200, 201)
    assert api.post("/me/checkins", {"type": "glucose", "value": 6.2, "client_time": T0.isoformat()},
                    token=token)[0] == 201
    assert api.post(f"/patients/{pid}/exams", {"taken_on": "2026-11-18", "flags": ["high_bmi"], "exam_id": "HC-9"},
                    token=staff)[0] == 201
    assert api.post(f"/patients/{pid}/visits", {"visit_date": "2026-11-19", "department": "endocrinology",
                                                "next_due_date": "2027-02-19"}, token=staff)[0] == 201
    assert api.post(f"/patients/{pid}/bookings", {"date": "2026-12-01"}, token=staff)[0] == 201
    assert api.put("/me", {"nickname": "糖豆"}, token=token)[0] == 200
    for n in range(3):
        put_message(pid, f"m{n}", read=(n == 0))
    return token, pid


def test_home_shows_the_day_in_one_request_and_three_reads(api, busy_patient):
    token, _ = busy_patient
    with dynamodb_reads() as reads:
        status, home = api.get("/me/home", token=token)
    assert status == 200, home
    assert len(reads) <= 3, reads
    assert home["today"] == "2026-11-20"
    assert home["me"] == {"name_masked": "张**", "nickname": "糖豆"}
    assert [(c["type"], c["value"], c["counted"]) for c in home["checkins"]] == [("glucose", 6.2, True)]
    assert home["tasks"] and all(t["progress"] == 0 and t["title"] for t in home["tasks"])
    assert "walk-8000" not in str(home["tasks"])  # titles, not keys
    streak = next(s for s in home["streaks"] if s["challenge_id"] == GUARD)
    assert streak["current_streak"] == 1 and streak["days"] == 7 and streak["days_to_go"] == 6
    assert home["points"]["balance"] == 41  # 40 from the desk, 1 for the check-in
    assert home["points"]["next_expiring"]["points"] == 41
    assert home["revisit"] == {"revisit_due_date": "2027-02-19", "next_booking_date": "2026-12-01"}
    assert home["inbox_unread"] == 2


def test_home_of_a_new_patient_is_empty_not_missing(api, new_patient):
    token, _ = new_patient(name="newbie")
    status, home = api.get("/me/home", token=token)
    assert status == 200
    assert home["checkins"] == [] and home["tasks"] == [] and home["streaks"] == []
    assert home["points"] == {"balance": 0, "tier": home["points"]["tier"], "next_expiring": None}
    assert home["inbox_unread"] == 0 and home["me"]["nickname"] is None


def test_a_blood_pressure_on_home_carries_both_numbers(api, new_patient):
    token, _ = new_patient(name="presser")
    reading = {"type": "blood_pressure", "value": 128, "diastolic": 82, "client_time": T0.isoformat()}
    assert api.post("/me/checkins", reading, token=token)[0] == 201
    assert api.post("/me/checkins", {"type": "glucose", "value": 6.0, "client_time": T0.isoformat()},
                    token=token)[0] == 201
    checkins = api.get("/me/home", token=token)[1]["checkins"]
    assert {(c["type"], c["value"], c.get("diastolic")) for c in checkins} == {("blood_pressure", 128, 82),
                                                                            ("glucose", 6.0, None)}


def test_home_is_the_callers_own(api, busy_patient, new_patient, staff_token):
    other, _ = new_patient(name="neighbour", phone="13800009999")
    status, home = api.get("/me/home", token=other)
    assert status == 200 and home["checkins"] == [] and home["inbox_unread"] == 0
    status, err = api.get("/me/home", token=staff_token())
    assert status == 403 and err["code"] == "wrong_role"
