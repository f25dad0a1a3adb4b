"""The schedules of the local stack: the functions EventBridge and the SQS event source mapping
call in AWS, called by the runner on timers and by `make sweep` once. A schedule fans out one
message per clinic to the clinic job queue (chalicelib/jobs/clinic_jobs.py), drained here the way
Lambda's event source mapping would (devstack/sqs_pump.py)."""

from __future__ import annotations

from datetime import timedelta


def drain_queue() -> dict[str, int]:
    """Pass the reminder queue to the sender as Lambda's SQS event source mapping would
    (devstack/sqs_pump.py): only records not reported in batchItemFailures are deleted."""
    from chalicelib.jobs.send_reminders import handle
    from chalicelib.jobs.sweep import queue_url
    from devstack.sqs_pump import drain

    def invoke(event: dict) -> dict:
        try:
            return handle(event)
        except Exception as exc:  # an invocation error: Lambda keeps the whole batch on the queue
            print(f"  reminder batch failed: {type(exc).__name__}: {exc}", flush=True)
            return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"]]}

    totals = drain(queue_url(), invoke)
    return {"received": totals["received"], "processed": totals["received"] - totals["failed"],
            "failed": totals["failed"]}


def drain_imports() -> dict[str, int]:
    """Pass the import job queue to its handler (chalicelib/jobs/imports.py) the same way: one
    chunk of an import job per message."""
    from chalicelib.aws import client
    from chalicelib.config import settings
    from chalicelib.jobs.imports import handle
    from devstack.sqs_pump import drain

    def invoke(event: dict) -> dict:
        try:
            return handle(event)
        except Exception as exc:  # an invocation error: Lambda keeps the whole batch on the queue
            print(f"  import batch failed: {type(exc).__name__}: {exc}", flush=True)
            return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"]]}

    url = client("sqs").get_queue_url(QueueName=settings().import_queue_name)["QueueUrl"]
    totals = drain(url, invoke)
    return {"received": totals["received"], "processed": totals["received"] - totals["failed"],
            "failed": totals["failed"]}


STREAM = {"paused": False}  # the demo builder leaves the stream alone (devstack/seed/offline.py)


def drain_stream() -> dict[str, int]:
    """Pass the table's stream to its handler (chalicelib/jobs/changes.py) as Lambda's DynamoDB
    Streams event source mapping would (devstack/stream_pump.py): the KPI counters and what else
    follows the table's changes."""
    from chalicelib.jobs.changes import handle
    from devstack.stream_pump import drain

    if STREAM["paused"]:
        return {"received": 0, "failed": 0, "filtered": 0}
    return drain(handle)


def rebuild_counters() -> dict[str, object]:
    """After a snapshot restore: the records its items made are not changes (skipped), and each
    clinic's KPI counters are built again by the backfill a deployment runs for a clinic that
    existed before the stream, then the dashboard is computed from them."""
    from chalicelib.services.kpi_counters import backfill
    from chalicelib.store import clinics
    from devstack.stream_pump import skip_to_latest

    skipped = skip_to_latest()
    built = [clinic_id for clinic_id in clinics.all_clinic_ids() if backfill(clinic_id, restart=True) is None]
    run_schedule("refresh_kpis")
    return {"skipped_records": skipped, "clinics": built}


def drain_clinic_jobs() -> dict:
    """Pass the clinic job queue to its handler (chalicelib/jobs/clinic_jobs.py) as Lambda's SQS event
    source mapping would, until it is empty: the continuations a job queues are run too. Returns the
    counts and the outcome of every message that ran."""
    from chalicelib.jobs import clinic_jobs
    from devstack.sqs_pump import drain

    outcomes: list[dict] = []

    def invoke(event: dict) -> dict:
        try:
            reply, done = clinic_jobs.process(event)
        except Exception as exc:  # an invocation error: Lambda keeps the whole batch on the queue
            print(f"  clinic job batch failed: {type(exc).__name__}: {exc}", flush=True)
            return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"]]}
        outcomes.extend(done)
        for failed in reply.get("batchItemFailures", []):
            print(f"  clinic job failed: message {failed['itemIdentifier']}", flush=True)
        return dict(reply)

    totals = drain(clinic_jobs.queue_url(), invoke)
    return {"received": totals["received"], "processed": totals["received"] - totals["failed"],
            "failed": totals["failed"], "outcomes": outcomes}


