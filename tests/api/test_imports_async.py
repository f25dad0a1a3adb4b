"""POST /imports: a CSV file accepted at once as a job, imported chunk by chunk from the import
queue (chalicelib/jobs/imports.py), followed with GET /imports/{job_id}."""

import json

from chalicelib.aws import client
from chalicelib.config import settings
from chalicelib.jobs import imports as job_handler
from chalicelib.services import imports as service
from devstack.schedules import drain_imports
from devstack.sqs_pump import _event


def _queue() -> str:
    return client("sqs").get_queue_url(QueueName=settings().import_queue_name)["QueueUrl"]


def _receive_all() -> list[dict]:
    sqs, got = client("sqs"), []
    while True:
        batch = sqs.receive_message(QueueUrl=_queue(), MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                    VisibilityTimeout=0).get("Messages", [])
        fresh = [m for m in batch if m["MessageId"] not in {g["MessageId"] for g in got}]
        if not fresh:
            return got
        got += fresh


def _visit_file(pids: list[str], rows: int) -> str:
    lines = ["patient_id,visit_date,department,external_id"]
    for i in range(rows):
        lines.append(f"{pids[i % len(pids)]},2026-0{1 + i % 9}-{1 + i % 28:02d},dermatology,A-{i}")
    lines[5] = "nobody,2026-03-01,dermatology,A-bad"  # line 6 of the file: no such patient
    lines[7] = f"{pids[0]},2026-03-01,cardiology,A-dept"  # line 8: unknown department
    return "\n".join(lines) + "\n"


def test_a_large_file_is_accepted_at_once_and_imported_by_the_queue(api, new_patient, staff_token, monkeypatch):
    monkeypatch.setattr(service, "CHUNK_ROWS", 40)
    pids = [new_patient(name=f"imp{i}", phone=f"1380000{i:04d}")[1] for i in range(3)]
    staff = staff_token()
    text = _visit_file(pids, 130)  # 4 chunks of 40, 40, 40, 10
    status, job = api.post("/imports?kind=visits", raw=text.encode(), token=staff, content_type="text/csv",
                           headers={"Idempotency-Key": "big-file-1"})
    assert status == 202, job
    assert job["status"] == "running" and job["rows"] == 130 and job["chunks"] == 4 and job["rows_done"] == 0
    # the same key answers the same job (nothing queued twice)
    again = api.post("/imports?kind=visits", raw=text.encode(), token=staff, content_type="text/csv",
                     headers={"Idempotency-Key": "big-file-1"})
    assert again == (202, job)
    assert len(_receive_all()) == 4
    # nothing is imported before the queue runs
    assert api.get(f"/imports/{job['job_id']}", token=staff)[1]["rows_done"] == 0
    assert drain_imports() == {"received": 4, "processed": 4, "failed": 0}
    status, done = api.get(f"/imports/{job['job_id']}", token=staff)
    assert status == 200
    assert done["status"] == "done" and done["finished_at"]
    assert done["rows_done"] == 130 and done["chunks_done"] == 4
    assert done["recorded"] == 128 and done["duplicates"] == 0 and done["error_count"] == 2
    assert [(e["line"], e["code"]) for e in done["errors"]] == [(6, "patient_not_found"), (8, "unknown_department")]
    visits = sum(len(api.get(f"/patients/{pid}/visits?limit=100", token=staff)[1]["items"]) for pid in pids)
    assert visits == 128
    listed = api.get("/imports", token=staff)[1]["items"]
    assert [j["job_id"] for j in listed] == [job["job_id"]] and listed[0]["status"] == "done"


