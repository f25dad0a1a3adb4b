"""Follow-up plans, the day's worklist and outcomes; the daily risk training, the at-risk list,
a patient's score and the drop-out curves, through the API on moto."""

from datetime import date, time, timedelta

import pytest

from chalicelib.domain.clock import local_moment

TODAY = "2026-11-20"  # the tests' clock, in Shanghai


def start(api, staff, pid, body=None, **kw):
    return api.post(f"/patients/{pid}/followup", body or {}, token=staff, **kw)


def outcome(api, staff, pid, body, key=None):
    headers = {"Idempotency-Key": key} if key else None
    return api.post(f"/patients/{pid}/followup/outcomes", body, token=staff, headers=headers)


def due_ids(api, staff):
    status, data = api.get("/followups/due", token=staff)
    assert status == 200, data
    return [row["patient_id"] for row in data["items"]]


def test_weekly_plan_outcomes_move_the_due_day_and_count(api, new_patient, staff_token, clock):
    staff = staff_token("demo-dental", "health_manager")
    _, pid = new_patient(name="fu1", phone="13900000001")
    assert api.get(f"/patients/{pid}/followup", token=staff)[1]["code"] == "no_followup_plan"
    status, data = start(api, staff, pid)
    assert status == 201 and data["plan"]["cadence_days"] == 7 and data["plan"]["next_due"] == TODAY
    assert data["plan"]["source"] == "staff" and data["plan"]["started_by"] == "health_manager@demo-dental"
    assert due_ids(api, staff) == [pid]

    status, first = outcome(api, staff, pid, {"outcome": "reached", "note": "血糖控制不错"}, key="call-1")
    assert status == 201 and first["next_due"] == "2026-11-27" and first["outcome"]["has_note"]
    status, again = outcome(api, staff, pid, {"outcome": "reached", "note": "血糖控制不错"}, key="call-1")
    assert status == 201 and again == first  # a retried call records nothing twice
    assert due_ids(api, staff) == []
    detail = api.get(f"/patients/{pid}/followup", token=staff)[1]
    assert detail["plan"]["calls"] == 1 and len(detail["outcomes"]) == 1
    assert detail["outcomes"][0]["staff"] == "health_manager@demo-dental"
    assert detail["outcomes"][0]["note"] == "血糖控制不错"

    from chalicelib.store.models import FollowUpOutcomeItem

    stored = next(iter(FollowUpOutcomeItem.query(f"demo-dental#P#{pid}", FollowUpOutcomeItem.sk.startswith("FUOUT#"))))
    assert stored.note_enc and "血糖" not in stored.note_enc  # the note is encrypted at rest

    clock.advance(days=8)  # a day overdue
    status, work = api.get("/followups/due", token=staff)
    assert [r["patient_id"] for r in work["items"]] == [pid] and work["items"][0]["days_overdue"] == 1
    status, err = outcome(api, staff, pid, {"outcome": "booked"})
    assert status == 400 and err["code"] == "booking_date_required"
    status, err = outcome(api, staff, pid, {"outcome": "reached", "booking_date": "2026-12-01"})
    assert status == 400 and err["code"] == "unexpected_field"
    status, err = outcome(api, staff, pid, {"outcome": "maybe"})
    assert status == 400 and err["field"] == "outcome"
    status, booked = outcome(api, staff, pid, {"outcome": "booked", "booking_date": "2026-12-01"})
    assert status == 201 and booked["booking"]["booking_date"] == "2026-12-01"
    assert booked["next_due"] == "2026-12-05"

    clock.advance(days=7)
    status, wrong = outcome(api, staff, pid, {"outcome": "wrong_number"})
    assert status == 201 and wrong["plan_status"] == "paused" and wrong["next_due"] is None
    assert api.get(f"/patients/{pid}/risk", token=staff)[1]["followup_flag"] == "wrong_number"
    clock.advance(days=14)
    assert due_ids(api, staff) == []  # paused: out of the due index
    status, err = outcome(api, staff, pid, {"outcome": "reached"})
    assert status == 409 and err["code"] == "plan_not_active"
    status, restarted = start(api, staff, pid, {"cadence_days": 14})
    assert status == 200 and restarted["plan"]["status"] == "active" and restarted["plan"]["cadence_days"] == 14
    assert api.get(f"/patients/{pid}/risk", token=staff)[1]["followup_flag"] is None
    assert due_ids(api, staff) == [pid]
    status, ended = api.post(f"/patients/{pid}/followup/end", token=staff)
    assert status == 200 and ended["plan"]["status"] == "ended" and ended["plan"]["next_due"] is None
    assert due_ids(api, staff) == []

    status, totals = api.get("/followups/outcomes?from=2026-11-01&to=2026-12-31", token=staff)
    assert status == 200 and totals["totals"] == {"reached": 1, "booked": 1, "declined": 0, "wrong_number": 1}
    assert totals["calls"] == 3 and totals["reach_rate"] == pytest.approx(2 / 3, abs=1e-4)
    assert [d["day"] for d in totals["days"]] == ["2026-11-20", "2026-11-28", "2026-12-05"]
    status, err = api.get("/followups/outcomes?from=2026-12-31&to=2026-11-01", token=staff)
    assert status == 400 and err["code"] == "invalid_period"
    status, err = api.get("/followups/outcomes?since=2026-12-01", token=staff)
    assert status == 400 and err["code"] == "unknown_field"


