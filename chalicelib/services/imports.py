"""Asynchronous CSV imports of visits and exams (POST /imports), for files too large to import
inside one API call (API Gateway answers within 29 s).

Accepting a file checks its header and size at once, stores its rows in chunks of CHUNK_ROWS
(chalicelib/store/imports.py) and queues one message per chunk on the import queue; the queue's
handler (chalicelib/jobs/imports.py) imports each chunk with the synchronous import's own code
(services.visits.import_csv, services.tasks.import_csv), so a row is checked and recorded the same
way whichever route brought it. Line numbers in the errors are the uploaded file's.

A send to the queue that fails partway does not fail the upload (its rows are stored): the job
records how many chunks reached the queue, and the requeue sweep (`requeue`, a schedule every
5 minutes in app.py) sends the rest, and sends again the chunks of a job that has made no progress
for STALE_AFTER. A chunk that arrives twice counts once (its done marker).
"""

from __future__ import annotations

import csv
import io
import json
import secrets
from datetime import timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.aws import client
from chalicelib.config import settings
from chalicelib.domain.clock import clock, parse_iso
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
# A job whose chunks did not all reach the queue is left this long to its upload (API Gateway
# ends a request after 29 s) before the sweep sends the rest.
QUEUE_GRACE = timedelta(minutes=2)
# No chunk finished for this long: the job is shown stalled and its chunks without a done marker
# are sent again. Longer than the import queue's visibility timeout (30 min, infra/render.py), so a
# chunk that failed once has been retried by SQS itself first.
STALE_AFTER = timedelta(minutes=45)
# Re-sends of a stalled job (chunks that never reached the queue are sent until they have); a
# chunk that keeps failing then waits in the dead-letter queue for its redrive (docs/deploy.md).
MAX_RESENDS = 3


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


def _send(clinic_id: str, job_id: str, indexes: list[int]) -> int:
    """Queue one message per chunk, SQS_BATCH a call, in order; the number queued before a send
    failed (the rest are left to the requeue sweep)."""
    sent = 0
    try:
        url = _queue_url()
        sqs = client("sqs")
        for start in range(0, len(indexes), SQS_BATCH):
            part = indexes[start:start + SQS_BATCH]
            bodies = [json.dumps({"clinic_id": clinic_id, "job_id": job_id, "chunk": i}) for i in part]
            reply = sqs.send_message_batch(QueueUrl=url, Entries=[
                {"Id": str(n), "MessageBody": body} for n, body in enumerate(bodies)])
            for failed in reply.get("Failed") or []:  # rare: send the refused ones once more, one by one
                sqs.send_message(QueueUrl=url, MessageBody=bodies[int(failed["Id"])])
            sent += len(part)
    except (BotoCoreError, ClientError) as exc:
        count("ImportChunksNotQueued")
        logger.warning("import chunks not all queued", extra={"clinic_id": clinic_id, "job_id": job_id,
                                                             "queued": sent, "chunks": len(indexes),
                                                             "error": type(exc).__name__})
    return sent


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
    queued = _send(clinic_id, job_id, list(range(len(chunks))))
    if queued:
        try:
            store.mark_queued(clinic_id, job_id, queued)
        except (BotoCoreError, ClientError):  # the sweep then sends them again: a chunk done is skipped
            logger.warning("import chunks queued but not recorded", extra={"clinic_id": clinic_id, "job_id": job_id})
    job = {**job, "chunks_queued": queued}
    count("ImportJobsAccepted", kind=kind)
    logger.info("import job accepted", extra={"clinic_id": clinic_id, "job_id": job_id, "rows": len(rows),
                                              "chunks": len(chunks), "queued": queued})
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


def _last_progress(job: dict[str, Any], *, resends: bool) -> Any:
    """When the job last moved: created, a chunk finished, or (with `resends`) its chunks were re-sent."""
    names = ("created_at", "updated_at", "resent_at") if resends else ("created_at", "updated_at")
    return max(parse_iso(job[name]) for name in names if job.get(name))


