"""The per-clinic fan-out of the scheduled jobs: a schedule sends one message per clinic to the
clinic job queue, and the queue's handler runs the named job for that one clinic.

So no invocation handles all clinics: a thousand clinics cost a thousand small invocations (the
handler takes one message at a time), each with the whole time limit, and one clinic's failure is
retried alone (Powertools BatchProcessor reports failed records only; SQS parks a message in the
dead-letter queue after its receives).

A message names the job, the clinic, the schedule's tick (its time) and a cursor (None at first).
A job that can stop between pages (`Job.resumable`) gets a deadline from the time the invocation
has left (and the `clinic_job_seconds` setting); when it stops early it returns a cursor and the
handler queues a continuation message with it. A message delivered twice does no harm:
- the resumable jobs and the KPI and import requeue jobs are idempotent by construction (each says
  why in its docstring: conditional leases and expiries, writes decided from current state, a
  figure item overwritten);
- the daily training is not (a second run makes a new model version and scores every patient
  again), so it runs under a Powertools idempotency record keyed on job, clinic, tick and cursor
  (`Job.guarded`; chalicelib/store/job_runs.py keeps the records, tenant first).
"""

from __future__ import annotations

import importlib
import json
import time as wallclock
import warnings
from typing import TYPE_CHECKING, Any, NamedTuple

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chalicelib.observability import count, logger

if TYPE_CHECKING:  # types only
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse

CLINIC_PAGE = 100  # clinic ids read from the registry per Query while fanning out
# Left for the page in flight and the continuation message when a job stops at its deadline.
MARGIN_SECONDS = 30.0
# A chain of continuations longer than this stops (and logs): the next tick starts the job again.
MAX_HOPS = 500
# How long a guarded job's run record keeps a redelivered message from running it again.
GUARD_SECONDS = 24 * 3600

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


class Job(NamedTuple):
    """A scheduled job's per-clinic entry point: `module.function(clinic_id)`, which returns its
    counts; a resumable one also takes `cursor` and `deadline` and returns `cursor` (None when done)."""

    module: str
    function: str
    resumable: bool = False
    guarded: bool = False


# The schedules of app.py, by the name the message carries. pull_sms_receipts is not here: the
# provider hands out the receipts of all clinics in one pull, so it stays one invocation.
JOBS: dict[str, Job] = {
    "sweep_lapses": Job("chalicelib.jobs.sweep", "sweep_clinic", resumable=True),
    "refresh_kpis": Job("chalicelib.jobs.kpis", "refresh_clinic"),
    "expire_points": Job("chalicelib.jobs.expiry", "expire_clinic", resumable=True),
    "requeue_imports": Job("chalicelib.jobs.imports", "requeue_clinic"),
    "mark_no_shows": Job("chalicelib.jobs.appointments", "mark_clinic", resumable=True),
    "train_risk_models": Job("chalicelib.jobs.risk", "train_clinic_models", resumable=True, guarded=True),
    "refresh_segments": Job("chalicelib.jobs.segments", "refresh_clinic", resumable=True),
    "build_segments": Job("chalicelib.jobs.segments", "build_clinic", resumable=True),
}


def queue_url() -> str:
    from chalicelib.aws import client
    from chalicelib.config import settings

    return client("sqs").get_queue_url(QueueName=settings().clinic_job_queue_name)["QueueUrl"]


def message(job: str, clinic_id: str, tick: str, cursor: Any = None, hop: int = 0) -> dict:
    return {"job": job, "clinic_id": clinic_id, "tick": tick, "cursor": cursor, "hop": hop}


def _send(url: str, bodies: list[dict]) -> int:
    """Send in batches of ten; an entry refused once is tried again once. Returns how many never
    reached the queue (their clinics wait for the next tick)."""
    from chalicelib.aws import send_json_batches

    return send_json_batches(url, bodies, attempts=2)


def fan_out(job: str, tick: str | None = None, clinic_ids: list[str] | None = None,
            page_size: int = CLINIC_PAGE) -> dict:
    """The body of a schedule: one message per clinic (all registered clinics, page by page, or
    those named), sent ten to a call. Its cost follows the number of clinics, not their size."""
    from chalicelib.domain.clock import clock, iso
    from chalicelib.store import clinics

    if job not in JOBS:
        raise ValueError(f"no scheduled job {job!r}")
    tick = tick or iso(clock.now())
    url = queue_url()
    totals = {"clinics": 0, "queued": 0, "failed": 0}

    def send(ids: list[str]) -> None:
        failed = _send(url, [message(job, clinic_id, tick) for clinic_id in ids])
        totals["clinics"] += len(ids)
        totals["queued"] += len(ids) - failed
        totals["failed"] += failed

    if clinic_ids is not None:
        send(list(clinic_ids))
    else:
        after = None
        while True:
            ids = clinics.clinic_ids_after(after, page_size)
            send(ids)
            if len(ids) < page_size:
                break
            after = ids[-1]
    count("ClinicJobsQueued", totals["queued"])
    logger.info("clinic jobs queued", extra={"job": job, "tick": tick, **totals})
    return {"job": job, "tick": tick, **totals}


