"""The lapse sweep (EventBridge schedule): lease due outbound jobs (recall reminders and other
kinds) and queue them for sending.

It reads only the sparse due index, page by page, so its cost follows the number of due
jobs, not the number of patients. Before queuing it ranks each throttled department's due recalls
and holds back those beyond the department's budget (services.capacity); a deferral is conditional
on the job's place in the index, like a lease, and the sender checks the budget again atomically.
It runs clinic by clinic, one message of the schedule's fan-out each (chalicelib/jobs/clinic_jobs.py).
A sweep that dies at any point is safe to run again: a job leased but never queued comes back when
its lease ends, and the sender never writes a message twice.
"""

from __future__ import annotations

import time as wallclock
from datetime import timedelta
from typing import Any

from chalicelib.aws import client, send_json_batches
from chalicelib.config import settings
from chalicelib.domain.clock import clock, iso
from chalicelib.observability import count, logger
from chalicelib.services import capacity
from chalicelib.store import recall

LEASE = timedelta(minutes=15)
PAGE_SIZE = 100


def queue_url() -> str:
    return client("sqs").get_queue_url(QueueName=settings().reminder_queue_name)["QueueUrl"]


def _send(url: str, bodies: list[dict]) -> int:
    # A failed entry keeps its lease and is queued again by a later sweep.
    return send_json_batches(url, bodies)


def sweep_clinic(clinic_id: str, cursor: dict | None = None, deadline: float | None = None,
                 page_size: int = PAGE_SIZE) -> dict:
    """One clinic's sweep (one message of the `sweep_lapses` fan-out, chalicelib/jobs/clinic_jobs.py).

    Past `deadline` (time.monotonic()) it stops between pages of leases and returns a `cursor`: the
    continuation reads the due index again, where what this run leased no longer is, so it needs no
    position (the cursor only counts the passes). Safe twice: a lease is conditional on the job's
    place in the index, so a second delivery leases and queues nothing the first did."""
    now = clock.now()
    now_iso, lease_until = iso(now), iso(now + LEASE)
    url = queue_url()
    totals: dict[str, Any] = {"read": 0, "queued": 0, "failed": 0, "deferred": 0, "released": 0, "cursor": None}
    # holds whose time is over give their places back before the budgets are counted
    totals["released"] += capacity.release_expired(clinic_id, now)
    due: list[recall.DueJob] = []
    start = None
    while True:
        jobs, start = recall.due_jobs(clinic_id, now_iso, start, page_size)
        totals["read"] += len(jobs)
        due.extend(jobs)
        if not start:
            break
    # all the clinic's due jobs at once, so each department's recall budget goes to the patients
    # most at risk and most likely to answer; the rest wait (deferred, no_capacity)
    ready, deferred = capacity.plan_sweep(clinic_id, due, now)
    totals["deferred"] += deferred
    for first in range(0, len(ready), page_size):
        if first and deadline is not None and wallclock.monotonic() > deadline:
            totals["cursor"] = {"pass": int((cursor or {}).get("pass", 0)) + 1}
            break
        bodies = [job.message() for job in ready[first:first + page_size] if recall.lease(job, lease_until)]
        if bodies:
            totals["failed"] += _send(url, bodies)
            totals["queued"] += len(bodies)
    count("RemindersQueued", totals["queued"])
    logger.info("lapse sweep done", extra={"clinic_id": clinic_id, **totals})
    return totals