def stalled(job: dict[str, Any]) -> bool:
    """Running with every chunk queued and no chunk finished for STALE_AFTER: a chunk failed and
    waits for SQS's retry, the sweep's re-send or, after those, the dead-letter queue's redrive."""
    return (job["status"] == "running" and job.get("chunks_queued", job["chunks"]) >= job["chunks"]
            and clock.now() - _last_progress(job, resends=False) >= STALE_AFTER)


def _resend_what(job: dict[str, Any]) -> str | None:
    """Why the sweep sends the job's chunks again: `unqueued` (chunks that never reached the
    queue), `stalled` (no progress), or None."""
    if job["status"] != "running":
        return None
    idle = clock.now() - _last_progress(job, resends=True)
    if job.get("chunks_queued", job["chunks"]) < job["chunks"]:
        return "unqueued" if idle >= QUEUE_GRACE else None
    if idle >= STALE_AFTER and job.get("stalled_resends", 0) < MAX_RESENDS:
        return "stalled"
    return None


def requeue(clinic_id: str) -> dict[str, int]:
    """The requeue sweep of one clinic (one message of the `requeue_imports` fan-out): for its
    running jobs (one gsi1 Query), send again the chunks without a done marker of a job whose chunks
    did not all reach the queue or that has made no progress for STALE_AFTER. Safe to run again or
    twice at once: the re-send is claimed on the job first (a condition on the count read), and a
    chunk done is skipped."""
    totals = {"running": 0, "jobs": 0, "chunks": 0, "not_queued": 0}
    for job in store.running(clinic_id):
        totals["running"] += 1
        reason = _resend_what(job)
        if reason is None or not store.claim_resend(clinic_id, job["job_id"], int(job.get("resends", 0)),
                                                    stalled=reason == "stalled"):
            continue
        pending = store.chunks_not_done(clinic_id, job["job_id"])
        if reason == "unqueued":
            pending = [i for i in pending if i >= job.get("chunks_queued", 0)]
        sent = _send(clinic_id, job["job_id"], pending)
        totals["jobs"] += 1
        totals["chunks"] += sent
        if sent < len(pending):
            totals["not_queued"] += len(pending) - sent
            continue
        if reason == "unqueued":
            store.mark_queued(clinic_id, job["job_id"], job["chunks"])
        if not pending:  # every chunk done, the job left open (its last handler stopped before closing it)
            store.close_if_complete(clinic_id, job["job_id"])
        logger.info("import chunks sent again", extra={"clinic_id": clinic_id, "job_id": job["job_id"],
                                                      "reason": reason, "chunks": sent})
    if totals["chunks"]:
        count("ImportChunksRequeued", value=totals["chunks"])
    return totals


def _summary(job: dict[str, Any]) -> dict[str, Any]:
    return {"job_id": job["job_id"], "kind": job["kind"], "status": job["status"], "rows": job["rows"],
            "rows_done": job["rows_done"], "recorded": job["recorded"], "duplicates": job["duplicates"],
            "error_count": job["error_count"], "chunks": job["chunks"], "chunks_done": job["chunks_done"],
            "created_at": job["created_at"], "created_by": job["created_by"],
            "finished_at": job.get("finished_at"),
            "chunks_queued": int(job.get("chunks_queued", job["chunks"])), "stalled": stalled(job)}


def status(clinic_id: str, job_id: str) -> dict[str, Any]:
    """A job of the caller's clinic: its status, counts and the first ERRORS_SHOWN errors by line."""
    job = store.get(clinic_id, job_id) if job_id.isalnum() and len(job_id) <= 40 else None
    if job is None:
        raise NotFound("no such import job", code="import_not_found", field="job_id")
    return {**_summary(job), "errors": store.errors(clinic_id, job_id, ERRORS_SHOWN)}


def recent(clinic_id: str) -> dict[str, Any]:
    return {"items": [_summary(job) for job in store.recent(clinic_id)]}