def test_worklist_orders_by_risk_and_stays_in_the_clinic(api, new_patient, staff_token, clock):
    from chalicelib.store import risk as store

    staff, other = staff_token("demo-dental", "health_manager"), staff_token("other-clinic", "health_manager")
    pids = [new_patient(name=f"w{i}", phone=f"1390000010{i}")[1] for i in range(3)]
    for pid in pids:
        assert start(api, staff, pid)[0] == 201
    store.write_scores("demo-dental", [store.ScoreWrite(pids[0], 0.2, [], "张*", ["eczema"])], version=1,
                       at="2026-11-20T00:00:00Z")
    factor = {"feature": "days_since_visit", "label_zh": "距上次就诊天数", "label_en": "Days since last visit",
              "value": 200.0, "direction": "raises"}
    store.write_scores("demo-dental", [store.ScoreWrite(pids[2], 0.9, [factor], "张*", ["eczema"])], version=1,
                       at="2026-11-20T00:00:00Z")
    assert due_ids(api, staff) == [pids[2], pids[0], pids[1]]  # no score last
    assert api.get("/followups/due", token=staff)[1]["items"][0]["risk_factors"] == [factor]  # a list, not JSON text
    status, page = api.get("/followups/due?limit=2", token=staff)
    assert len(page["items"]) == 2 and page["next_cursor"]
    status, rest = api.get(f"/followups/due?limit=2&cursor={page['next_cursor']}", token=staff)
    assert {r["patient_id"] for r in page["items"] + rest["items"]} == set(pids)
    status, err = api.get(f"/followups/due?cursor={page['next_cursor']}", token=other)
    assert status == 400 and err["code"] == "invalid_cursor"

    # another clinic's staff see none of it and touch nothing
    assert due_ids(api, other) == []
    for method, path, body in (("GET", f"/patients/{pids[0]}/followup", None),
                               ("POST", f"/patients/{pids[0]}/followup", {}),
                               ("POST", f"/patients/{pids[0]}/followup/outcomes", {"outcome": "reached"}),
                               ("POST", f"/patients/{pids[0]}/followup/end", None),
                               ("GET", f"/patients/{pids[0]}/risk", None)):
        status, err = api.call(method, path, body, token=other)
        assert status == 404 and err["code"] == "patient_not_found", (path, err)
    assert api.get("/risk/patients", token=other)[1]["items"] == []
    # a patient token is refused on these routes
    token, _ = new_patient(name="w-self", phone="13900000199")
    for path in ("/followups/due", "/risk/patients", f"/patients/{pids[0]}/risk", "/risk/model"):
        status, err = api.get(path, token=token)
        assert status == 403 and err["code"] == "wrong_role"
    status, err = outcome(api, token, pids[0], {"outcome": "reached"})
    assert status == 403


