"""The eczema lapse reminder end to end: remission -> sweep -> SQS -> sender -> inbox."""

from datetime import timedelta
from urllib.parse import quote

import pytest

from chalicelib.jobs import send_reminders
from chalicelib.jobs.sweep import queue_url
from tests.test_helpers import sweep_lapses
from devstack.sqs_pump import drain


def run_schedule():
    swept = sweep_lapses()
    pumped = drain(queue_url(), send_reminders.handle)
    return swept, pumped


@pytest.fixture
def eczema_patient(api, new_patient, staff_token):
    def make(name="ecz", phone="13811110000", consents=None, **kw):
        token, pid = new_patient(name=name, phone=phone, consents=consents or {"service": True}, **kw)
        return token, pid

    return make


def remission(api, staff, pid, day="2026-10-21"):
    return api.post(f"/patients/{pid}/remissions", {"condition": "eczema", "date": day}, token=staff)


def test_day_30_message_lands_in_the_inbox_once(api, eczema_patient, staff_token, clock):
    staff = staff_token()
    token, pid = eczema_patient()
    status, plan = remission(api, staff, pid)
    assert status == 201
    assert plan["planned"][0]["due_at"] == "2026-11-20T02:00:00Z"  # day 30, 10:00 in Shanghai
    clock.set(clock.now() - timedelta(minutes=1))
    assert run_schedule()[0]["queued"] == 0  # not yet due
    clock.advance(minutes=1)
    swept, pumped = run_schedule()
    assert swept["queued"] == 1 and pumped == {"received": 1, "failed": 0}
    status, inbox = api.get("/me/inbox", token=token)
    assert inbox["unread"] == 1
    message = inbox["items"][0]
    assert "湿疹" in message["body"] and message["body"].startswith("张女士") and "齿护口腔" in message["body"]
    # a second sweep, and one after the lease would have ended, send nothing more
    assert run_schedule()[0]["queued"] == 0
    clock.advance(hours=1)
    assert run_schedule()[0]["read"] == 0
    assert len(api.get("/me/inbox", token=token)[1]["items"]) == 1
    # the mini-program percent-encodes path values (the id holds ':' of a timestamp)
    assert ":" in message["message_id"]
    status, read = api.post(f"/me/inbox/{quote(message['message_id'], safe='')}/read", token=token)
    assert status == 200 and read["message"]["read_at"] and read["message"]["message_id"] == message["message_id"]
    assert api.get("/me/inbox", token=token)[1]["unread"] == 0
    assert api.post(f"/me/inbox/{message['message_id']}/read", token=token)[0] == 200  # and as it is
    assert api.post("/me/inbox/nope/read", token=token)[0] == 404
    status, log = api.get("/reminders", token=staff)
    assert [(r["patient_id"], r["status"], r["channel"]) for r in log["items"]] == [(pid, "sent", "inbox")]
    # another patient cannot mark it
    other, _ = eczema_patient(name="ecz2", phone="13811110001")
    assert api.post(f"/me/inbox/{message['message_id']}/read", token=other)[0] == 404


def test_no_consent_no_message(api, eczema_patient, staff_token, clock):
    staff = staff_token()
    token, pid = eczema_patient(consents={"service": False})
    remission(api, staff, pid)
    swept, pumped = run_schedule()
    assert swept["queued"] == 1
    assert api.get("/me/inbox", token=token)[1]["items"] == []
    log = api.get("/reminders", token=staff)[1]["items"]
    assert log[0]["status"] == "skipped_no_consent"


def test_withdrawn_consent_stops_a_planned_reminder(api, eczema_patient, staff_token):
    staff = staff_token()
    token, pid = eczema_patient()
    remission(api, staff, pid)
    api.post("/me/consents/withdraw", {"purposes": ["service"]}, token=token)
    run_schedule()
    assert api.get("/me/inbox", token=token)[1]["items"] == []


