"""Items the lapse sweep reads against the number of recall jobs due, at 2,000 and 200,000 patients.

The due set is the same at both sizes (DUE jobs); only the patients around it grow. Most of
those patients have a recall job due in the future, one already sent (out of the due index,
in the reminder log) or none. If the sweep reads only the sparse due index, its items read
stay at about the number due whatever the clinic's size.

Registering 200,000 patients through the services in moto would take far too long, so one
patient is registered and one recall job planned through the services, and the rest are
written with BatchWriteItem from the same PynamoDB models and key helpers the store uses
(store.recall.job_item builds the jobs, as the planner does). Above 20,000 patients only the
items that matter to the sweep are written (profiles and jobs, not the per-condition entries).
The benchmark checks the written items have exactly the attributes of the service-made ones.
"""

from __future__ import annotations

import sys
import time
from datetime import timedelta

from _world import CLINIC_ID, DynamoRecorder, create_clinic, figure, moto_account, register_patient

SIZES = (2_000, 200_000)
FULL_SEED_UP_TO = 20_000
DUE = 200
RULE_ID = "eczema-remission-30"


def _shape(raw: dict) -> dict[str, str]:
    return {name: next(iter(value)) for name, value in raw.items()}


def _raw(pk: str, sk: str) -> dict:
    from chalicelib.config import settings
    from chalicelib.store import db

    return db.connection().client.get_item(
        TableName=settings().table_name, Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True)["Item"]


def seed(patients: int, due: int) -> tuple[set[tuple[str, str]], dict[str, int]]:
    """One clinic with `patients` patients and `due` recall jobs due now. Returns the due jobs' keys."""
    from chalicelib import crypto
    from chalicelib.domain.clock import clock, iso, local_date
    from chalicelib.domain.privacy import mask_name
    from chalicelib.services import visits as visit_service
    from chalicelib.services.patients import clinic_key, consent_changes
    from chalicelib.store import clinics, keys, patients as patient_store, recall
    from chalicelib.store.models import RecallJobItem
    from chalicelib.store.visits import stop_job_actions

    create_clinic()
    clinic = clinics.get(CLINIC_ID)
    rule = next(clinics.as_rule(item) for item in clinics.recall_rules(CLINIC_ID) if item.rule_id == RULE_ID)
    today = local_date(clock.now(), clinic.tz)
    now = iso(clock.now())

    # The references, made through the services: a patient whose job is due now, and one whose
    # job was sent yesterday (closed with the store's own actions, as the sender closes it).
    references = []
    for n, kind in enumerate(("due", "sent")):
        _, ref_id = register_patient(openid=f"obench-ref-{n}", phone=f"1390000000{n}")
        anchor = today - timedelta(days=rule.offset_days + 5)
        visit_service.record_remission(CLINIC_ID, ref_id, "eczema", anchor)
        job = recall.get_job(keys.patient_pk(CLINIC_ID, ref_id),
                             recall.job_sk("recall", RULE_ID, anchor.isoformat(), rule.offset_days))
        if kind == "sent":
            sent_at = iso(clock.now() - timedelta(days=1))
            job.update(actions=stop_job_actions("sent", sent_at, CLINIC_ID, ref_id, "inbox") + [
                RecallJobItem.deliveries.set([{"channel": "inbox", "status": "sent", "error_code": None,
                                               "at": sent_at}]), RecallJobItem.counted_week.set("2026-W46")])
        references.append((kind, ref_id, job))
    due_keys = {(job.pk, job.sk) for kind, _, job in references if kind == "due"}
    reference = patient_store.get(CLINIC_ID, references[0][1])
    district = reference.district
    # the segment state a registration writes (no segment yet, the silent rule's flip ahead)
    segment_state = {"last_interaction_at": reference.last_interaction_at, "seg_version": reference.seg_version,
                     "seg_flip_at": reference.seg_flip_at}

    key = clinic_key(CLINIC_ID)
    mix = {"due": 1, "future": 0, "sent": 1, "none": 0}
    probes: dict[str, tuple[str, str]] = {}
    with _BulkWriter(direct=patients > FULL_SEED_UP_TO) as writer:
        _write_patients(writer, references, patients, due, now, key, district, rule, clinic, today, mix, probes,
                        due_keys, segment_state)
    _check_shapes(references, probes)
    return due_keys, mix