def test_joining_the_glucose_challenge_starts_a_weekly_plan(api, new_patient, staff_token, clock):
    staff = staff_token("demo-dental", "health_manager")
    token, pid = new_patient(name="gl", phone="13900000301", conditions=["diabetes"], department="endocrinology")
    status, _ = api.post("/me/challenges/glucose-guard-365/join", token=token)
    assert status == 201
    plan = api.get(f"/patients/{pid}/followup", token=staff)[1]["plan"]
    assert plan["source"] == "challenge:glucose-guard-365" and plan["cadence_days"] == 7
    assert plan["next_due"] == "2026-11-27"
    assert due_ids(api, staff) == []
    clock.advance(days=7)
    assert due_ids(api, staff) == [pid]


def _history(clinic_id, n, rng):
    """Registered patients with visits: the loyal come back every one to three months, the others stop.

    Patients register through the service; their older visits are written in one batch as the
    items the visit service writes (the training reads only the visit items and the profile).
    """
    from chalicelib.api.models import PatientRecord
    from chalicelib.domain.clock import clock
    from chalicelib.services import patients
    from chalicelib.store import keys
    from chalicelib.store.models import VisitItem

    today = date(2026, 11, 20)
    ids = []
    with VisitItem.batch_write() as batch:
        for i in range(n):
            loyal = i % 2 == 0
            first = today - timedelta(days=rng.randint(330, 520))
            clock.set(local_moment(first, time(9, 0), "Asia/Shanghai"))
            condition = "eczema" if i % 3 else "dental"
            item = patients.register(clinic_id, PatientRecord(
                name=f"患者{i}", phone=f"1360000{i:04d}", conditions=[condition],
                district="静安区" if i % 4 else "徐汇区", consents={"service": True, "analytics": True}))
            day = first
            while day < today:
                due = (day + timedelta(days=60)).isoformat()
                batch.save(VisitItem(keys.patient_pk(clinic_id, item.patient_id), f"VISIT#{day}#v{i}-{day}",
                                     visit_id=f"v{i}-{day}", visit_date=day.isoformat(), department="general",
                                     next_due_date=due, source="import", recorded_at=f"{day}T02:00:00Z"))
                if not loyal and rng.random() < 0.6:
                    break
                day += timedelta(days=rng.randint(25, 90) if loyal else rng.randint(60, 120))
            ids.append(item.patient_id)
    return ids


