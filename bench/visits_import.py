"""Seconds to import the documented 5,000-row visit file at 300 and 3,000 patients: synchronously
(POST /visits/import), and as an import job (POST /imports: the answer, then the whole job).

Pass sizes as arguments to run others (`visits_import.py 300`); BENCH_IMPORT_ROWS sets a smaller
file for a quick look (the figure names keep the row count).

API Gateway gives a request 29 s. The file is the largest the import takes (domain/visit_csv.py
MAX_ROWS): each row names its patient by phone, as a hospital export does, with a visit day, a
department and, on most rows, a requested revisit day. The patients are written in bulk from the
same models and key helpers the store uses (profile, phone uniqueness claim, condition entries),
after one reference patient registered through the services. The request goes through
chalice.test.Client against app.app over moto, with every DynamoDB call recorded
(_world.DynamoRecorder): the figures are the seconds and the calls by operation.

The service function the route calls (services.visits.import_csv) is timed, without the sign-in
and the body's transfer. moto runs in process with the local stack's patches (devstack/moto_patches.py):
moto's own TransactWriteItems deep-copies the whole table before each transaction, so without them
every visit would cost time in proportion to the clinic's size, which DynamoDB does not.

The import job (chalicelib/services/imports.py): `visits-import-5000-rows-accept-seconds` times the
service function POST /imports calls (services.imports.accept: the file checked, its chunks stored,
one SQS message per chunk) against the 29 s; `visits-import-5000-rows-job-seconds` times the whole
job through its queue handler as the local stack drains it (devstack/schedules.py drain_imports),
chunk after chunk in one process: informative (in AWS the chunks run in parallel invocations).
The job's file has its own hospital visit numbers, so its rows are new visits, not duplicates of
the synchronous import's. BENCH_IMPORT_MODES (`sync,job` by default) picks what runs.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from collections import Counter
from datetime import date, timedelta

from _world import CLINIC_ID, DynamoRecorder, create_clinic, figure, moto_account, register_patient

SIZES = tuple(int(a) for a in sys.argv[1:]) or (300, 3_000)
ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "5000"))
MODES = tuple(m.strip() for m in os.environ.get("BENCH_IMPORT_MODES", "sync,job").split(",") if m.strip())
TARGET_SECONDS = 29.0
STAFF = "desk@bench-clinic"


def seed(patients: int) -> list[str]:
    """The clinic and its patients; returns their phones."""
    from sweep_reads import _BulkWriter

    from chalicelib import crypto
    from chalicelib.domain.clock import clock, iso
    from chalicelib.domain.privacy import mask_name
    from chalicelib.services.patients import clinic_key, consent_changes
    from chalicelib.store import keys, patients as patient_store
    from chalicelib.store.models import UniqueItem

    create_clinic()
    phones = ["13900000000"]
    register_patient(openid="obench-ref", phone=phones[0])
    key = clinic_key(CLINIC_ID)
    now = iso(clock.now())
    with _BulkWriter() as writer:
        for n in range(1, patients):
            patient_id = f"b{n:015x}"
            name, phone = f"患者{n}", f"139{n:08d}"
            phone_hash = crypto.keyed_hash("phone", CLINIC_ID, phone)
            item = patient_store.new_patient_item(
                CLINIC_ID, patient_id, created_at=now,
                name_enc=crypto.encrypt(key, CLINIC_ID, name), phone_enc=crypto.encrypt(key, CLINIC_ID, phone),
                phone_hash=phone_hash, name_masked=mask_name(name), birth_year=1950 + n % 60, sex="FM"[n % 2],
                district="朝阳", conditions=["eczema"], department="dermatology", persona_tags=["anxious"],
                consents=consent_changes({"service": True, "marketing": False, "analytics": True}, "v1", now))
            writer.put(item)
            writer.put(UniqueItem(keys.phone_pk(CLINIC_ID, phone_hash), keys.UNIQUE_SK, patient_id=patient_id))
            for entry in patient_store.condition_items(item):
                writer.put(entry)
            phones.append(phone)
    return phones


def visit_file(phones: list[str], rows: int, seed_value: int = 7, prefix: str = "HIS") -> str:
    """A hospital export of `rows` visits over the last two years, most asking for a revisit."""
    pick = random.Random(seed_value)
    today = date(2026, 11, 19)
    lines = ["phone,visit_date,department,next_due_date,external_id"]
    for n in range(rows):
        day = today - timedelta(days=pick.randrange(1, 720))
        due = (day + timedelta(days=pick.choice((30, 60, 90, 180)))).isoformat() if n % 4 else ""
        lines.append(f"{pick.choice(phones)},{day.isoformat()},dermatology,{due},{prefix}-{n:06d}")
    return "\n".join(lines) + "\n"


def run(patients: int, recorder: DynamoRecorder) -> list[str]:
    problems: list[str] = []
    from devstack import moto_patches

    with moto_patches.patched(), moto_account():
        from chalicelib.errors import AppError
        from chalicelib.services import visits

        phones = seed(patients)
        if "job" in MODES:
            problems += run_job(patients, phones)
        if "sync" not in MODES:
            return problems
        text = visit_file(phones, ROWS)
        with recorder.recording() as calls:
            started = time.perf_counter()
            try:
                body = visits.import_csv(CLINIC_ID, text, STAFF)
            except AppError as err:
                body = {"refused": err.code}
            seconds = time.perf_counter() - started
        if "refused" in body:
            problems.append(f"{patients}: the import was refused: {body['refused']}")
        elif body["imported"] + body["duplicates"] != ROWS or body["errors"]:
            problems.append(f"{patients}: imported {body['imported']}, duplicates {body['duplicates']}, "
                            f"errors {body['errors'][:3]}")
        figure(f"visits-import-{ROWS}-rows-seconds", seconds, f"<= {TARGET_SECONDS:g}", note=f"{patients:,} patients")
        ops = Counter(c.operation for c in calls)
        figure(f"visits-import-{ROWS}-rows-dynamodb-calls", sum(ops.values()),
               note=f"{patients:,} patients: " + ", ".join(f"{op} {n}" for op, n in ops.most_common()))
        lookups = [c for c in calls if c.operation == "BatchGetItem"]
        figure(f"visits-import-{ROWS}-rows-lookup-calls", len(lookups),
               note=f"{patients:,} patients: BatchGetItem of phone claims, 100 keys a call; "
                    f"{sum(1 for c in calls if c.operation == 'GetItem' and 'UNIQUE' in str(c.params))} GetItem of a claim")
    return problems


def run_job(patients: int, phones: list[str]) -> list[str]:
    """The same size of file through POST /imports's service and then the import queue's handler."""
    from chalicelib.errors import AppError
    from chalicelib.services import imports
    from devstack.schedules import drain_imports

    problems: list[str] = []
    text = visit_file(phones, ROWS, seed_value=11, prefix="JOB")
    started = time.perf_counter()
    try:
        job = imports.accept(CLINIC_ID, "visits", text.encode(), STAFF)
    except AppError as err:
        return [f"{patients}: the import job was refused: {err.code}"]
    accepted = time.perf_counter() - started
    figure(f"visits-import-{ROWS}-rows-accept-seconds", accepted, f"<= {TARGET_SECONDS:g}",
           note=f"{patients:,} patients, {job['chunks']} chunks queued")
    started = time.perf_counter()
    while True:
        drained = drain_imports()
        state = imports.status(CLINIC_ID, job["job_id"])
        if state["status"] == "done" or not drained["received"]:
            break
    seconds = time.perf_counter() - started
    figure(f"visits-import-{ROWS}-rows-job-seconds", seconds,
           note=f"{patients:,} patients, {state['chunks_done']}/{state['chunks']} chunks in one process, "
                f"status {state['status']}")
    if state["status"] != "done" or state["recorded"] + state["duplicates"] != ROWS or state["error_count"]:
        problems.append(f"{patients}: job {state['status']}: recorded {state['recorded']}, duplicates "
                        f"{state['duplicates']}, errors {state['errors'][:3]}")
    return problems


def main() -> int:
    recorder = DynamoRecorder().install()
    problems: list[str] = []
    for size in SIZES:
        problems += run(size, recorder)
    for problem in problems:
        print(f"visits-import-problem: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
