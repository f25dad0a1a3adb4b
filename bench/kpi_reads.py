"""Items the KPI refresh and the dashboard read, at 2,000 and 200,000 patients with the same events.

The refresh reads the clinic's stream-fed counters (a total item and one item per day shown), the
requested revisits of the challenge period and the day counters of packages, calls and bookings:
what happened, never the patients. At both sizes the same events are made through the services
(visits with their next revisit dates, some kept, some missed; remissions; messages sent through the
lapse sweep and the sender), their stream records handed to the stream handler as the event source
mapping would, then the refresh runs and the dashboard is read, each with its DynamoDB calls counted.

The patients around the events are written in bulk from the store's own item builders (as
bench/sweep_reads.py writes them): a bulk load is not a change, so it makes no stream records, and
their counters are built by the backfill a deployment runs for a clinic that existed before the
stream (at 2,000 patients; its items read per patient are a figure of their own). At 200,000 the
backfill is not run: the refresh reads the same counter items whatever they hold. The full
computation over every patient (the refresh before the counters) is measured at 2,000 for
comparison (at 200,000 it takes minutes in moto) and checked to agree with the counters.
"""

from __future__ import annotations

import sys
from datetime import timedelta

from _world import CLINIC_ID, DynamoRecorder, create_clinic, figure, moto_account, register_patient

SIZES = (2_000, 200_000)
EVENT_PATIENTS = 120  # registered through the services, with the visits, dues and messages counted
BACKFILL_UP_TO = 20_000


def _items_read(calls) -> int:
    return sum(call.items_read() for call in calls if call.is_read)