def test_daily_training_scores_lists_and_explains(api, staff_token, clock, fast_moto, table_stream):
    import random

    from tests.test_helpers import train_risk_models

    staff = staff_token("demo-dental", "health_manager")
    status, before = api.get("/risk/model", token=staff)
    assert status == 200 and before["model"] is None and "not been trained" in before["message"]
    ids = _history("demo-dental", 60, random.Random(5))
    clock.set(local_moment(date(2026, 11, 20), time(3, 0), "Asia/Shanghai"))
    done = train_risk_models()
    assert done["demo-dental"]["status"] == "trained" and done["demo-dental"]["scored"] == 60
    assert done["other-clinic"] == {"status": "no_model", "reason": "too_few_examples", "examples": 0}

    status, card = api.get("/risk/model", token=staff)
    model = card["model"]
    assert model["version"] == 1 and model["counts"]["examples"] >= 50 and model["horizon_days"] == 180
    assert model["auc"] is not None and model["auc"] > 0.6
    assert {"feature", "label_zh", "label_en", "coefficient", "direction"} <= set(model["coefficients"][0])
    assert card["last_run"]["status"] == "trained" and card["last_run"]["scored"] == 60
    # a card a manager can read: how often patients lapse, how far the scores are off, by decile
    counts = model["counts"]
    assert counts["fit"] + counts["calibrate"] + counts["evaluate"] == counts["examples"]
    assert model["evaluated_examples"] == counts["evaluate"] and 0 < model["base_rate"] < 1
    assert 0 <= model["brier"] < model["base_rate_brier"]
    deciles = model["calibration"]
    assert deciles and sum(d["count"] for d in deciles) == counts["evaluate"]
    assert all(set(d) == {"decile", "count", "predicted", "observed"} and 0 < d["predicted"] < 1 for d in deciles)
    assert model["calibration_max_gap"] == pytest.approx(max(abs(d["predicted"] - d["observed"]) for d in deciles),
                                                         abs=1e-3)
    factors = {c["feature"]: c for c in model["coefficients"]}
    assert factors["days_overdue"]["direction"] == "raises"
    assert factors["days_overdue"]["effect_zh"] == "超过约定复诊日越久，流失风险越高"
    assert all(c["effect_zh"] and c["effect_en"] for c in model["coefficients"])
    status, none = api.get("/risk/model", token=staff_token("other-clinic", "health_manager"))
    assert none["model"] is None and "not enough history" in none["message"]

    status, listed = api.get("/risk/patients?limit=30", token=staff)
    scores = [r["risk_score"] for r in listed["items"]]
    assert len(scores) == 30 and scores == sorted(scores, reverse=True) and listed["next_cursor"]
    assert all(0 < s < 1 for s in scores)  # probabilities, never a certainty
    rest = api.get(f"/risk/patients?limit=30&cursor={listed['next_cursor']}", token=staff)[1]["items"]
    # a spread, not a wall of one value: the loyal half low, the lapsed half high (patient ids are
    # random, so the split into fit, calibrate and evaluate, and with it the exact values, vary)
    everyone = scores + [r["risk_score"] for r in rest]
    assert len(set(everyone)) >= 3 and min(everyone) < 0.5 < max(everyone)
    top = listed["items"][0]
    assert 1 <= len(top["risk_factors"]) <= 3
    status, mine = api.get(f"/patients/{top['patient_id']}/risk", token=staff)
    assert mine["risk_score"] == top["risk_score"] and mine["risk_model_version"] == 1
    assert mine["risk_factors"] == top["risk_factors"]

    # asked back in a year at today's visit: not expected within the six months, so no score and off the list
    status, _ = api.post(f"/patients/{ids[0]}/visits", {"visit_date": "2026-11-20", "department": "general",
                                                          "next_due_date": "2027-11-20"}, token=staff)
    assert status == 201
    table_stream.feed()
    # the next day's run (no training: that is weekly) scores again the patient whose visit
    # changed their features, with the current model
    clock.advance(days=1)
    second = train_risk_models()["demo-dental"]
    assert second["model_version"] == 1 and second["status"] == "scored" and second["scored"] >= 1
    versions = api.get("/risk/model", token=staff)[1]["versions"]
    assert [v["version"] for v in versions] == [1]
    yearly = api.get(f"/patients/{ids[0]}/risk", token=staff)[1]
    assert yearly["risk_model_version"] == 1 and yearly["risk_score"] is None and yearly["risk_status"] == "not_due"
    assert yearly["risk_factors"] == []
    assert api.get(f"/patients/{ids[1]}/risk", token=staff)[1]["risk_status"] == "scored"
    listed = []
    page = api.get("/risk/patients?limit=50", token=staff)[1]
    while True:
        listed += [r["patient_id"] for r in page["items"]]
        if not page["next_cursor"]:
            break
        page = api.get(f"/risk/patients?limit=50&cursor={page['next_cursor']}", token=staff)[1]
    assert ids[0] not in listed and len(listed) == 59

    status, curves = api.get("/risk/dropout", token=staff)
    eczema = curves["conditions"]["eczema"]
    assert status == 200 and eczema["intervals"] > 0 and len(eczema["curve"]) == 401
    assert eczema["curve"] == sorted(eczema["curve"])
    if eczema["dropout_day"] is not None:
        assert eczema["suggested_recall_day"] == round(eczema["dropout_day"] * 2 / 3)


class Requests:
    """Every DynamoDB request made in this process (moto runs in it), by operation and parameters."""

    def __init__(self, monkeypatch):
        import botocore.client

        self.calls: list[tuple[str, dict]] = []
        make = botocore.client.BaseClient._make_api_call

        def counted(client, operation, params):
            self.calls.append((operation, params))
            return make(client, operation, params)

        monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", counted)

    def clear(self):
        self.calls.clear()

    def score_transactions(self) -> list[int]:
        """Per TransactWriteItems that writes at-risk entries: how many patients it scores."""
        sizes = []
        for operation, params in self.calls:
            if operation != "TransactWriteItems":
                continue
            entries = [a for a in params["TransactItems"]
                       for kind in ("Put", "Delete") if kind in a
                       and (a[kind].get("Item") or a[kind].get("Key"))["sk"]["S"] == "RISK"]
            if entries:
                sizes.append(len(entries))
        return sizes

    def profile_reads(self) -> int:
        """Consistent GetItems of a profile: what a segment re-evaluation reads."""
        return sum(1 for operation, params in self.calls if operation == "GetItem"
                   and params["Key"]["sk"]["S"] == "PROFILE" and params.get("ConsistentRead"))