def _write_patients(writer, references, patients, due, now, key, district, rule, clinic, today, mix, probes,
                    due_keys, segment_state) -> None:
    from chalicelib import crypto
    from chalicelib.domain.clock import clock, iso
    from chalicelib.domain.privacy import mask_name
    from chalicelib.services.desk import name_hash
    from chalicelib.services.patients import consent_changes
    from chalicelib.store import keys, patients as patient_store, recall

    for n in range(len(references), patients):
        patient_id = f"b{n:015x}"
        name, phone = f"患者{n}", f"139{n:08d}"
        item = patient_store.new_patient_item(
            CLINIC_ID, patient_id, created_at=now,
            name_enc=crypto.encrypt(key, CLINIC_ID, name), phone_enc=crypto.encrypt(key, CLINIC_ID, phone),
            phone_hash=crypto.keyed_hash("phone", CLINIC_ID, phone), name_masked=mask_name(name),
            name_hash=name_hash(CLINIC_ID, name),
            openid_hash=crypto.keyed_hash("openid", CLINIC_ID, f"obench-{n}"),
            birth_year=1950 + n % 60, sex="FM"[n % 2], district=district, conditions=["eczema"],
            department="dermatology", persona_tags=["anxious"],
            consents=consent_changes({"service": True, "marketing": False, "analytics": True}, "v1", now),
        )
        for name, value in segment_state.items():
            setattr(item, name, value)
        writer.put(item)
        probes.setdefault("patient", (item.pk, item.sk))
        if patients <= FULL_SEED_UP_TO:
            for condition in patient_store.condition_items(item):
                writer.put(condition)
        if n <= due:  # the seeded due jobs and the reference's make `due`
            kind, anchor = "due", today - timedelta(days=rule.offset_days + 1 + n % 7)
        else:
            kind = ("future", "sent", "none")[n % 3]
            anchor = today - timedelta(days=n % rule.offset_days)
        mix[kind] += 1
        if kind == "none":
            continue
        due_at = iso(rule.due_at(anchor, clinic.tz))
        job = recall.job_item(CLINIC_ID, patient_id, kind="recall", source_id=RULE_ID,
                              anchor_date=anchor.isoformat(), offset_days=rule.offset_days, due_at=due_at,
                              purpose=rule.purpose, anchor="remission", condition="eczema",
                              stop_on=list(rule.stop_on))
        if kind == "sent":
            # What stop_job_actions leaves behind: out of the due index, into the reminder log.
            sent_at = iso(clock.now() - timedelta(days=1 + n % 20))
            job.due_pk = job.due_sk = None
            job.status, job.processed_at, job.channel = "sent", sent_at, "inbox"
            job.gsi1pk, job.gsi1sk = keys.reminder_log_pk(CLINIC_ID), f"{sent_at}#{patient_id}"
            job.deliveries, job.counted_week = [{"channel": "inbox", "status": "sent", "error_code": None,
                                                 "at": sent_at}], "2026-W46"
        elif kind == "due":
            due_keys.add((job.pk, job.sk))
        probes.setdefault(kind, (job.pk, job.sk))
        writer.put(job)


def _check_shapes(references, probes) -> None:
    from chalicelib.store import keys

    # Written items must carry exactly the attributes (and types) of the service-made ones.
    made = {"patient": (keys.patient_pk(CLINIC_ID, references[0][1]), "PROFILE")}
    made.update({kind: (job.pk, job.sk) for kind, _, job in references})
    for kind, made_key in made.items():
        if kind in probes and _shape(_raw(*made_key)) != _shape(_raw(*probes[kind])):
            raise SystemExit(f"a seeded {kind} item differs from the service-made one: "
                             f"{_shape(_raw(*made_key))} vs {_shape(_raw(*probes[kind]))}")


class _BulkWriter:
    """BatchWriteItem of 25 serialised items at a time, retrying what DynamoDB leaves unprocessed.

    With `direct`, the items go straight to the in-process stand-in's table (the call
    BatchWriteItem makes there), skipping the HTTP round trip, and moto's 400 KB item-size check
    is off meanwhile (it re-sums the whole item on every attribute it sets, quadratic in the
    attributes; these items are a few hundred bytes): 200,000 patients in about a minute.
    """

    def __init__(self, direct: bool = False):
        from chalicelib.config import settings
        from chalicelib.store import db

        self.client, self.table, self.pending = db.connection().client, settings().table_name, []
        self.backend = None
        if direct:
            from moto.core import DEFAULT_ACCOUNT_ID
            from moto.dynamodb.models import dynamodb_backends

            self.backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][settings().region]

    def __enter__(self):
        if self.backend is not None:
            from moto.dynamodb.models.dynamo_type import LimitedSizeDict

            self._checked = LimitedSizeDict.__setitem__
            LimitedSizeDict.__setitem__ = dict.__setitem__
        return self

    def __exit__(self, *exc) -> None:
        self.flush()
        if self.backend is not None:
            from moto.dynamodb.models.dynamo_type import LimitedSizeDict

            LimitedSizeDict.__setitem__ = self._checked

    def put(self, item) -> None:
        if self.backend is not None:
            self.backend.put_item(self.table, item.serialize())
            return
        self.pending.append({"PutRequest": {"Item": item.serialize()}})
        if len(self.pending) == 25:
            self.flush()

    def flush(self) -> None:
        requests, self.pending = {self.table: self.pending}, []
        while requests and requests[self.table]:
            requests = self.client.batch_write_item(RequestItems=requests).get("UnprocessedItems") or {}