def _bulk_patients(count: int) -> None:
    """`count` patients written straight into moto's table from the store's item builder, without
    stream records (a bulk load, as a snapshot restore)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import LimitedSizeDict

    from chalicelib import crypto
    from chalicelib.config import settings
    from chalicelib.domain.clock import clock, iso
    from chalicelib.domain.privacy import mask_name
    from chalicelib.services.desk import name_hash
    from chalicelib.services.patients import clinic_key, consent_changes
    from chalicelib.store import patients as patient_store

    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][settings().region]
    table = backend.get_table(settings().table_name)
    shard, table.stream_shard = table.stream_shard, None
    checked, LimitedSizeDict.__setitem__ = LimitedSizeDict.__setitem__, dict.__setitem__
    key, now = clinic_key(CLINIC_ID), iso(clock.now() - timedelta(days=400))
    try:
        for n in range(count):
            name, phone = f"患者{n}", f"137{n:08d}"
            item = patient_store.new_patient_item(
                CLINIC_ID, f"k{n:015x}", created_at=now,
                name_enc=crypto.encrypt(key, CLINIC_ID, name), phone_enc=crypto.encrypt(key, CLINIC_ID, phone),
                phone_hash=crypto.keyed_hash("phone", CLINIC_ID, phone), name_masked=mask_name(name),
            name_hash=name_hash(CLINIC_ID, name),
                birth_year=1950 + n % 60, sex="FM"[n % 2], district="朝阳", conditions=["eczema"],
                department="dermatology", persona_tags=[],
                consents=consent_changes({"service": True, "marketing": False, "analytics": True}, "v1", now))
            backend.put_item(settings().table_name, item.serialize())
    finally:
        table.stream_shard = shard
        LimitedSizeDict.__setitem__ = checked


def _events() -> None:
    """The same activity at every size: registrations, visits with next revisit dates (kept, missed,
    open), remissions whose reminders the sweep and the sender send, a visit after some of them."""
    from chalicelib.domain.clock import clock, local_date
    from chalicelib.jobs.send_reminders import handle
    from chalicelib.jobs.sweep import queue_url, sweep_clinic
    from chalicelib.services import visits
    from devstack.sqs_pump import drain

    today = local_date(clock.now(), "Asia/Shanghai")
    ids = []
    for n in range(EVENT_PATIENTS):
        _, pid = register_patient(openid=f"okpi-{n}", phone=f"1360000{n:04d}")
        ids.append(pid)
        first = today - timedelta(days=60 + n % 40)
        visits.record_visit(CLINIC_ID, pid, visit_date=first, department="dermatology",
                            next_due_date=first + timedelta(days=30), recorded_by="bench")
        if n % 3 == 0:  # kept
            visits.record_visit(CLINIC_ID, pid, visit_date=first + timedelta(days=31), department="dermatology",
                                next_due_date=None, recorded_by="bench")
        if n % 4 == 0:
            visits.record_remission(CLINIC_ID, pid, "eczema", today - timedelta(days=31))
    sweep_clinic(CLINIC_ID)
    drain(queue_url(), handle)
    for pid in ids[:EVENT_PATIENTS // 8]:
        visits.record_visit(CLINIC_ID, pid, visit_date=today, department="dermatology", next_due_date=None,
                            recorded_by="bench")


def run(patients: int, recorder: DynamoRecorder, results: dict) -> None:
    from chalicelib.jobs.changes import handle
    from chalicelib.jobs.kpis import compute, refresh_clinic
    from chalicelib.services import clinics as clinic_service
    from chalicelib.services import kpi_counters
    from chalicelib.store import counters
    from devstack.stream_pump import drain, skip_to_latest

    from devstack import moto_patches

    with moto_account(), moto_patches.patched():
        create_clinic()
        skip_to_latest()
        _bulk_patients(patients - EVENT_PATIENTS)
        if patients <= BACKFILL_UP_TO:
            with recorder.recording() as calls:
                assert kpi_counters.backfill(CLINIC_ID, restart=True) is None
            results[f"backfill-{patients}"] = _items_read(calls) / patients
        else:
            counters.save_state(CLINIC_ID, building=False, phase="live")
        _events()
        with recorder.recording() as calls:
            streamed = drain(handle)
        results[f"stream-calls-{patients}"] = (len(calls), streamed["received"])
        with recorder.recording() as calls:
            refresh_clinic(CLINIC_ID)
        results[f"refresh-{patients}"] = _items_read(calls)
        with recorder.recording() as calls:
            shown = clinic_service.dashboard(CLINIC_ID)
        results[f"dashboard-{patients}"] = _items_read(calls)
        assert shown["kpis"]["revisit_rate_90"] is not None
        if patients <= BACKFILL_UP_TO:  # the old way reads every patient: minutes in moto at 200,000
            with recorder.recording() as calls:
                full = compute(CLINIC_ID)
            results[f"full-{patients}"] = _items_read(calls)
            results[f"full-per-patient-{patients}"] = _items_read(calls) / patients
            assert full["kpis"]["revisit_rate_90"] == shown["kpis"]["revisit_rate_90"]


def main(argv: list[str]) -> int:
    sizes = tuple(int(a) for a in argv[1:]) or SIZES
    recorder = DynamoRecorder().install()
    results: dict = {}
    for patients in sizes:
        run(patients, recorder, results)
    small, large = sizes[0], sizes[-1]
    for patients in sizes:
        full = results.get(f"full-{patients}")
        figure(f"kpi-refresh-items-read-{patients}", results[f"refresh-{patients}"],
               note=f"{full} for the full computation over every patient" if full is not None else
               f"the full computation would read about {results[f'full-per-patient-{small}'] * patients:,.0f}")
        calls, records = results[f"stream-calls-{patients}"]
        figure(f"kpi-stream-calls-per-record-{patients}", round(calls / max(records, 1), 3),
               note=f"{records} stream records of the same events")
    figure(f"kpi-refresh-items-read-growth-{small}-to-{large}",
           round(results[f"refresh-{large}"] / results[f"refresh-{small}"], 3), "<= 1.05")
    figure("dashboard-read-items", results[f"dashboard-{large}"], f"<= {results[f'dashboard-{small}']}",
           note=f"at {large} patients; the same at {small}")
    if f"backfill-{small}" in results:
        figure("kpi-backfill-items-read-per-patient", round(results[f"backfill-{small}"], 2),
               note="once per clinic that existed before the stream")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