def deadline_of(context: Any = None) -> float:
    """When a resumable job should stop (time.monotonic()): the setting's budget, or less when the
    invocation has less time left than that and the margin."""
    from chalicelib.config import settings

    budget = settings().clinic_job_seconds
    if context is not None and hasattr(context, "get_remaining_time_in_millis"):
        budget = min(budget, context.get_remaining_time_in_millis() / 1000 - MARGIN_SECONDS)
    return wallclock.monotonic() + max(0.0, budget)


def _entry(job: Job):
    return getattr(importlib.import_module(job.module), job.function)


def _guarded(name: str, run, body: dict, context: Any):
    """`run(message=body)` at most once per job, clinic, tick and cursor (a Powertools idempotency
    record in the clinic's partition); a twin gets the first run's outcome back."""
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function

    from chalicelib.store import job_runs

    config = IdempotencyConfig(event_key_jmespath="[job, clinic_id, tick, cursor]",
                               raise_on_no_idempotency_key=True, expires_after_seconds=GUARD_SECONDS)
    once = idempotent_function(run, data_keyword_argument="message", config=config,
                               persistence_store=job_runs.persistence(body["clinic_id"]), key_prefix=name)
    if context is not None and hasattr(context, "get_remaining_time_in_millis"):
        config.register_lambda_context(context)  # a run that dies frees its record when its time is up
        return once(message=body)
    with warnings.catch_warnings():  # outside Lambda (the local stack) there is no time limit to record
        warnings.filterwarnings("ignore", message="Couldn't determine the remaining time left")
        return once(message=body)


def run(body: dict, deadline: float | None = None, context: Any = None) -> dict:
    """Run the job one message names for its clinic; queue the continuation if it stopped early.
    Returns its outcome: the job's counts with the message's job, clinic, tick, hop and `more`."""
    name, clinic_id = body.get("job"), body.get("clinic_id")
    if name not in JOBS or not isinstance(clinic_id, str) or not clinic_id:
        raise ValueError(f"not a clinic job message: job {name!r}")
    job = JOBS[name]
    entry = _entry(job)

    def once(message: dict) -> dict:
        if job.resumable:
            return dict(entry(clinic_id, cursor=message.get("cursor"), deadline=deadline))
        return dict(entry(clinic_id))

    outcome = dict(_guarded(name, once, body, context) if job.guarded else once(message=body))
    cursor = outcome.pop("cursor", None)
    hop = int(body.get("hop") or 0)
    if cursor is not None:
        if hop + 1 >= MAX_HOPS:
            logger.error("clinic job stopped continuing", extra={"job": name, "clinic_id": clinic_id, "hop": hop})
        elif _send(queue_url(), [message(name, clinic_id, body["tick"], cursor, hop + 1)]):
            raise RuntimeError("the continuation did not reach the queue")  # the message is retried
    logger.info("clinic job done", extra={"job": name, "clinic_id": clinic_id, "tick": body.get("tick"),
                                          "hop": hop, "more": cursor is not None})
    return {**outcome, "job": name, "clinic_id": clinic_id, "tick": body.get("tick"), "hop": hop,
            "more": cursor is not None}


def _record_handler(record: SQSRecord, lambda_context: Any = None) -> dict:
    return run(json.loads(record.body), deadline=deadline_of(lambda_context), context=lambda_context)


def process(event: dict, context: Any = None) -> tuple[PartialItemFailureResponse, list[dict]]:
    """The handler's work: its reply (the failed records) and the outcome of each record that ran."""
    records = event.get("Records") or []
    with processor(records, _record_handler, context):
        done = processor.process()
    return processor.response(), [result for status, result, _ in done if status == "success"]


def handle(event: dict, context: Any = None) -> PartialItemFailureResponse:
    """The clinic job queue's handler (app.py `clinic_jobs`)."""
    return process_partial_response(event=event, record_handler=_record_handler, processor=processor,
                                    context=context)
