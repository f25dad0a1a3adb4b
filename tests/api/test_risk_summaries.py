"""The risk feature summaries kept by the table's stream, and the daily run that reads them:
repeated and reordered changes, re-scoring only the patients in the due index, analytics
consent, erasure, and a backfill and a re-scoring pass that stop and resume by cursor."""

from __future__ import annotations

import random
from datetime import date, time

import pytest

from chalicelib.domain.clock import local_moment
from tests.api.test_risk import Requests, _history

CLINIC = "demo-dental"
RUN_AT = local_moment(date(2026, 11, 20), time(3, 0), "Asia/Shanghai")


def _summary(pid):
    from chalicelib.store import risk as store

    return store.get_summary(CLINIC, pid)


def _per_item_shuffle(records: list[dict], rng: random.Random) -> list[dict]:
    """The records in another order, each item's own records still in order (what a stream keeps)."""
    queues: dict[tuple, list[dict]] = {}
    for record in records:
        keys = record["dynamodb"]["Keys"]
        queues.setdefault((keys["pk"]["S"], keys["sk"]["S"]), []).append(record)
    mixed, pending = [], [list(q) for q in queues.values()]
    while any(pending):
        queue = rng.choice([q for q in pending if q])
        mixed.append(queue.pop(0))
    return mixed


def test_changes_applied_twice_or_in_another_order_give_the_same_summary(api, staff_token, new_patient, clock,
                                                                         table_stream):
    from chalicelib.jobs.changes import apply
    from chalicelib.store import keys
    from chalicelib.store.changes import from_record
    from chalicelib.store.models import RiskSummaryItem, VisitItem

    staff = staff_token(CLINIC, "admin")
    _, pid = new_patient(name="s1", phone="13900001111", consents={"service": True, "analytics": True})
    for day, due in (("2026-06-01", "2026-08-01"), ("2026-08-05", "2026-10-05"), ("2026-10-10", None)):
        body = {"visit_date": day, "department": "general", **({"next_due_date": due} if due else {})}
        assert api.post(f"/patients/{pid}/visits", body, token=staff)[0] == 201
    # a visit's requested date moved, another removed: a MODIFY and a REMOVE
    visits = list(VisitItem.query(keys.patient_pk(CLINIC, pid), VisitItem.sk.startswith("VISIT#")))
    visits[0].update(actions=[VisitItem.next_due_date.set("2026-07-15")])
    visits[1].delete()
    assert api.post(f"/patients/{pid}/followup", {}, token=staff)[0] in (200, 201)
    assert api.post(f"/patients/{pid}/followup/outcomes", {"outcome": "reached"}, token=staff)[0] in (200, 201)
    records = table_stream.records()
    assert len(records) > 10

    for record in records:
        apply(from_record(record))
    once = _summary(pid)
    assert [v[0].isoformat() for v in __import__("chalicelib.domain.risk_summary", fromlist=["visits"])
            .visits(once.facts)] == ["2026-06-01", "2026-10-10"]
    assert once.facts["p"]["analytics"] is True and once.facts["fr"]
    assert once.due_at  # due for scoring

    # every record delivered again: nothing is written
    before = once.rev
    for record in records:
        apply(from_record(record))
    assert _summary(pid).rev == before

    # from scratch, in other orders, each record twice: the same facts
    rng = random.Random(3)
    for _ in range(3):
        RiskSummaryItem(keys.patient_pk(CLINIC, pid), keys.RISK_SUMMARY_SK).delete()
        mixed = _per_item_shuffle(records, rng)
        for record in [r for r in mixed for _ in (0, 1)]:
            apply(from_record(record))
        assert _summary(pid).facts == once.facts


def _read_items(requests: Requests, responses: list) -> dict[str, int]:
    """Items read by kind of call, from the recorded replies."""
    out: dict[str, int] = {}
    for operation, reply in responses:
        if operation == "Query":
            out["query"] = out.get("query", 0) + len(reply.get("Items", []))
        elif operation == "BatchGetItem":
            out["batch_get"] = out.get("batch_get", 0) + sum(len(v) for v in reply.get("Responses", {}).values())
        elif operation == "GetItem":
            out["get"] = out.get("get", 0) + (1 if reply.get("Item") else 0)
    return out


def _record_replies(monkeypatch) -> list:
    import botocore.client

    replies: list = []
    make = botocore.client.BaseClient._make_api_call

    def recorded(client, operation, params):
        reply = make(client, operation, params)
        replies.append((operation, reply))
        return reply

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recorded)
    return replies