def test_a_visit_or_booking_since_remission_stops_the_reminder(api, eczema_patient, staff_token):
    staff = staff_token()
    token_v, pid_v = eczema_patient(name="visited", phone="13811110002")
    token_b, pid_b = eczema_patient(name="booked", phone="13811110003")
    remission(api, staff, pid_v)
    remission(api, staff, pid_b)
    api.post(f"/patients/{pid_v}/visits", {"visit_date": "2026-11-02", "department": "dermatology"}, token=staff)
    status, booked = api.post(f"/patients/{pid_b}/bookings", {"date": "2026-11-25"}, token=staff)
    assert status == 201 and booked["reminders_stopped"] == 1
    swept, _ = run_schedule()
    assert swept["read"] == 0  # stopped jobs left the due index
    assert api.get("/me/inbox", token=token_v)[1]["items"] == []
    assert api.get("/me/inbox", token=token_b)[1]["items"] == []
    statuses = {r["patient_id"]: r["status"] for r in api.get("/reminders", token=staff)[1]["items"]}
    assert statuses == {pid_v: "stopped", pid_b: "stopped"}


def test_sweep_that_died_after_leasing_is_recovered_after_the_lease(api, eczema_patient, staff_token, clock,
                                                                     monkeypatch):
    staff = staff_token()
    tokens = []
    for i in range(3):
        token, pid = eczema_patient(name=f"crash{i}", phone=f"1381111001{i}")
        remission(api, staff, pid)
        tokens.append(token)
    from chalicelib.jobs import sweep

    def die(url, bodies):
        raise RuntimeError("killed")

    real_send = sweep._send
    monkeypatch.setattr(sweep, "_send", die)
    with pytest.raises(RuntimeError):  # the clinic's sweep dies between leasing and queuing
        sweep.sweep_clinic("demo-dental")
    monkeypatch.setattr(sweep, "_send", real_send)  # only this: undo() would take the test's settings too
    assert run_schedule()[0]["queued"] == 0  # leased, not yet expired: nothing sent twice
    clock.advance(minutes=16)
    swept, pumped = run_schedule()
    assert swept["queued"] == 3 and pumped["received"] == 3
    assert [len(api.get("/me/inbox", token=t)[1]["items"]) for t in tokens] == [1, 1, 1]


def test_a_message_delivered_twice_is_written_once(api, eczema_patient, staff_token, clock):
    staff = staff_token()
    token, pid = eczema_patient()
    remission(api, staff, pid)
    sweep_lapses()
    from chalicelib.aws import client

    sqs = client("sqs")
    body = sqs.receive_message(QueueUrl=queue_url(), MaxNumberOfMessages=1)["Messages"][0]["Body"]
    event = {"Records": [{"messageId": "m1", "receiptHandle": "r1", "body": body, "attributes": {},
                          "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                          "eventSourceARN": "arn:aws:sqs:ap-east-1:123456789012:q", "awsRegion": "ap-east-1"}]}
    assert send_reminders.handle(event) == {"batchItemFailures": []}
    assert send_reminders.handle(event) == {"batchItemFailures": []}
    assert len(api.get("/me/inbox", token=token)[1]["items"]) == 1


def test_a_failing_record_is_reported_alone(api, eczema_patient, staff_token, monkeypatch):
    staff = staff_token()
    token, pid = eczema_patient()
    remission(api, staff, pid)
    sweep_lapses()
    good = {"messageId": "good", "receiptHandle": "r", "body": None, "attributes": {}, "messageAttributes": {},
            "md5OfBody": "", "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:ap-east-1:1:q",
            "awsRegion": "ap-east-1"}
    from chalicelib.aws import client

    good["body"] = client("sqs").receive_message(QueueUrl=queue_url())["Messages"][0]["Body"]
    bad = {**good, "messageId": "bad", "body": "{not json"}
    result = send_reminders.handle({"Records": [bad, good]})
    assert result == {"batchItemFailures": [{"itemIdentifier": "bad"}]}
    assert len(api.get("/me/inbox", token=token)[1]["items"]) == 1


def test_remission_input_errors(api, eczema_patient, staff_token):
    staff = staff_token()
    _, pid = eczema_patient()
    status, err = api.post(f"/patients/{pid}/remissions", {"condition": "diabetes", "date": "2026-10-21"}, token=staff)
    assert status == 400 and err["code"] == "unknown_condition"
    status, err = api.post(f"/patients/{pid}/remissions", {"condition": "eczema", "date": "2027-01-01"}, token=staff)
    assert status == 400 and err["field"] == "date"
    # recording the same remission twice plans one reminder
    remission(api, staff, pid)
    status, again = remission(api, staff, pid)
    assert again["planned"][0]["created"] is False
    assert run_schedule()[0]["queued"] == 1