def queued_messages() -> set[tuple[str, str]]:
    import json

    from chalicelib.aws import client
    from chalicelib.jobs.sweep import queue_url

    sqs, url, seen = client("sqs"), queue_url(), set()
    while True:
        reply = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=600)
        messages = reply.get("Messages", [])
        if not messages:
            return seen
        for message in messages:
            body = json.loads(message["Body"])
            seen.add((body["pk"], body["sk"]))


def run(patients: int, recorder: DynamoRecorder, first: int, items_read: dict[int, int]) -> list[str]:
    from chalicelib.jobs.sweep import sweep_clinic

    problems = []
    with moto_account():
        started = time.perf_counter()
        due_keys, mix = seed(patients, DUE)
        seeded = time.perf_counter() - started
        with recorder.recording() as calls:
            totals = sweep_clinic(CLINIC_ID)
        reads = [c for c in calls if c.is_read]
        items = sum(c.items_read() for c in reads)
        scans = [c for c in reads if c.operation == "Scan"]
        queued = queued_messages()
        with recorder.recording() as again_calls:
            again = sweep_clinic(CLINIC_ID)
        again_items = sum(c.items_read() for c in again_calls if c.is_read)
        from chalicelib.aws import client
        from chalicelib.config import settings

        table_items = client("dynamodb").describe_table(TableName=settings().table_name)["Table"]["ItemCount"]
    items_read[patients] = items
    writes = [c for c in calls if c.is_write]

    figure(f"sweep-read-ratio-{patients}", f"{items / len(due_keys):.3f}",
           "<= 1.05" if patients == first else f"<= 1.05, same as at {first}")
    figure(f"sweep-items-read-{patients}", items,
           note=f"{len(due_keys)} due; " + ", ".join(
               f"{n} {scope}" for scope, n in _by_scope(reads).items()))
    figure(f"sweep-read-calls-{patients}", len(reads))
    figure(f"sweep-table-items-{patients}", table_items, note="every item in the table when the sweep ran")
    figure(f"sweep-write-calls-{patients}", len(writes), note=", ".join(
        f"{n} {what}" for what, n in _count(c.describe() for c in writes).items()) or "none")
    figure(f"sweep-queued-{patients}", totals["queued"], f"{len(due_keys)}, every due job")
    figure(f"sweep-rerun-queued-{patients}", again["queued"], "0")
    figure(f"sweep-rerun-items-read-{patients}", again_items,
           note="a second sweep right after: the queued jobs are leased, nothing is due")
    figure(f"sweep-patients-{patients}", patients, note=(
        f"{mix['due']} with a job due, {mix['future']} with one due later, {mix['sent']} with one already sent, "
        f"{mix['none']} without; seeded in {seeded:.1f} s"))
    if scans:
        problems.append(f"{patients}: the sweep scanned the table ({len(scans)} Scan calls)")
    if totals["queued"] != len(due_keys) or queued != due_keys:
        missing, extra = due_keys - queued, queued - due_keys
        problems.append(f"{patients}: queued {totals['queued']} of {len(due_keys)} due; {len(missing)} due jobs "
                        f"missing from the queue, {len(extra)} queued that were not due")
    if totals["failed"]:
        problems.append(f"{patients}: {totals['failed']} messages failed to queue")
    if again["queued"]:
        problems.append(f"{patients}: a second sweep queued {again['queued']} jobs again")
    return problems


def _count(labels) -> dict[str, int]:
    counted: dict[str, int] = {}
    for label in labels:
        counted[label] = counted.get(label, 0) + 1
    return counted


def _by_scope(reads) -> dict[str, int]:
    scopes: dict[str, int] = {}
    for call in reads:
        scope = call.describe()
        scopes[scope] = scopes.get(scope, 0) + call.items_read()
    return scopes


def main() -> int:
    recorder = DynamoRecorder().install()
    problems: list[str] = []
    sizes = tuple(int(arg) for arg in sys.argv[1:]) or SIZES
    items_read: dict[int, int] = {}
    for patients in sizes:
        problems += run(patients, recorder, sizes[0], items_read)
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        figure(f"sweep-read-growth-{small}-to-{large}", f"{items_read[large] / items_read[small]:.3f}", "<= 1.05",
               note=f"items read at {large:,} patients over items read at {small:,}, same number due")
    for problem in problems:
        print(f"sweep-problem: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