def run_schedule(job: str, clinic_ids: list[str] | None = None) -> dict[str, dict]:
    """What a schedule of app.py does, then the queue it feeds: send one message per clinic (those
    named, or every clinic) and drain the clinic job queue. Returns each clinic's outcome, the
    counts of its continuations added up."""
    from chalicelib.jobs.clinic_jobs import fan_out

    fan_out(job, clinic_ids=clinic_ids)
    by_clinic: dict[str, dict] = {}
    for outcome in drain_clinic_jobs()["outcomes"]:
        if outcome["job"] != job:
            continue
        counts = {k: v for k, v in outcome.items() if k not in ("job", "clinic_id", "tick", "hop", "more")}
        mine = by_clinic.setdefault(outcome["clinic_id"], {})
        for key, value in counts.items():
            numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
            mine[key] = mine.get(key, 0) + value if numeric and key in mine else value
    return by_clinic


def added_up(by_clinic: dict[str, dict]) -> dict:
    """The counts of every clinic added up, with how many clinics ran (a schedule's totals)."""
    totals: dict = {"clinics": len(by_clinic)}
    for counts in by_clinic.values():
        for key, value in counts.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                totals[key] = totals.get(key, 0) + value
    return totals


def sweep_and_drain() -> dict:
    """The minute schedules: segment builds (a new segment's first build, resumed page by page),
    then the lapse sweep and the reminder queue; and the SMS receipts (every five minutes in AWS,
    and only on a stack sending SMS through Tencent Cloud SMS) and the import requeue sweep (every
    five minutes in AWS; cheap, one Query per clinic); and the no-show sweep (every five minutes in
    AWS; it reads only bookings still booked whose slot has ended). Each fans out one message per
    clinic to the clinic job queue, which is drained right after, as in AWS."""
    from chalicelib.jobs.sms_receipts import pull_sms_receipts

    drain_stream()
    run_schedule("build_segments")
    swept = added_up(run_schedule("sweep_lapses"))
    drained = drain_queue()
    requeued = added_up(run_schedule("requeue_imports"))
    imported = drain_imports()
    pull_sms_receipts()
    no_shows = added_up(run_schedule("mark_no_shows"))
    return {"sweep": swept, "queue": drained, "imports": imported, "requeued": requeued, "no_shows": no_shows}


RISK_PERIOD = timedelta(days=1)


def train_when_due() -> list[str]:
    """The daily risk training, for each clinic whose last run is a day old or missing (the first
    slow tick after the demo seed trains every clinic at once), through the schedule's fan-out: the
    clinic's risk model, then its uplift model (chalicelib/jobs/risk.py)."""
    from chalicelib.domain.clock import clock, parse_iso
    from chalicelib.store import clinics, risk

    due = []
    for clinic_id in clinics.all_clinic_ids():
        last = risk.last_run(clinic_id)
        if last is None or clock.now() - parse_iso(last.at) >= RISK_PERIOD:
            due.append(clinic_id)
    if not due:
        return []
    return sorted(run_schedule("train_risk_models", clinic_ids=due))


def refresh_kpis(train: bool = True) -> dict:
    """The slower schedules: KPIs, points expiry (hourly in AWS; cheap, it reads only due lots)
    and, unless `train` is False, risk training when a day has passed (the runner's loop trains
    after the sweep instead, so a first start's dashboard and reminders come before it). Returns
    each clinic's patients counted by the KPI refresh."""
    run_schedule("refresh_segments")  # every 15 minutes in AWS: the memberships whose time rule flips
    run_schedule("expire_points")
    drain_stream()  # in AWS the stream is read continuously; here before the figures that read its counters
    figures = {clinic_id: outcome["patients"] for clinic_id, outcome in run_schedule("refresh_kpis").items()}
    if train:
        train_when_due()
    return figures


def describe_tick(result: dict) -> str:
    swept, drained = result["sweep"], result["queue"]
    return (f"sweep: {swept.get('read', 0)} due, {swept.get('queued', 0)} queued; queue: {drained['processed']} delivered, "
            f"{drained['failed']} failed")
