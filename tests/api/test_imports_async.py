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
    visits = sum(len(api.get(f"/patients/{pid}", token=staff)[1]["visits"]) for pid in pids)
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