def _risk_list(api, staff) -> dict[str, float]:
    found, page = {}, api.get("/risk/patients?limit=100", token=staff)[1]
    while True:
        found.update((r["patient_id"], r["risk_score"]) for r in page["items"])
        if not page["next_cursor"]:
            return found
        page = api.get(f"/risk/patients?limit=100&cursor={page['next_cursor']}", token=staff)[1]


def _members(clinic_id, segment_id) -> set[str]:
    from chalicelib.store import segments

    return {m.patient_id for m in segments.all_members(clinic_id, segment_id)}


def test_training_writes_scores_fifty_to_a_transaction_and_reevaluates_only_crossings(api, staff_token, clock,
                                                                                      monkeypatch, fast_moto,
                                                                                      table_stream):
    import random

    from tests.test_helpers import train_risk_models

    admin = staff_token("demo-dental", "admin")
    ids = _history("demo-dental", 120, random.Random(11))
    status, _ = api.post("/segments", {"segment_id": "high-risk", "name": "高风险",
                                       "rule": {"field": "risk_score", "gte": 0.5}}, token=admin)
    assert status == 201
    requests = Requests(monkeypatch)
    clock.set(local_moment(date(2026, 11, 20), time(3, 0), "Asia/Shanghai"))
    assert train_risk_models()["demo-dental"]["scored"] == 120
    scores = _risk_list(api, admin)
    high = {pid for pid, score in scores.items() if score >= 0.5}
    assert 0 < len(high) < len(scores) == 120
    # four transactions for 120 patients (each patient's profile, entry and the score's copy on
    # their feature summary together), where there was one per patient; only the patients who
    # entered the risk segment were re-evaluated
    assert requests.score_transactions() == [33, 33, 33, 21]
    assert requests.profile_reads() == len(high)
    assert _members("demo-dental", "high-risk") == high

    # the model's refresh day: a new model version rewrites every score, read from the patients'
    # summaries (no partition is read again); only crossings are re-evaluated
    status, _ = api.post(f"/patients/{ids[0]}/visits", {"visit_date": "2026-11-20", "department": "general",
                                                          "next_due_date": "2027-11-20"}, token=admin)
    assert status == 201
    table_stream.feed()
    clock.advance(days=28)
    requests.clear()
    assert train_risk_models()["demo-dental"]["model_version"] == 2
    after = _risk_list(api, admin)
    assert ids[0] not in after and len(after) == 119
    high_after = {pid for pid, score in after.items() if score >= 0.5}
    assert _members("demo-dental", "high-risk") == high_after
    assert requests.profile_reads() == len(high ^ high_after)
    assert sum(requests.score_transactions()) == 120
    assert not [p for op, p in requests.calls if op == "Query" and "IndexName" not in p
                and "'demo-dental#P#" in str(p.get("ExpressionAttributeValues"))]


def test_scores_in_one_transaction_leave_out_an_erased_patient(api, new_patient, staff_token, monkeypatch):
    from chalicelib.store import risk as store

    admin = staff_token("demo-dental", "admin")
    pids = [new_patient(name=f"e{i}", phone=f"1390000020{i}")[1] for i in range(2)]
    writes = [store.ScoreWrite(pids[0], 0.4, [], "张*", ["eczema"]), store.ScoreWrite("no-such-patient", 0.9),
              store.ScoreWrite(pids[1], 0.8, [], "李*", ["dental"])]
    requests = Requests(monkeypatch)
    assert store.write_scores("demo-dental", writes, version=1, at="2026-11-20T00:00:00Z") == [pids[0], pids[1]]
    assert requests.score_transactions() == [3, 2]  # cancelled by the missing profile, sent again without it
    assert _risk_list(api, admin) == {pids[0]: 0.4, pids[1]: 0.8}
    store.write_scores("demo-dental", [store.ScoreWrite(pids[1], None)], version=2, at="2026-11-21T00:00:00Z")
    assert _risk_list(api, admin) == {pids[0]: 0.4}
    assert api.get(f"/patients/{pids[1]}/risk", token=admin)[1]["risk_status"] == "not_due"