def test_a_chunk_delivered_twice_records_and_counts_once(api, new_patient, staff_token, monkeypatch):
    monkeypatch.setattr(service, "CHUNK_ROWS", 10)
    pids = [new_patient(name=f"twice{i}", phone=f"1390000{i:04d}")[1] for i in range(2)]
    staff = staff_token()
    _, job = api.post("/imports?kind=visits", raw=_visit_file(pids, 20).encode(), token=staff,
                      content_type="text/csv")
    messages = _receive_all()
    assert len(messages) == 2
    first = messages[0]
    arn = client("sqs").get_queue_attributes(QueueUrl=_queue(), AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    # the first chunk arrives twice in one batch (SQS delivers at least once), then again later
    twice = _event([first, {**first, "MessageId": first["MessageId"] + "-again"}], arn)
    assert job_handler.handle(twice) == {"batchItemFailures": []}
    assert job_handler.handle(_event([first], arn)) == {"batchItemFailures": []}
    middle = api.get(f"/imports/{job['job_id']}", token=staff)[1]
    assert middle["status"] == "running" and middle["chunks_done"] == 1 and middle["rows_done"] == 10
    assert middle["recorded"] + middle["error_count"] == 10 and middle["duplicates"] == 0
    assert job_handler.handle(_event([messages[1]], arn)) == {"batchItemFailures": []}
    done = api.get(f"/imports/{job['job_id']}", token=staff)[1]
    assert done["status"] == "done" and done["rows_done"] == 20 and done["recorded"] == 18
    assert sum(len(api.get(f"/patients/{pid}", token=staff)[1]["visits"]) for pid in pids) == 18


def test_a_failing_chunk_is_reported_alone_and_retried(api, new_patient, staff_token, monkeypatch):
    monkeypatch.setattr(service, "CHUNK_ROWS", 10)
    pids = [new_patient(name=f"fail{i}", phone=f"1370000{i:04d}")[1] for i in range(2)]
    staff = staff_token()
    _, job = api.post("/imports?kind=visits", raw=_visit_file(pids, 20).encode(), token=staff,
                      content_type="text/csv")
    messages = _receive_all()
    arn = client("sqs").get_queue_attributes(QueueUrl=_queue(), AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    real = service.import_chunk
    broken = json.loads(messages[1]["Body"])["chunk"]

    def flaky(clinic_id, job_id, index):
        if index == broken:
            raise RuntimeError("table unavailable")
        return real(clinic_id, job_id, index)

    monkeypatch.setattr(service, "import_chunk", flaky)
    reply = job_handler.handle(_event(messages, arn))
    assert reply == {"batchItemFailures": [{"itemIdentifier": messages[1]["MessageId"]}]}
    half = api.get(f"/imports/{job['job_id']}", token=staff)[1]
    assert half["status"] == "running" and half["chunks_done"] == 1
    monkeypatch.setattr(service, "import_chunk", real)
    assert job_handler.handle(_event([messages[1]], arn)) == {"batchItemFailures": []}
    assert api.get(f"/imports/{job['job_id']}", token=staff)[1]["status"] == "done"


def test_exam_files_go_through_the_same_job(api, new_patient, staff_token):
    _, pid = new_patient(name="exam1", phone="13600000001")
    staff = staff_token()
    text = f"patient_id,taken_on,flags,exam_id\n{pid},2026-10-01,,E-1\n{pid},2026-10-02,no-such-flag,E-2\n"
    status, job = api.post("/imports?kind=exams", raw=text.encode(), token=staff, content_type="text/plain")
    assert status == 202 and job["kind"] == "exams" and job["rows"] == 2
    drain_imports()
    done = api.get(f"/imports/{job['job_id']}", token=staff)[1]
    assert done["status"] == "done" and done["rows_done"] == 2
    assert done["recorded"] + done["error_count"] == 2
    assert all(e["line"] in (2, 3) for e in done["errors"])


def test_bad_files_are_refused_at_once(api, staff_token, monkeypatch):
    staff = staff_token()
    status, err = api.post("/imports?kind=visits", raw=b"name,age\nx,1\n", token=staff, content_type="text/csv")
    assert status == 400 and err["code"] == "invalid_csv"
    status, err = api.post("/imports?kind=visits", raw=b"patient_id,visit_date,department\n", token=staff,
                           content_type="text/csv")
    assert status == 400 and err["code"] == "invalid_csv"
    status, err = api.post("/imports?kind=notes", raw=b"patient_id,visit_date,department\nx,2026-01-01,a\n",
                           token=staff, content_type="text/csv")
    assert status == 400
    big = b"patient_id,visit_date,department\n" + b"p1,2026-01-01,dermatology\n" * 90_000
    status, err = api.post("/imports?kind=visits", raw=big, token=staff, content_type="text/csv")
    assert status == 413 and err["code"] == "file_too_large"
    monkeypatch.setattr(service, "MAX_ROWS", 5)
    rows = b"patient_id,visit_date,department\n" + b"p1,2026-01-01,dermatology\n" * 6
    status, err = api.post("/imports?kind=visits", raw=rows, token=staff, content_type="text/csv")
    assert status == 413 and err["code"] == "too_many_rows"
    assert _receive_all() == []
    assert api.get("/imports", token=staff)[1]["items"] == []


def test_jobs_are_the_clinics_own(api, new_patient, staff_token):
    _, pid = new_patient(name="own1", phone="13500000001")
    staff = staff_token()
    _, job = api.post("/imports?kind=visits", raw=f"patient_id,visit_date,department\n{pid},2026-10-01,dermatology\n"
                      .encode(), token=staff, content_type="text/csv")
    other = staff_token("other-clinic")
    status, err = api.get(f"/imports/{job['job_id']}", token=other)
    assert status == 404 and err["code"] == "import_not_found"
    assert api.get("/imports", token=other)[1]["items"] == []
    assert api.get("/imports/nope", token=staff)[0] == 404
    patient, _ = new_patient(name="own2", phone="13500000002")
    assert api.get(f"/imports/{job['job_id']}", token=patient)[0] == 403
    assert api.post("/imports?kind=visits", raw=b"patient_id,visit_date,department\n", token=patient,
                    content_type="text/csv")[0] == 403


def test_a_chunk_retried_after_failing_halfway_records_its_rows_once(api, new_patient, staff_token, monkeypatch):
    """Rows without the hospital's visit number get one from the job and the line, so a chunk
    that recorded some rows and then failed records none of them again on its retry."""
    from chalicelib.services import visits

    _, pid = new_patient(name="half1", phone="13400000001")
    staff = staff_token()
    text = "patient_id,visit_date,department\n" + "".join(
        f"{pid},2026-0{m}-10,dermatology\n" for m in range(1, 7))
    _, job = api.post("/imports?kind=visits", raw=text.encode(), token=staff, content_type="text/csv")
    real, calls = visits.record_visit, []

    def fails_on_the_fourth(*args, **kwargs):
        calls.append(1)
        if len(calls) == 4:
            raise RuntimeError("connection reset")
        return real(*args, **kwargs)

    [message] = _receive_all()
    monkeypatch.setattr(visits, "record_visit", fails_on_the_fourth)
    assert drain_imports()["failed"] == 1
    assert len(api.get(f"/patients/{pid}", token=staff)[1]["visits"]) == 3
    monkeypatch.setattr(visits, "record_visit", real)
    # the retry (SQS delivers the message again once its visibility timeout ends)
    arn = client("sqs").get_queue_attributes(QueueUrl=_queue(), AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    assert job_handler.handle(_event([message], arn)) == {"batchItemFailures": []}
    done = api.get(f"/imports/{job['job_id']}", token=staff)[1]
    assert done["status"] == "done" and done["rows_done"] == 6
    assert done["recorded"] == 3 and done["duplicates"] == 3
    assert len(api.get(f"/patients/{pid}", token=staff)[1]["visits"]) == 6


def _chunks_of(messages: list[dict]) -> list[int]:
    return sorted(json.loads(m["Body"])["chunk"] for m in messages)


def _delete(messages: list[dict]) -> None:
    for m in messages:
        client("sqs").delete_message(QueueUrl=_queue(), ReceiptHandle=m["ReceiptHandle"])


def test_a_send_failing_partway_is_answered_202_and_the_sweep_queues_the_rest(api, new_patient, staff_token,
                                                                               monkeypatch, clock):
    from botocore.exceptions import ClientError

    monkeypatch.setattr(service, "CHUNK_ROWS", 10)
    monkeypatch.setattr(service, "SQS_BATCH", 2)
    pids = [new_patient(name=f"send{i}", phone=f"1330000{i:04d}")[1] for i in range(3)]
    staff = staff_token()
    sqs = client("sqs")
    real, calls = sqs.send_message_batch, []

    def fails_after_the_first_batch(**kwargs):
        calls.append(1)
        if len(calls) > 1:
            raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "try later"}}, "SendMessageBatch")
        return real(**kwargs)

    monkeypatch.setattr(sqs, "send_message_batch", fails_after_the_first_batch)
    status, job = api.post("/imports?kind=visits", raw=_visit_file(pids, 50).encode(), token=staff,
                           content_type="text/csv")
    # the rows are stored: the upload is accepted, with the two chunks that reached the queue
    assert status == 202, job
    assert job["status"] == "running" and job["chunks"] == 5 and job["chunks_queued"] == 2
    from tests.test_helpers import requeue_imports

    assert drain_imports() == {"received": 2, "processed": 2, "failed": 0}
    waiting = api.get(f"/imports/{job['job_id']}", token=staff)[1]
    assert waiting["status"] == "running" and waiting["chunks_done"] == 2 and waiting["chunks_queued"] == 2
    assert waiting["stalled"] is False
    monkeypatch.setattr(sqs, "send_message_batch", real)
    # inside its upload's grace the sweep leaves the job alone
    assert requeue_imports()["jobs"] == 0 and _receive_all() == []
    clock.advance(minutes=3)
    swept = requeue_imports()
    assert swept["jobs"] == 1 and swept["chunks"] == 3 and swept["not_queued"] == 0
    assert _chunks_of(_receive_all()) == [2, 3, 4]
    assert api.get(f"/imports/{job['job_id']}", token=staff)[1]["chunks_queued"] == 5
    assert drain_imports()["processed"] == 3
    done = api.get(f"/imports/{job['job_id']}", token=staff)[1]
    assert done["status"] == "done" and done["rows_done"] == 50 and done["chunks_done"] == 5
    assert done["recorded"] == 48 and done["error_count"] == 2 and done["duplicates"] == 0
    assert sum(len(api.get(f"/patients/{pid}", token=staff)[1]["visits"]) for pid in pids) == 48
    # a done job is no longer among the running ones: the next sweep reads nothing of it
    assert requeue_imports() == {"running": 0, "jobs": 0, "chunks": 0, "not_queued": 0}


