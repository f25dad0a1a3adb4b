"""Asynchronous CSV imports of visits and exams (POST /imports), for files too large to import
inside one API call (API Gateway answers within 29 s).

Accepting a file checks its header and size at once, stores its rows in chunks of CHUNK_ROWS
(chalicelib/store/imports.py) and queues one message per chunk on the import queue; the queue's
handler (chalicelib/jobs/imports.py) imports each chunk with the synchronous import's own code
(services.visits.import_csv, services.tasks.import_csv), so a row is checked and recorded the same
way whichever route brought it. Line numbers in the errors are the uploaded file's.
"""

from __future__ import annotations

import csv
import io
import json
import secrets
from typing import Any

from chalicelib.aws import client
from chalicelib.config import settings
from chalicelib.domain.clock import clock
from chalicelib.domain.visit_csv import MAX_ROWS as FILE_ROWS
from chalicelib.domain.visit_csv import CsvFileError
from chalicelib.errors import BadRequest, NotFound, PayloadTooLarge
from chalicelib.observability import count, logger
from chalicelib.store import imports as store

KINDS = ("visits", "exams")
CHUNK_ROWS = 250  # a chunk item stays near 25 KB sealed, well under DynamoDB's 400 KB
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = FILE_ROWS  # the documented file size, as the synchronous import and its preview take
ERRORS_SHOWN = 500  # the per-line errors a job's answer lists (error_count counts them all)
SQS_BATCH = 10


def _importer(kind: str):
    if kind == "visits":
        from chalicelib.services.visits import import_csv
    else:
        from chalicelib.services.tasks import import_csv
    return import_csv


def _check_header(clinic_id: str, kind: str, header_line: str) -> None:
    """The file's header names the columns the kind needs (the synchronous import's own check)."""
    from chalicelib.domain.exam_csv import parse_exams
    from chalicelib.domain.visit_csv import parse_visits

    try:
        (parse_visits if kind == "visits" else parse_exams)(header_line, ())
    except ValueError as exc:
        raise BadRequest(str(exc), code="invalid_csv") from exc


def _records(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and (line where the row ends, cells) of each non-empty data row."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=None))
    try:
        header = next(reader, None)
        if header is None:
            raise BadRequest("the file is empty", code="invalid_csv")
        rows = []
        for cells in reader:
            if not cells:
                continue
            rows.append((reader.line_num, cells))
            if len(rows) > MAX_ROWS:
                raise PayloadTooLarge(f"at most {MAX_ROWS} rows per import", code="too_many_rows")
    except csv.Error as exc:
        raise BadRequest(str(CsvFileError(str(exc), reader.line_num or 1)), code="invalid_csv") from exc
    return header, rows


def _header_text(header: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(header)
    return out.getvalue()


def _queue_url() -> str:
    return client("sqs").get_queue_url(QueueName=settings().import_queue_name)["QueueUrl"]


def accept(clinic_id: str, kind: str, raw: bytes, created_by: str) -> dict[str, Any]:
    """Check the file, store its rows in chunks and queue them; answers the job at once."""
    if kind not in KINDS:
        raise BadRequest("kind must be visits or exams", code="unknown_kind", field="kind")
    if len(raw) > MAX_BYTES:
        raise PayloadTooLarge(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MiB", code="file_too_large")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest("the file must be UTF-8 text", code="invalid_encoding") from exc
    header, rows = _records(text)
    _check_header(clinic_id, kind, _header_text(header))
    if not rows:
        raise BadRequest("the file has no rows", code="invalid_csv")
    chunks = [{"rows": [cells for _, cells in rows[i:i + CHUNK_ROWS]],
               "lines": [line for line, _ in rows[i:i + CHUNK_ROWS]]} for i in range(0, len(rows), CHUNK_ROWS)]
    job_id = clock.now().strftime("%Y%m%d%H%M%S%f") + secrets.token_hex(3)
    job = store.create(clinic_id, job_id, kind=kind, created_by=created_by, header=header, chunks=chunks,
                       rows=len(rows))
    url = _queue_url()
    bodies = [{"clinic_id": clinic_id, "job_id": job_id, "chunk": i} for i in range(len(chunks))]
    for start in range(0, len(bodies), SQS_BATCH):
        part = bodies[start:start + SQS_BATCH]
        reply = client("sqs").send_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "MessageBody": json.dumps(body)} for i, body in enumerate(part)])
        if reply.get("Failed"):  # rare: send the refused ones once more, one by one
            for failed in reply["Failed"]:
                client("sqs").send_message(QueueUrl=url, MessageBody=json.dumps(part[int(failed["Id"])]))
    count("ImportJobsAccepted", kind=kind)
    logger.info("import job accepted", extra={"clinic_id": clinic_id, "job_id": job_id, "rows": len(rows),
                                              "chunks": len(chunks)})
    return _summary(job)


