"""The schedules' per-clinic fan-out (chalicelib/jobs/clinic_jobs.py): a schedule sends one message per
clinic to the clinic job queue, the queue's handler runs the named job for that clinic only, a failing
clinic is retried alone, a message delivered twice does no harm, and a job that stops at its time
budget hands the rest on in a continuation that finishes it."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.aws import client
from chalicelib.jobs import clinic_jobs
from devstack.schedules import drain_clinic_jobs, run_schedule


def _receive_all() -> list[dict]:
    url = clinic_jobs.queue_url()
    bodies = []
    while True:
        reply = client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        messages = reply.get("Messages", [])
        if not messages:
            return bodies
        for m in messages:
            bodies.append(json.loads(m["Body"]))
            client("sqs").delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def _event(*bodies: dict) -> dict:
    """A Lambda SQS event of these messages, each with its own id (as SQS gives them)."""
    return {"Records": [{"messageId": f"m-{i}", "receiptHandle": f"r-{i}", "body": json.dumps(body),
                         "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
                         "md5OfBody": "", "eventSource": "aws:sqs",
                         "eventSourceARN": "arn:aws:sqs:ap-east-1:123456789012:revisit-clinic-jobs-test",
                         "awsRegion": "ap-east-1"} for i, body in enumerate(bodies)]}


def _third_clinic() -> None:
    from chalicelib.services.clinics import create_clinic, set_holdout_share

    create_clinic("third-clinic", "第三诊所")
    set_holdout_share("third-clinic", 0)


class Calls:
    """Counts the SQS calls the code under test makes."""

    def __init__(self):
        self.names: list[str] = []
        client("sqs").meta.events.register("before-call.sqs", self._count)

    def _count(self, event_name, **kwargs):
        self.names.append(event_name.rsplit(".", 1)[-1])

    def close(self):
        client("sqs").meta.events.unregister("before-call.sqs", self._count)


def test_a_schedule_sends_one_message_per_clinic_ten_to_a_call(api, clock):
    _third_clinic()
    event = api.client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event", detail={},
                                                resources=[])
    event["time"] = "2026-11-20T02:00:00Z"
    calls = Calls()
    try:
        reply = api.client.lambda_.invoke("sweep_lapses", event).payload
    finally:
        calls.close()
    assert reply == {"job": "sweep_lapses", "tick": "2026-11-20T02:00:00Z", "clinics": 3, "queued": 3, "failed": 0}
    assert calls.names.count("SendMessageBatch") == 1
    bodies = _receive_all()
    assert sorted(b["clinic_id"] for b in bodies) == ["demo-dental", "other-clinic", "third-clinic"]
    assert all(b == {"job": "sweep_lapses", "clinic_id": b["clinic_id"], "tick": "2026-11-20T02:00:00Z",
                     "cursor": None, "hop": 0} for b in bodies)
    # the registry is read page by page: two pages of two still give each clinic one message
    assert clinic_jobs.fan_out("refresh_kpis", page_size=2)["queued"] == 3
    assert sorted(b["clinic_id"] for b in _receive_all()) == ["demo-dental", "other-clinic", "third-clinic"]


def test_every_schedule_but_the_receipt_pull_fans_out(api, clock):
    from chalice.app import ScheduledEventConfig

    from app import app

    schedules = {source.name for source in app.event_sources if isinstance(source, ScheduledEventConfig)}
    assert schedules - {"pull_sms_receipts"} == set(clinic_jobs.JOBS)
    event = api.client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event", detail={},
                                                resources=[])
    for job in sorted(clinic_jobs.JOBS):
        assert api.client.lambda_.invoke(job, event).payload["queued"] == 2, job
    assert sorted((b["job"], b["clinic_id"]) for b in _receive_all()) == sorted(
        (job, clinic) for job in clinic_jobs.JOBS for clinic in ("demo-dental", "other-clinic"))


def test_the_handler_runs_the_job_for_the_named_clinic_only(api, staff_token, new_patient, clock):
    new_patient(name="k1", phone="13000000001")
    event = _event(clinic_jobs.message("refresh_kpis", "demo-dental", "2026-11-20T02:00:00Z"))
    reply = api.client.lambda_.invoke("clinic_jobs", event).payload
    assert reply == {"batchItemFailures": []}
    status, mine = api.get("/dashboard", token=staff_token("demo-dental"))
    assert status == 200 and mine["generated_at"] is not None and mine["kpis"]["patients"] == 1
    status, theirs = api.get("/dashboard", token=staff_token("other-clinic"))
    assert status == 200 and theirs["generated_at"] is None


def test_a_failing_clinic_is_reported_alone_and_the_others_are_done(api, staff_token, clock, monkeypatch):
    from chalicelib.jobs import kpis

    _third_clinic()
    real = kpis.compute_counted

    def broken_for_one(clinic_id):
        if clinic_id == "other-clinic":
            raise RuntimeError("this clinic's data is broken")
        return real(clinic_id)

    monkeypatch.setattr(kpis, "compute_counted", broken_for_one)
    event = _event(*(clinic_jobs.message("refresh_kpis", clinic, "2026-11-20T02:00:00Z")
                     for clinic in ("demo-dental", "other-clinic", "third-clinic")))
    assert clinic_jobs.handle(event) == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    assert api.get("/dashboard", token=staff_token("demo-dental"))[1]["generated_at"] is not None
    assert api.get("/dashboard", token=staff_token("other-clinic"))[1]["generated_at"] is None
    # a message that names no job of ours fails alone too (and goes to the dead-letter queue in time)
    event = _event({"job": "drop_table", "clinic_id": "demo-dental", "tick": "t", "cursor": None},
                   clinic_jobs.message("expire_points", "demo-dental", "2026-11-20T02:00:00Z"))
    assert clinic_jobs.handle(event) == {"batchItemFailures": [{"itemIdentifier": "m-0"}]}


def test_a_duplicate_expiry_message_expires_nothing_twice(api, new_patient, staff_token, clock):
    clock.set(datetime(2025, 3, 10, 2, 0, tzinfo=timezone.utc))
    _, pid = new_patient(name="saver")
    api.post(f"/patients/{pid}/points/adjustments", {"points": 60, "reason": "三月活动"}, token=staff_token())
    clock.set(datetime(2026, 4, 1, 2, 0, tzinfo=timezone.utc))
    body = clinic_jobs.message("expire_points", "demo-dental", "2026-04-01T02:00:00Z")
    _, first = clinic_jobs.process(_event(body))
    _, again = clinic_jobs.process(_event(body))
    assert (first[0]["lots"], first[0]["points"]) == (1, 60)
    assert (again[0]["lots"], again[0]["points"]) == (0, 0)
    status, ledger = api.get(f"/patients/{pid}/points", token=staff_token())
    assert status == 200 and ledger["balance"] == 0


def test_a_duplicate_training_message_trains_once(api, clock, monkeypatch):
    """The daily training is not idempotent by itself (a second run makes a new model version): its
    run record, keyed on job, clinic, tick and cursor, keeps a twin from running it again."""
    from chalicelib.services import risk

    runs = []
    real = risk.train_clinic
    monkeypatch.setattr(risk, "train_clinic", lambda clinic_id, *a, **k: runs.append(clinic_id) or real(clinic_id, *a, **k))
    body = clinic_jobs.message("train_risk_models", "demo-dental", "2026-11-20T19:00:00Z")
    reply, first = clinic_jobs.process(_event(body))
    assert reply == {"batchItemFailures": []} and runs == ["demo-dental"]
    assert first[0]["risk"] == {"status": "no_model", "reason": "too_few_examples", "examples": 0}
    reply, again = clinic_jobs.process(_event(body))
    assert reply == {"batchItemFailures": []} and runs == ["demo-dental"]  # not run again
    assert again[0]["risk"] == first[0]["risk"]  # the first run's outcome, given back
    # the record is the clinic's (tenant first), and another clinic or the next day's tick runs
    clinic_jobs.process(_event(clinic_jobs.message("train_risk_models", "other-clinic", "2026-11-20T19:00:00Z")))
    clinic_jobs.process(_event(clinic_jobs.message("train_risk_models", "demo-dental", "2026-11-21T19:00:00Z")))
    assert runs == ["demo-dental", "other-clinic", "demo-dental"]
    items = client("dynamodb").scan(TableName="revisit-test", FilterExpression="begins_with(pk, :p)",
                                    ExpressionAttributeValues={":p": {"S": "demo-dental#JOBRUN"}})["Items"]
    assert len(items) == 2 and all(item["sk"]["S"].startswith("train_risk_models#") for item in items)
    assert all(int(item["expires_at"]["N"]) > 0 for item in items)  # the table's TTL removes them


def test_a_training_that_failed_runs_again_on_the_retry(api, clock, monkeypatch):
    from chalicelib.services import risk

    real = risk.train_clinic
    monkeypatch.setattr(risk, "train_clinic", lambda clinic_id: (_ for _ in ()).throw(RuntimeError("down")))
    body = clinic_jobs.message("train_risk_models", "demo-dental", "2026-11-20T19:00:00Z")
    assert clinic_jobs.handle(_event(body)) == {"batchItemFailures": [{"itemIdentifier": "m-0"}]}
    monkeypatch.setattr(risk, "train_clinic", real)
    reply, done = clinic_jobs.process(_event(body))
    assert reply == {"batchItemFailures": []} and done[0]["risk"]["status"] == "no_model"


@pytest.fixture
def due_flips(api, new_patient, clock):
    """Five patients of demo-dental whose silence flips them into silent-180 at the same time."""
    ids = [new_patient(name=f"quiet{i}", phone=f"1390000000{i}")[1] for i in range(5)]
    clock.set(datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc) + timedelta(days=180, hours=14, minutes=5))
    return ids


def test_a_continuation_resumes_where_the_job_stopped_and_finishes(api, due_flips, staff_token, monkeypatch):
    from chalicelib.config import reset_settings
    from chalicelib.services import segments as service
    from chalicelib.store import segments as store

    real_page = store.due_flips_page
    monkeypatch.setattr(store, "due_flips_page", lambda clinic_id, now, start, size: real_page(clinic_id, now, start, 2))
    evaluated = []
    real_reevaluate = service.reevaluate
    monkeypatch.setattr(service, "reevaluate",
                        lambda clinic_id, patient_id: evaluated.append(patient_id) or real_reevaluate(clinic_id, patient_id))
    monkeypatch.setenv("CLINIC_JOB_SECONDS", "0")  # out of time after every page
    reset_settings()

    clinic_jobs.fan_out("refresh_segments", clinic_ids=["demo-dental"])
    drained = drain_clinic_jobs()
    hops = [(o["hop"], o["due"], o["more"]) for o in drained["outcomes"]]
    assert hops == [(0, 2, True), (1, 2, True), (2, 1, False)]  # five due, two a page, three invocations
    assert sorted(evaluated) == sorted(due_flips)  # each once: the cursor starts where the last page ended
    admin = staff_token()
    for patient_id in due_flips:
        assert "silent-180" in api.get(f"/patients/{patient_id}/segments", token=admin)[1]["segments"][0]["segment_id"]
    assert _receive_all() == []


def test_a_continuation_delivered_twice_does_no_harm(api, due_flips, staff_token, monkeypatch):
    from chalicelib.config import reset_settings
    from chalicelib.store import segments as store

    real_page = store.due_flips_page
    monkeypatch.setattr(store, "due_flips_page", lambda clinic_id, now, start, size: real_page(clinic_id, now, start, 2))
    monkeypatch.setenv("CLINIC_JOB_SECONDS", "0")
    reset_settings()
    tick = "2027-05-20T02:00:00Z"
    _, first = clinic_jobs.process(_event(clinic_jobs.message("refresh_segments", "demo-dental", tick)))
    assert first[0]["more"] is True
    continuation = _receive_all()
    assert len(continuation) == 1 and continuation[0]["cursor"] is not None and continuation[0]["hop"] == 1
    # the continuation arrives twice: both read from its cursor, and the patients end in the same place
    for _ in range(2):
        clinic_jobs.process(_event(continuation[0]))
    monkeypatch.setenv("CLINIC_JOB_SECONDS", "600")
    reset_settings()
    drain_clinic_jobs()
    admin = staff_token()
    for patient_id in due_flips:
        segments = api.get(f"/patients/{patient_id}/segments", token=admin)[1]["segments"]
        assert [s["segment_id"] for s in segments] == ["silent-180"]
    assert run_schedule("refresh_segments")["demo-dental"]["due"] == 0  # nothing left in the index


def test_the_time_left_in_the_invocation_caps_the_budget(api, clock):
    class Context:
        def __init__(self, millis):
            self.millis = millis

        def get_remaining_time_in_millis(self):
            return self.millis

    import time

    now = time.monotonic()
    assert clinic_jobs.deadline_of(None) - now == pytest.approx(600, abs=1)  # the setting
    assert clinic_jobs.deadline_of(Context(300_000)) - now == pytest.approx(300 - clinic_jobs.MARGIN_SECONDS, abs=1)
    assert clinic_jobs.deadline_of(Context(10_000)) - now == pytest.approx(0, abs=1)  # one page, then hand on


def test_the_default_budget_stops_a_job_well_inside_the_handlers_timeout():
    """A resumable job stops at CLINIC_JOB_SECONDS (or the invocation's time left less the margin),
    which must leave its page in flight and the continuation time before Lambda's timeout."""
    import importlib.util
    from pathlib import Path

    from chalicelib.config import Settings

    spec = importlib.util.spec_from_file_location("infra_render", Path(__file__).parents[2] / "infra" / "render.py")
    render = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(render)
    default = Settings._field_defaults["clinic_job_seconds"]
    assert default + clinic_jobs.MARGIN_SECONDS < render.CLINIC_JOB_HANDLER_TIMEOUT_S
    assert render.CLINIC_JOB_VISIBILITY_TIMEOUT_S >= 6 * render.CLINIC_JOB_HANDLER_TIMEOUT_S