def test_a_sweep_whose_send_fails_again_leaves_the_rest_for_the_next_sweep(api, new_patient, staff_token,
                                                                            monkeypatch, clock):
    from botocore.exceptions import EndpointConnectionError

    monkeypatch.setattr(service, "CHUNK_ROWS", 10)
    _, pid = new_patient(name="down1", phone="13300010001")
    staff = staff_token()
    sqs = client("sqs")
    real = sqs.send_message_batch

    def down(**kwargs):  # the import queue cannot be reached (the schedules' own queue can)
        if kwargs["QueueUrl"] == _queue():
            raise EndpointConnectionError(endpoint_url="https://sqs.example")
        return real(**kwargs)

    monkeypatch.setattr(sqs, "send_message_batch", down)
    status, job = api.post("/imports?kind=visits", raw=_visit_file([pid], 20).encode(), token=staff,
                           content_type="text/csv")
    assert status == 202 and job["chunks_queued"] == 0
    from tests.test_helpers import requeue_imports

    clock.advance(minutes=3)
    assert requeue_imports()["not_queued"] == 2
    monkeypatch.setattr(sqs, "send_message_batch", real)
    assert requeue_imports()["jobs"] == 0  # the failed re-send is the job's latest move: grace again
    clock.advance(minutes=3)
    assert requeue_imports()["chunks"] == 2
    drain_imports()
    assert api.get(f"/imports/{job['job_id']}", token=staff)[1]["status"] == "done"