def _chunk_text(header: list[str], rows: list[list[str]]) -> tuple[str, dict[int, int]]:
    """The chunk as a CSV file of its own, and the chunk's line of each row -> its index."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    text = out.getvalue()
    reader = csv.reader(io.StringIO(text, newline=None))
    next(reader)
    ends = {}
    for index, _ in enumerate(reader):
        ends[reader.line_num] = index
    return text, ends


def _with_row_ids(kind: str, job_id: str, header: list[str], rows: list[list[str]],
                  lines: list[int]) -> tuple[list[str], list[list[str]]]:
    """Visit rows without the hospital's visit number get one made of the job and the line: a
    chunk retried after it failed halfway then finds the visits it recorded (their ids come
    from the number) instead of recording them again. Exams already have an id of their own
    (the report number, or the exam's day)."""
    if kind != "visits":
        return header, rows
    names = [h.strip() for h in header]
    if "external_id" not in names:
        header, names = header + ["external_id"], names + ["external_id"]
    at = names.index("external_id")
    filled = []
    for line, cells in zip(lines, rows):
        cells = cells + [""] * (len(names) - len(cells)) if len(cells) < len(names) else list(cells)
        if not cells[at].strip():
            cells[at] = f"job-{job_id}-{line}"
        filled.append(cells)
    return header, filled


def import_chunk(clinic_id: str, job_id: str, index: int) -> str:
    """Import one chunk of a job (the queue handler); a chunk already done is skipped. Returns
    what happened: `imported`, `already_done` or `missing` (the job expired or never existed)."""
    job = store.get(clinic_id, job_id)
    part = store.chunk(clinic_id, job_id, index)
    if job is None or part is None:
        return "missing"
    if part.get("done_at"):
        store.close_if_complete(clinic_id, job_id)
        return "already_done"
    header, rows = _with_row_ids(job["kind"], job_id, part["header"], part["rows"], part["lines"])
    text, ends = _chunk_text(header, rows)
    result = _importer(job["kind"])(clinic_id, text, job["created_by"])
    lines = part["lines"]
    problems = []
    for problem in result["errors"]:
        at = ends.get(problem["line"])
        problems.append({**problem, "line": lines[at] if at is not None else problem["line"]})
    recorded = result["imported"] if job["kind"] == "visits" else result["exams"]
    if store.finish_chunk(clinic_id, job_id, index, rows=len(part["rows"]), recorded=recorded,
                          duplicates=result["duplicates"], problems=problems):
        if store.close_if_complete(clinic_id, job_id):
            count("ImportJobsDone", kind=job["kind"])
        return "imported"
    return "already_done"


def _summary(job: dict[str, Any]) -> dict[str, Any]:
    return {"job_id": job["job_id"], "kind": job["kind"], "status": job["status"], "rows": job["rows"],
            "rows_done": job["rows_done"], "recorded": job["recorded"], "duplicates": job["duplicates"],
            "error_count": job["error_count"], "chunks": job["chunks"], "chunks_done": job["chunks_done"],
            "created_at": job["created_at"], "created_by": job["created_by"],
            "finished_at": job.get("finished_at")}


def status(clinic_id: str, job_id: str) -> dict[str, Any]:
    """A job of the caller's clinic: its status, counts and the first ERRORS_SHOWN errors by line."""
    job = store.get(clinic_id, job_id) if job_id.isalnum() and len(job_id) <= 40 else None
    if job is None:
        raise NotFound("no such import job", code="import_not_found", field="job_id")
    return {**_summary(job), "errors": store.errors(clinic_id, job_id, ERRORS_SHOWN)}


def recent(clinic_id: str) -> dict[str, Any]:
    return {"items": [_summary(job) for job in store.recent(clinic_id)]}