def _due_now(now_iso: str) -> set[str]:
    from chalicelib.store import risk as store

    found, key = [], None
    while True:
        page, key = store.due_summaries_page(CLINIC, now_iso, key)
        found += page
        if not key:
            return set(found)


def test_a_new_visit_puts_the_patient_in_the_due_index_and_the_run_reads_only_the_due(
        api, staff_token, clock, monkeypatch, fast_moto, table_stream):
    from chalicelib.domain.clock import clock as the_clock
    from chalicelib.domain.clock import iso
    from chalicelib.jobs.risk import train_clinic_models

    staff = staff_token(CLINIC, "admin")
    ids = _history(CLINIC, 60, random.Random(5))
    clock.set(RUN_AT)
    assert train_clinic_models(CLINIC)["risk"]["scored"] == 60
    table_stream.feed()
    assert _due_now(iso(the_clock.now())) == set()  # everyone scored, each due at their next boundary

    clock.advance(days=1)
    changed = ids[3]
    assert api.post(f"/patients/{changed}/visits", {"visit_date": "2026-11-21", "department": "general",
                                                      "next_due_date": "2026-12-21"}, token=staff)[0] == 201
    table_stream.feed()
    clock.advance(days=1)
    due = _due_now(iso(the_clock.now()))
    assert changed in due and len(due) < 60  # the changed patient, and those whose features crossed a boundary
    before = api.get(f"/patients/{changed}/risk", token=staff)[1]

    requests = Requests(monkeypatch)
    replies = _record_replies(monkeypatch)
    done = train_clinic_models(CLINIC)["risk"]
    assert done["status"] == "scored" and done["model_version"] == 1
    # no partition is read, and of the summaries only the due patients'
    assert not [p for op, p in requests.calls if op == "Query" and "IndexName" not in p
                and "#P#" in str(p.get("ExpressionAttributeValues"))]
    asked = {k["pk"]["S"].rsplit("#P#", 1)[1] for op, p in requests.calls if op == "BatchGetItem"
             for table in p["RequestItems"].values() for k in table["Keys"] if k["sk"]["S"] == "RISKSUM"}
    assert asked == due
    read = _read_items(requests, [r for r in replies if r[0] != "BatchGetItem" or "RISKSUM" in str(r[1])])
    # the due index keys and the summaries: two items per due patient, plus the state, the model
    # and the last run of the clinic (and the other clinic's few)
    summaries_and_keys = sum(1 for op, r in replies if op == "Query" for item in r.get("Items", [])
                             if item.get("due_pk", {}).get("S") == f"{CLINIC}#RISKDUE") + len(asked)
    assert summaries_and_keys == 2 * len(due)
    assert sum(read.values()) <= 2 * len(due) + 12
    after = api.get(f"/patients/{changed}/risk", token=staff)[1]
    assert after["scored_at"] != before["scored_at"]
    assert changed not in _due_now(iso(the_clock.now()))


def test_without_analytics_consent_a_summary_keeps_no_activity_and_gives_no_score(
        api, staff_token, new_patient, clock, monkeypatch, fast_moto, table_stream):
    from chalicelib.jobs.risk import train_clinic_models
    from chalicelib.services import patients
    from chalicelib.store import risk as store

    staff = staff_token(CLINIC, "admin")
    _history(CLINIC, 60, random.Random(9))
    clock.set(local_moment(date(2026, 11, 10), time(9, 0), "Asia/Shanghai"))
    _, pid = new_patient(name="no-analytics", phone="13900002222", consents={"service": True, "analytics": False})
    for day in ("2026-05-01", "2026-08-01"):
        assert api.post(f"/patients/{pid}/visits", {"visit_date": day, "department": "general",
                                                      "next_due_date": "2026-11-01"}, token=staff)[0] == 201
    clock.set(RUN_AT)
    assert train_clinic_models(CLINIC)["risk"]["scored"] == 60
    table_stream.feed()
    kept = _summary(pid)
    assert kept.facts["p"]["analytics"] is False and not kept.facts["v"] and kept.score is None
    assert api.get(f"/patients/{pid}/risk", token=staff)[1]["risk_status"] == "no_consent"

    # consent granted: the next run reads this one partition once, then scores the patient
    patients.update_consents(patients.own_patient(CLINIC, pid), {"analytics": True}, "v2")
    table_stream.feed()
    assert _summary(pid).rebuild
    read = []
    original = store.history_items
    monkeypatch.setattr(store, "history_items", lambda c, p: read.append(p) or original(c, p))
    clock.advance(days=1)
    train_clinic_models(CLINIC)
    assert read == [pid]
    assert len(_summary(pid).facts["v"]) == 2
    assert api.get(f"/patients/{pid}/risk", token=staff)[1]["risk_status"] == "scored"

    # withdrawn: the score goes at once, and the summary keeps no activity
    patients.update_consents(patients.own_patient(CLINIC, pid), {"analytics": False}, "v3")
    table_stream.feed()
    gone = _summary(pid)
    assert not gone.facts["v"] and gone.score is None
    clock.advance(days=1)
    train_clinic_models(CLINIC)
    assert api.get(f"/patients/{pid}/risk", token=staff)[1]["risk_status"] == "no_consent"


