"""What the daily risk run reads, and how long a 200,000-patient clinic's run would take at real
DynamoDB speed, with each patient's feature summary in one item (docs/risk.md, "The daily run").

A synthetic clinic (bench/risk_auc.py's generator) is written straight into moto as profiles and
feature summaries, at 2,000 and at 20,000 patients. A first run trains on the sample, adopts the
model and scores everyone from the summaries (counted by phase: training, re-scoring). Then 1% of
the patients get a visit, applied through the stream consumer, the clock moves a day, and the
daily run is counted: items read per patient scored again, which must not grow with the clinic.

The 200,000-patient estimate is the worst day: a training day on which a new model is adopted
and everyone is scored again, plus the day's due patients. DynamoDB time comes from the counted
calls and bytes (latencies and throughput below, stated in docs/risk.md); Python time is measured
here on the same code (training on the sample, scoring one summary), with no moto in it.

The sample AUC gap: a synthetic clinic of 40,000 patients trained on everyone and on the sample
the run takes (SAMPLE_PATIENTS, whole hash buckets), both evaluated on a third synthetic clinic
neither saw.

    .venv/bin/python bench/risk_reads.py
"""

from __future__ import annotations

import json
import random
import sys
import time
from datetime import timedelta

from _world import CLINIC_ID, T0, DynamoRecorder, create_clinic, figure, moto_account

SIZES = tuple(int(n) for n in sys.argv[1].split(",")) if len(sys.argv) > 1 else (2_000, 20_000)
TARGET_PATIENTS = 200_000
CHANGED_SHARE = 0.01  # patients with a new visit on the bench's day
GAP_PATIENTS = 40_000
GAP_CHECK_PATIENTS = 20_000
SMALL_SAMPLE = 5_000
SEED = 777

# Assumed DynamoDB latencies (ms per call, from the Lambda in the table's region) and throughput
# for the bytes a call returns beyond its first few KB (MB/s, one sequential reader).
LATENCY_MS = {"GetItem": 6, "PutItem": 8, "UpdateItem": 8, "DeleteItem": 8, "Query": 10, "BatchGetItem": 15,
              "BatchWriteItem": 20, "TransactWriteItems": 30, "TransactGetItems": 15, "Scan": 10}
THROUGHPUT_MB_S = 10.0


def _facts(h, register_at: str) -> dict:
    """The summary facts of a synthetic history, built from the items the services would write."""
    from chalicelib.domain import risk_summary

    items = [{"sk": f"VISIT#{d}#v{i}", "visit_date": d.isoformat(), "next_due_date": due.isoformat() if due else None}
             for i, (d, due) in enumerate(h.visits)]
    items += [{"sk": f"CHECKIN#{d}#glucose#c{i}", "local_date": d.isoformat()} for i, d in enumerate(h.checkins)]
    items += [{"sk": f"LEDGER#share:{i}", "entry_id": f"share:{i}", "at": f"{d}T04:00:00Z"} for i, d in enumerate(h.shares)]
    items += [{"sk": f"INBOX#{i}", "read_at": f"{d}T04:00:00Z"} for i, d in enumerate(h.inbox_reads)]
    items += [{"sk": f"FUOUT#{d}#{i}", "day": d.isoformat(), "outcome": o} for i, (d, o) in enumerate(h.calls)]
    profile = {"created_at": register_at, "conditions": list(h.conditions), "district": h.district,
               "name_masked": "张*", "consents": {"analytics": {"granted": True}}}
    return risk_summary.from_items(profile, items)


