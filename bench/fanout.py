"""The schedules' per-clinic fan-out at 1,000 clinics: what one scheduled invocation does (reads the
clinic registry page by page, sends one message per clinic, ten to a SendMessageBatch call) and how
many clinics one invocation of the clinic job handler takes (Lambda hands it `batch_size` messages;
app.py sets 1, read here from the app's own event source).

Before the fan-out every schedule walked all clinics in its one invocation, so the largest number of
clinics one invocation handled was the number of clinics (1,000 here) and the 15-minute limit applied
to all of them together. Now the scheduled invocation only sends messages, and each clinic's job runs
in an invocation of its own.

The 1,000 clinics are registry entries written in one batch (creating a clinic through the service
makes its data key, rules and segments: about half a second each in moto). The drained job is the
import requeue sweep, which reads one index partition of its clinic and needs nothing else.
"""

from __future__ import annotations

import json
import time

from _world import DynamoRecorder, figure, moto_account

CLINICS = 1_000
JOB = "requeue_imports"


def _batch_size() -> int:
    from chalice.app import SQSEventConfig

    from app import app

    return next(source.batch_size for source in app.event_sources
                if isinstance(source, SQSEventConfig) and source.name == "clinic_jobs")


def _register(n: int) -> list[str]:
    from chalicelib.store import models
    from chalicelib.store.models import ClinicRegistryItem

    models.bind()
    ids = [f"clinic-{i:04d}" for i in range(n)]
    with ClinicRegistryItem.batch_write() as batch:
        for clinic_id in ids:
            batch.save(ClinicRegistryItem("CLINICS", clinic_id, name=clinic_id))
    return ids


def main() -> int:
    recorder = DynamoRecorder().install()  # before the first connection is made
    with moto_account():
        from chalicelib.aws import client
        from chalicelib.jobs import clinic_jobs
        from devstack.sqs_pump import drain

        ids = _register(CLINICS)
        sqs_calls: list[str] = []

        def count(event_name, **kwargs):
            sqs_calls.append(event_name.rsplit(".", 1)[-1])

        client("sqs").meta.events.register("before-call.sqs", count)
        started = time.monotonic()
        with recorder.recording() as calls:
            sent = clinic_jobs.fan_out(JOB)
        seconds = time.monotonic() - started
        client("sqs").meta.events.unregister("before-call.sqs", count)
        if sent["queued"] != CLINICS or sent["failed"]:
            raise SystemExit(f"the fan-out queued {sent['queued']} of {CLINICS} messages")

        batch = _batch_size()
        invocations: list[set[str]] = []

        def invoke(event: dict) -> dict:
            clinics = {json.loads(record["body"])["clinic_id"] for record in event["Records"]}
            invocations.append(clinics)
            return dict(clinic_jobs.handle(event))

        drained = drain(clinic_jobs.queue_url(), invoke, batch_size=batch, max_batches=10 * CLINICS)
        ran = set().union(*invocations) if invocations else set()
        if drained["failed"] or ran != set(ids):
            raise SystemExit(f"the handler ran {len(ran)} of {CLINICS} clinics, {drained['failed']} failed")

    queries = sum(1 for call in calls if call.operation == "Query")
    figure("fanout-clinics-per-invocation-max", max(len(c) for c in invocations), "<= 1",
           f"was {CLINICS}: every clinic in the schedule's one invocation")
    figure("fanout-job-invocations-1000-clinics", len(invocations), f"= {CLINICS}", "one per clinic")
    figure("fanout-messages-1000-clinics", sent["queued"], f"= {CLINICS}")
    figure("fanout-send-calls-1000-clinics", sqs_calls.count("SendMessageBatch"), f"<= {CLINICS // 10}",
           "ten messages a call")
    figure("fanout-registry-queries-1000-clinics", queries, f"<= {CLINICS // clinic_jobs.CLINIC_PAGE + 1}",
           f"{clinic_jobs.CLINIC_PAGE} clinic ids a page; {len(calls)} DynamoDB calls in all")
    bound = CLINICS // 10 + CLINICS // clinic_jobs.CLINIC_PAGE + 2  # sends, registry pages (+1 short), queue URL
    figure("fanout-schedule-aws-calls-1000-clinics", len(sqs_calls) + len(calls), f"<= {bound}",
           "the scheduled invocation's SQS and DynamoDB calls; at tens of milliseconds a call, seconds, "
           "within its 60 s timeout")
    figure("fanout-schedule-moto-seconds-1000-clinics", round(seconds, 2), None,
           "wall time in moto, no target: moto recomputes a queue's attributes over every message at "
           "each send, so its time grows with the square of the messages queued")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