def test_a_stalled_job_is_shown_and_its_chunks_without_a_done_marker_are_sent_again(api, new_patient, staff_token,
                                                                                    monkeypatch, clock):
    from tests.test_helpers import requeue_imports

    monkeypatch.setattr(service, "CHUNK_ROWS", 10)
    pids = [new_patient(name=f"stall{i}", phone=f"1320000{i:04d}")[1] for i in range(2)]
    staff = staff_token()
    _, job = api.post("/imports?kind=visits", raw=_visit_file(pids, 30).encode(), token=staff,
                      content_type="text/csv")
    messages = sorted(_receive_all(), key=lambda m: json.loads(m["Body"])["chunk"])
    arn = client("sqs").get_queue_attributes(QueueUrl=_queue(), AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    assert job_handler.handle(_event([messages[0]], arn)) == {"batchItemFailures": []}
    # chunks 1 and 2 leave the queue without being done (as if parked in the dead-letter queue)
    _delete(messages)
    clock.advance(minutes=30)
    fresh = api.get(f"/imports/{job['job_id']}", token=staff)[1]
    assert fresh["stalled"] is False and requeue_imports()["jobs"] == 0
    clock.advance(minutes=16)
    stalled = api.get(f"/imports/{job['job_id']}", token=staff)[1]
    assert stalled["status"] == "running" and stalled["stalled"] is True and stalled["chunks_done"] == 1
    swept = requeue_imports()
    assert swept["jobs"] == 1 and swept["chunks"] == 2
    again = _receive_all()
    assert _chunks_of(again) == [1, 2]  # chunk 0 has its done marker: not sent again
    # the next sweep does not send them a second time while they are fresh on the queue
    assert requeue_imports()["jobs"] == 0
    # the old message of chunk 0 and the re-sent chunk 1 each arrive twice: counted once
    twice = [messages[0], *again, {**again[0], "MessageId": again[0]["MessageId"] + "-again"}]
    assert job_handler.handle(_event(twice, arn)) == {"batchItemFailures": []}
    done = api.get(f"/imports/{job['job_id']}", token=staff)[1]
    assert done["status"] == "done" and done["stalled"] is False
    assert done["chunks_done"] == 3 and done["rows_done"] == 30 and done["recorded"] == 28
    assert sum(len(api.get(f"/patients/{pid}", token=staff)[1]["visits"]) for pid in pids) == 28


def test_a_job_that_keeps_stalling_is_sent_again_a_few_times_then_waits_for_the_redrive(api, new_patient,
                                                                                        staff_token, monkeypatch,
                                                                                        clock):
    from tests.test_helpers import requeue_imports

    from botocore.exceptions import EndpointConnectionError

    _, pid = new_patient(name="poison1", phone="13100000001")
    staff = staff_token()
    sqs = client("sqs")
    real = sqs.send_message_batch
    monkeypatch.setattr(sqs, "send_message_batch", lambda **kw: (_ for _ in ()).throw(
        EndpointConnectionError(endpoint_url="https://sqs.example")))
    _, job = api.post("/imports?kind=visits", raw=_visit_file([pid], 8).encode(), token=staff,
                      content_type="text/csv")
    assert job["chunks_queued"] == 0
    monkeypatch.setattr(sqs, "send_message_batch", real)
    clock.advance(minutes=3)
    assert requeue_imports()["chunks"] == 1  # the chunk reaches the queue: not counted as a stall's re-send
    _delete(_receive_all())
    sent = []
    for _ in range(service.MAX_RESENDS + 2):
        clock.advance(minutes=46)
        sent.append(requeue_imports()["chunks"])
        _delete(_receive_all())
    assert sent == [1] * service.MAX_RESENDS + [0, 0]
    shown = api.get(f"/imports/{job['job_id']}", token=staff)[1]
    assert shown["status"] == "running" and shown["stalled"] is True


def test_the_sweep_leaves_finished_and_fresh_jobs_alone(api, new_patient, staff_token, monkeypatch, clock):
    from tests.test_helpers import requeue_imports

    monkeypatch.setattr(service, "CHUNK_ROWS", 10)
    _, pid = new_patient(name="calm1", phone="13000000001")
    staff = staff_token()
    _, finished = api.post("/imports?kind=visits", raw=_visit_file([pid], 20).encode(), token=staff,
                           content_type="text/csv")
    drain_imports()
    clock.advance(hours=2)
    _, fresh = api.post("/imports?kind=visits", raw=_visit_file([pid], 20).encode(), token=staff,
                        content_type="text/csv")
    queued = _receive_all()
    assert len(queued) == 2
    clock.advance(minutes=10)  # past the upload's grace, long before a stall
    assert requeue_imports() == {"running": 1, "jobs": 0, "chunks": 0, "not_queued": 0}
    assert len(_receive_all()) == 2  # nothing more was queued
    for job_id in (finished["job_id"], fresh["job_id"]):
        assert api.get(f"/imports/{job_id}", token=staff)[1]["stalled"] is False


def test_the_stall_time_outlasts_the_import_queues_visibility_timeout():
    """A chunk that failed once is retried by SQS before the sweep sends it again."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("infra_render", Path(__file__).parents[2] / "infra" / "render.py")
    render = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(render)
    assert service.STALE_AFTER.total_seconds() > render.IMPORT_VISIBILITY_TIMEOUT_S
    assert service.QUEUE_GRACE.total_seconds() > 29  # API Gateway's longest request


def test_the_sweep_closes_a_job_whose_chunks_are_all_done_but_was_left_open(api, new_patient, staff_token,
                                                                            monkeypatch, clock):
    """The last chunk's handler stopped between its counts and closing the job."""
    from tests.test_helpers import requeue_imports
    from chalicelib.store import imports as job_store

    _, pid = new_patient(name="open1", phone="12900000001")
    staff = staff_token()
    _, job = api.post("/imports?kind=visits", raw=_visit_file([pid], 8).encode(), token=staff,
                      content_type="text/csv")
    real = job_store.close_if_complete
    monkeypatch.setattr(job_store, "close_if_complete", lambda clinic_id, job_id: False)
    assert drain_imports()["processed"] == 1
    monkeypatch.setattr(job_store, "close_if_complete", real)
    left = api.get(f"/imports/{job['job_id']}", token=staff)[1]
    assert left["status"] == "running" and left["chunks_done"] == 1
    clock.advance(minutes=46)
    assert requeue_imports() == {"running": 1, "jobs": 1, "chunks": 0, "not_queued": 0}
    assert _receive_all() == []
    done = api.get(f"/imports/{job['job_id']}", token=staff)[1]
    assert done["status"] == "done" and done["rows_done"] == 8 and done["stalled"] is False
    assert requeue_imports()["running"] == 0