def _seed(histories) -> list[str]:
    """Profiles and summaries, written straight into moto's table (no HTTP round trip)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    from chalicelib.config import settings
    from chalicelib.domain import risk_summary
    from chalicelib.store import keys

    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][settings().region]
    table = settings().table_name
    ids = []
    for h in histories:
        pid = f"{h.patient_id}x{random.Random(h.patient_id).getrandbits(32):08x}"
        pk = keys.patient_pk(CLINIC_ID, pid)
        created = f"{h.registered}T02:00:00Z"
        backend.put_item(table, {
            "pk": {"S": pk}, "sk": {"S": "PROFILE"}, "patient_id": {"S": pid}, "clinic_id": {"S": CLINIC_ID},
            "gsi1pk": {"S": keys.patients_list_pk(CLINIC_ID)}, "gsi1sk": {"S": keys.patients_list_sort(created, pid)},
            "created_at": {"S": created}, "name_masked": {"S": "张*"}, "district": {"S": h.district},
            "conditions": {"L": [{"S": c} for c in h.conditions]},
            "consents": {"M": {"analytics": {"M": {"granted": {"BOOL": True}}}}}})
        backend.put_item(table, {
            "pk": {"S": pk}, "sk": {"S": keys.RISK_SUMMARY_SK}, "patient_id": {"S": pid},
            "facts": {"S": json.dumps(_facts(h, created))}, "rev": {"N": "1"},
            # due now, as the backfill leaves every summary
            "due_pk": {"S": keys.risk_due_pk(CLINIC_ID)}, "due_sk": {"S": keys.due_sort_of("2026-11-20T00:00:00Z", pid)},
            "gsi1pk": {"S": keys.risk_summaries_pk(CLINIC_ID)},
            "gsi1sk": {"S": keys.risk_summary_sort(risk_summary.sample_bucket(pid), pid)}})
        ids.append(pid)
    return ids


def _bytes(call) -> int:
    reply = call.response
    if call.operation == "Query":
        return len(json.dumps(reply.get("Items", [])))
    if call.operation == "BatchGetItem":
        return len(json.dumps(reply.get("Responses", {})))
    if call.operation == "GetItem":
        return len(json.dumps(reply.get("Item", {})))
    return 0


def _io_seconds(calls, scale: float = 1.0) -> float:
    latency = sum(LATENCY_MS.get(c.operation, 10) for c in calls) / 1000
    volume = sum(_bytes(c) for c in calls) / 1e6 / THROUGHPUT_MB_S
    return (latency + volume) * scale


def _ops(calls) -> str:
    counts: dict[str, int] = {}
    for c in calls:
        counts[c.operation] = counts.get(c.operation, 0) + 1
    return ", ".join(f"{n} {op}" for op, n in sorted(counts.items(), key=lambda kv: -kv[1]))


def run_size(patients: int, recorder: DynamoRecorder) -> dict:
    from risk_auc import clinic

    from chalicelib.domain.clock import clock, iso, local_date
    from chalicelib.services import risk as service
    from chalicelib.services.risk_summaries import on_change
    from chalicelib.store import clinics, keys
    from chalicelib.store import risk as store
    from chalicelib.store.changes import Change
    from devstack import moto_patches

    out: dict = {}
    with moto_account(), moto_patches.patched():
        create_clinic()
        histories = clinic(patients, seed=SEED + patients)
        ids = _seed(histories)
        now = clock.now()
        store.save_state(CLINIC_ID, store.RiskState(True), iso(now))
        tz = clinics.get(CLINIC_ID).tz
        at, today = iso(now), local_date(now, tz)
        with recorder.recording() as training:
            started = time.perf_counter()
            reply = service._train(CLINIC_ID, tz, today, at)
            out["train_wall"] = time.perf_counter() - started
        assert reply.get("adopted"), reply
        current = store.current_model(CLINIC_ID)
        model = service.rules.Model.from_dict(current.model)
        space, version = service.space_of(model), int(current.version)
        # the first scoring of everyone (every summary due, as the backfill leaves them)
        service._rescore_all(CLINIC_ID, tz, today, at, model, space, version, [], None, service._Budget(1e9))
        out.update(training=list(training))

        # a day: 1% of the patients come in, through the stream consumer
        rng = random.Random(patients)
        changed = rng.sample(ids, int(patients * CHANGED_SHARE))
        day = today + timedelta(days=1)
        clock.set(T0 + timedelta(days=1))
        for n, pid in enumerate(changed):
            on_change(Change(event_id=f"bench-{n}", event_name="INSERT", pk=keys.patient_pk(CLINIC_ID, pid),
                             sk=keys.visit_sk(day.isoformat(), f"b{n}"), old=None,
                             new={"visit_date": day.isoformat(), "next_due_date": (day + timedelta(days=60)).isoformat(),
                                  "visit_id": f"b{n}"}, at=clock.now()))
        clock.set(T0 + timedelta(days=2))
        with recorder.recording() as daily:
            done = service.train_clinic(CLINIC_ID)
        due = {k["pk"]["S"] for c in daily if c.operation == "BatchGetItem"
               for table in c.params["RequestItems"].values() for k in table["Keys"]}
        assert done["status"] == "scored", done
        assert {keys.patient_pk(CLINIC_ID, pid) for pid in changed} <= due
        out.update(daily=list(daily), due=len(due), changed=len(changed), daily_scored=done["scored"])

        # a new model adopted later: every score changes, everyone is read again (summaries only)
        saved = store.save_model(CLINIC_ID, trained_at=iso(clock.now()), model=current.model, auc=current.auc,
                                 baseline_auc=current.baseline_auc, counts=current.counts, cutoffs=current.cutoffs,
                                 horizon_days=current.horizon_days, evaluation=current.evaluation)
        with recorder.recording() as rescoring:
            scored, _ = service._rescore_all(CLINIC_ID, tz, day + timedelta(days=1), iso(clock.now()), model, space,
                                             int(saved.version), [], None, service._Budget(1e9))
        out.update(rescoring=list(rescoring), scored_all=scored)

        # Python time of scoring one summary (no I/O)
        summaries = list(store.summaries_of(CLINIC_ID, ids[:2000]).values())
        started = time.perf_counter()
        for s in summaries:
            service._score_summary(s, tz, today, model, space, version)
        out["score_seconds_each"] = (time.perf_counter() - started) / len(summaries)
    return out


def reads_and_estimate() -> None:
    from chalicelib.services import risk as service

    recorder = DynamoRecorder().install()
    measured = {}
    for patients in SIZES:
        m = run_size(patients, recorder)
        measured[patients] = m
        read = sum(c.items_read() for c in m["daily"] if c.is_read)
        figure(f"risk-daily-items-read-per-due-patient-at-{patients}", round(read / m["due"], 2),
               note=f"{read} items for {m['due']} due ({m['changed']} with a new visit, the rest crossed a time "
                    f"boundary); {len(m['daily'])} calls: {_ops(m['daily'])}")
    big = measured[SIZES[-1]]
    read = sum(c.items_read() for c in big["daily"] if c.is_read)
    per_patient = sum(c.items_read() for c in big["daily"] if c.operation == "BatchGetItem"
                      or (c.operation == "Query" and "#RISKDUE" in str(c.params)))
    fixed = read - per_patient
    figure("risk-daily-items-read-per-changed-patient", round(read / big["due"], 2), "<= 2",
           note=f"at {SIZES[-1]} patients: a due-index key and a summary per patient, plus {fixed} items per run "
                f"(the clinic's state, model, run, segment rules)")

    # 200,000 patients, worst day: a training day that adopts a model and scores everyone again
    scale = TARGET_PATIENTS / SIZES[-1]
    sample = service.SAMPLE_PATIENTS
    train_io = _io_seconds(big["training"])  # the sample: at most SAMPLE_PATIENTS summaries, whatever the size
    rescore_io = _io_seconds(big["rescoring"], scale)
    due_share = big["due"] / SIZES[-1]  # measured: two days of changes and boundaries
    due_calls_per_patient = len(big["daily"]) / big["due"]
    due_io = _io_seconds(big["daily"], TARGET_PATIENTS * due_share / big["due"])
    train_cpu = train_python_seconds(min(sample, SIZES[-1]))
    score_cpu = big["score_seconds_each"] * TARGET_PATIENTS * (1 + due_share)
    total = train_io + rescore_io + due_io + train_cpu + score_cpu
    figure("risk-train-200000-estimated-minutes", round(total / 60, 1), "< 15",
           note=f"training: {len(big['training'])} calls {train_io:.0f} s + Python {train_cpu:.0f} s on a "
                f"{sample}-patient sample; re-scoring everyone: {len(big['rescoring']) * scale:.0f} calls "
                f"{rescore_io:.0f} s + Python {score_cpu:.0f} s; the day's {due_share:.1%} due: "
                f"{due_io:.0f} s ({due_calls_per_patient:.2f} calls each); a run stops at "
                f"{service.BUDGET_SECONDS:.0f} s and resumes by cursor anyway")
    figure("risk-summary-bytes-mean", int(sum(_bytes(c) for c in big["rescoring"]) / big["scored_all"]),
           note="as the re-scoring Query returns them, in DynamoDB JSON")


def train_python_seconds(patients: int) -> float:
    """Python time of one training (curves and fit) on `patients` synthetic histories."""
    from risk_auc import TODAY, clinic

    from chalicelib.domain import risk

    histories = clinic(patients, seed=SEED + 1)
    started = time.perf_counter()
    risk.dropout_curves(histories, TODAY)
    risk.train(histories, TODAY)
    return time.perf_counter() - started


def sample_gap() -> None:
    """Hold-out AUC of the model trained on the run's sample against the one trained on everyone."""
    from risk_auc import TODAY, clinic

    from chalicelib.domain import risk
    from chalicelib.domain.risk_summary import sample_bucket
    from chalicelib.services.risk import SAMPLE_PATIENTS

    everyone = clinic(GAP_PATIENTS, seed=SEED + 2)
    ordered = sorted(everyone, key=lambda h: sample_bucket(h.patient_id))
    sample = ordered[:SAMPLE_PATIENTS]
    last = sample_bucket(sample[-1].patient_id)
    sample += [h for h in ordered[SAMPLE_PATIENTS:] if sample_bucket(h.patient_id) == last]  # whole buckets
    check = clinic(GAP_CHECK_PATIENTS, seed=SEED + 3)
    small = ordered[:SMALL_SAMPLE]
    aucs = {}
    for name, histories in (("everyone", everyone), ("sample", sample), ("small", small)):
        result = risk.train(histories, TODAY)
        held = risk.examples(check, result.space, risk.cutoffs(TODAY))
        aucs[name] = risk.evaluate(result.model, held, result.fit_rate).auc
    figure("risk-sample-auc-gap", f"{abs(aucs['everyone'] - aucs['sample']):.4f}", "<= 0.01",
           note=f"AUC {aucs['sample']:.4f} trained on {len(sample)} of {GAP_PATIENTS} patients, {aucs['everyone']:.4f} "
                f"on everyone, both on {GAP_CHECK_PATIENTS} patients of another synthetic clinic")
    figure(f"risk-sample-auc-gap-at-{SMALL_SAMPLE}", f"{abs(aucs['everyone'] - aucs['small']):.4f}",
           note=f"a sample of {SMALL_SAMPLE} (AUC {aucs['small']:.4f}): the gap depends on the sample's size, "
                f"not on the clinic's")


def main() -> int:
    reads_and_estimate()
    if len(sys.argv) <= 2 or sys.argv[2] != "no-gap":
        sample_gap()
    return 0


if __name__ == "__main__":
    sys.exit(main())
