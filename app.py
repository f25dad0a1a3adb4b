"""Revisit's Chalice app: registers the routes, schedules and queue handlers. No logic here.

Each schedule but the SMS receipt pull fans out: it sends one message per clinic to the clinic job
queue, and `clinic_jobs` runs the job for that clinic (chalicelib/jobs/clinic_jobs.py)."""

import os

from chalice import CORSConfig, Rate

from chalicelib.api import (accounts, appointments, audit, auth_routes, challenges, delivery, desk, experiments,
                            households, imports, leaderboard, me, meta, packages, risk, segments, staff, tasks)
from chalicelib.api.routing import App, error_shape

app = App(app_name="revisit")
app.api.cors = CORSConfig(
    allow_origin=os.environ.get("ALLOWED_ORIGIN", "*"),
    allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "X-Request-Id"],
    max_age=600,
)
app.register_middleware(error_shape, "http")
for blueprint in (auth_routes.bp, me.bp, staff.bp, leaderboard.bp, challenges.bp, tasks.bp, experiments.bp, packages.bp,
                  risk.bp, delivery.bp, segments.bp, accounts.bp, audit.bp, desk.bp, imports.bp, appointments.bp,
                  households.bp, meta.bp):
    app.register_blueprint(blueprint)


@app.schedule(Rate(1, unit=Rate.MINUTES), name="sweep_lapses")
def sweep_lapses(event):
    from chalicelib.jobs.clinic_jobs import fan_out

    return fan_out("sweep_lapses", event.time)


@app.schedule(Rate(15, unit=Rate.MINUTES), name="refresh_kpis")
def refresh_kpis(event):
    from chalicelib.jobs.clinic_jobs import fan_out

    return fan_out("refresh_kpis", event.time)


@app.schedule(Rate(1, unit=Rate.HOURS), name="expire_points")
def expire_points(event):
    from chalicelib.jobs.clinic_jobs import fan_out

    return fan_out("expire_points", event.time)


@app.on_sqs_message(queue=os.environ.get("REMINDER_QUEUE_NAME", "revisit-reminders"), batch_size=10,
                    name="send_reminders")
def send_reminders(event):
    from chalicelib.jobs.send_reminders import handle

    return handle(event.to_dict(), event.context)


@app.on_sqs_message(queue=os.environ.get("IMPORT_QUEUE_NAME", "revisit-imports"), batch_size=1,
                    name="import_chunks")
def import_chunks(event):
    from chalicelib.jobs.imports import handle

    return handle(event.to_dict(), event.context)


# every change to the table, in order per item: the KPI counters and the risk summaries follow them
# (docs/kpis.md). The packaged stack takes the stream's ARN from the resources stack (infra/render.py).
LOCAL_STREAM_ARN = "arn:aws:dynamodb:local:0:table/revisit/stream/local"  # the local runner reads moto's


@app.on_dynamodb_record(stream_arn=os.environ.get("TABLE_STREAM_ARN", LOCAL_STREAM_ARN), batch_size=100,
                        starting_position="TRIM_HORIZON", name="table_changes")
def table_changes(event):
    from chalicelib.jobs.changes import handle

    return handle(event.to_dict(), event.context)


# one message at a time: each clinic's job gets an invocation, and its time limit, of its own
@app.on_sqs_message(queue=os.environ.get("CLINIC_JOB_QUEUE_NAME", "revisit-clinic-jobs"), batch_size=1,
                    name="clinic_jobs")
def clinic_jobs(event):
    from chalicelib.jobs.clinic_jobs import handle

    return handle(event.to_dict(), event.context)


@app.schedule(Rate(5, unit=Rate.MINUTES), name="requeue_imports")
def requeue_imports(event):
    from chalicelib.jobs.clinic_jobs import fan_out

    return fan_out("requeue_imports", event.time)


@app.schedule(Rate(5, unit=Rate.MINUTES), name="mark_no_shows")
def mark_no_shows(event):
    from chalicelib.jobs.clinic_jobs import fan_out

    return fan_out("mark_no_shows", event.time)


@app.schedule(Rate(1, unit=Rate.DAYS), name="train_risk_models")
def train_risk_models(event):
    from chalicelib.jobs.clinic_jobs import fan_out

    return fan_out("train_risk_models", event.time)


@app.schedule(Rate(15, unit=Rate.MINUTES), name="refresh_segments")
def refresh_segments(event):
    from chalicelib.jobs.clinic_jobs import fan_out

    return fan_out("refresh_segments", event.time)


@app.schedule(Rate(1, unit=Rate.MINUTES), name="build_segments")
def build_segments(event):
    from chalicelib.jobs.clinic_jobs import fan_out

    return fan_out("build_segments", event.time)


@app.schedule(Rate(5, unit=Rate.MINUTES), name="pull_sms_receipts")
def pull_sms_receipts(event):
    from chalicelib.jobs.sms_receipts import pull_sms_receipts as run

    return run()