def test_an_erased_patient_keeps_only_a_marker_that_late_changes_leave_alone(api, staff_token, new_patient, clock,
                                                                              table_stream):
    from chalicelib.jobs.changes import apply
    from chalicelib.services import patients
    from chalicelib.store.changes import from_record

    staff = staff_token(CLINIC, "admin")
    _, pid = new_patient(name="erased", phone="13900003333", consents={"service": True, "analytics": True})
    assert api.post(f"/patients/{pid}/visits", {"visit_date": "2026-11-01", "department": "general"},
                    token=staff)[0] == 201
    early = table_stream.records()
    for record in early:
        apply(from_record(record))
    assert _summary(pid).facts["v"]
    patients.erase(patients.own_patient(CLINIC, pid))
    table_stream.feed()
    marker = _summary(pid)
    assert marker.erased and marker.facts == {} and marker.due_at is None and marker.score is None
    from chalicelib.store import keys
    from chalicelib.store.models import RiskSummaryItem

    # gone with the table's TTL after a month, long after the stream's 24 hours of records
    expires = RiskSummaryItem.get(keys.patient_pk(CLINIC, pid), keys.RISK_SUMMARY_SK).expires_at
    assert expires and 29 * 86400 < expires - clock.now().timestamp() <= 30 * 86400
    for record in early:  # the visit's insert again, late: nothing comes back
        apply(from_record({**record, "eventID": record["eventID"] + "-again"}))
    assert _summary(pid).facts == {}


def test_backfill_and_rescoring_stop_and_resume_by_cursor(api, staff_token, clock, monkeypatch, fast_moto):
    from chalicelib.services import risk
    from chalicelib.services import risk_summaries

    _history(CLINIC, 60, random.Random(5))
    monkeypatch.setattr(risk, "BACKFILL_PAGE", 25)
    monkeypatch.setattr(risk, "RESCORE_PAGE", 20)
    built = []
    original = risk_summaries.backfill_page
    monkeypatch.setattr(risk_summaries, "backfill_page",
                        lambda c, k, page_size=200: built.append(k) or original(c, k, page_size))
    clock.set(RUN_AT)
    first = risk.train_clinic(CLINIC, budget_seconds=0)
    assert first["status"] == "backfilling" and first["cursor"]
    second = risk.train_clinic(CLINIC, cursor=first["cursor"], budget_seconds=0)
    assert second["status"] == "backfilling"
    # without the cursor, the clinic's state item says where to go on
    third = risk.train_clinic(CLINIC, budget_seconds=0)
    assert third["status"] == "trained" and third["model_version"] == 1 and third["cursor"]
    assert len(built) == 3 and built[0] is None and built[1] and built[2] and built[1] != built[2]
    scored = third["scored"]
    reply = third
    while reply.get("cursor"):
        reply = risk.train_clinic(CLINIC, cursor=reply["cursor"], budget_seconds=0)
        scored += reply["scored"]
    assert scored == 60
    assert risk.train_clinic(CLINIC)["scored"] == 0  # nothing due, nothing changed


@pytest.mark.parametrize("gain, adopted", [(1.0, False), (-1.0, True)])
def test_a_new_model_is_adopted_only_when_clearly_better(api, clock, monkeypatch, fast_moto, gain, adopted):
    from chalicelib.services import risk

    _history(CLINIC, 60, random.Random(5))
    clock.set(RUN_AT)
    assert risk.train_clinic(CLINIC)["model_version"] == 1
    monkeypatch.setattr(risk, "ADOPT_AUC_GAIN", gain)
    clock.advance(days=risk.TRAIN_EVERY_DAYS)
    reply = risk.train_clinic(CLINIC)
    assert reply["status"] == "trained" and reply["adopted"] is adopted
    assert reply["model_version"] == (2 if adopted else 1)
    assert reply["scored"] == (60 if adopted else reply["scored"])
