"""The schedules of the local stack: the functions EventBridge and the SQS event source mapping
call in AWS, called by the runner on timers and by `make sweep` once."""

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


def drain_stream() -> dict[str, int]:
    """Pass the table's stream to its handler (chalicelib/jobs/changes.py) as Lambda's DynamoDB
    Streams event source mapping would (devstack/stream_pump.py): the KPI counters and what else
    follows the table's changes."""
    from chalicelib.jobs.changes import handle
    from devstack.stream_pump import drain

    return drain(handle)


def rebuild_counters() -> dict[str, object]:
    """After a snapshot restore: the records its items made are not changes (skipped), and each
    clinic's KPI counters are built again by the backfill a deployment runs for a clinic that
    existed before the stream, then the dashboard is computed from them."""
    from chalicelib.jobs.kpis import refresh_kpis as refresh
    from chalicelib.services.kpi_counters import backfill
    from chalicelib.store import clinics
    from devstack.stream_pump import skip_to_latest

    skipped = skip_to_latest()
    built = [clinic_id for clinic_id in clinics.all_clinic_ids() if backfill(clinic_id, restart=True) is None]
    refresh()
    return {"skipped_records": skipped, "clinics": built}


def sweep_and_drain() -> dict:
    """The minute schedules: segment builds (a new segment's first build, resumed page by page),
    then the lapse sweep and the reminder queue; and the SMS receipts (every five minutes in AWS,
    and only on a stack sending SMS through Tencent Cloud SMS) and the import requeue sweep (every
    five minutes in AWS; cheap, one Query per clinic); and the no-show sweep (every five minutes in
    AWS; it reads only bookings still booked whose slot has ended)."""
    from chalicelib.jobs.appointments import mark_no_shows
    from chalicelib.jobs.imports import requeue_imports
    from chalicelib.jobs.segments import build_segments
    from chalicelib.jobs.sms_receipts import pull_sms_receipts
    from chalicelib.jobs.sweep import sweep_lapses

    drain_stream()
    build_segments()
    swept = sweep_lapses()
    drained = drain_queue()
    requeued = requeue_imports()
    imported = drain_imports()
    pull_sms_receipts()
    no_shows = mark_no_shows()
    return {"sweep": swept, "queue": drained, "imports": imported, "requeued": requeued, "no_shows": no_shows}


RISK_PERIOD = timedelta(days=1)


def train_when_due() -> list[str]:
    """The daily risk training, for each clinic whose last run is a day old or missing (the first
    slow tick after the demo seed trains every clinic at once), then its uplift model, as the
    daily job does (chalicelib/jobs/risk.py)."""
    from chalicelib.domain.clock import clock, parse_iso
    from chalicelib.services import uplift
    from chalicelib.services.risk import train_clinic
    from chalicelib.store import clinics, risk

    trained = []
    for clinic_id in clinics.all_clinic_ids():
        last = risk.last_run(clinic_id)
        if last is None or clock.now() - parse_iso(last.at) >= RISK_PERIOD:
            train_clinic(clinic_id)
            uplift.train_clinic(clinic_id)
            trained.append(clinic_id)
    return trained


def refresh_kpis(train: bool = True) -> dict:
    """The slower schedules: KPIs, points expiry (hourly in AWS; cheap, it reads only due lots)
    and, unless `train` is False, risk training when a day has passed (the runner's loop trains
    after the sweep instead, so a first start's dashboard and reminders come before it)."""
    from chalicelib.jobs.expiry import expire_points
    from chalicelib.jobs.kpis import refresh_kpis as run
    from chalicelib.jobs.segments import refresh_segments

    refresh_segments()  # every 15 minutes in AWS: the memberships whose time rule flips
    expire_points()
    drain_stream()  # in AWS the stream is read continuously; here before the figures that read its counters
    figures = run()
    if train:
        train_when_due()
    return figures


def describe_tick(result: dict) -> str:
    swept, drained = result["sweep"], result["queue"]
    return (f"sweep: {swept['read']} due, {swept['queued']} queued; queue: {drained['processed']} delivered, "
            f"{drained['failed']} failed")
