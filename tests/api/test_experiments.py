"""A/B experiments through the API: define, start, exposures (as the sender records them), visits
convert, results per arm, stop, promote; and the wrong callers."""

from datetime import datetime, timezone

import pytest

from chalicelib.domain import experiments as ab
from tests.conftest import patient_record

RULE = "eczema-remission-30"
SENT = "2026-11-01T02:00:00Z"  # 10:00 in Shanghai, 19 days before the tests' today (2026-11-20)
ARMS = [
    {"arm_id": "warm", "template": "{nickname}您好，春季湿疹易复发，本周回{clinic}复查，{incentive}。",
     "send_at": "19:30", "incentive_text": "到诊送20积分", "incentive_points": 20},
    {"arm_id": "plain", "send_at": "10:00"},
]


def definition(**overrides) -> dict:
    body = {"name": "湿疹第30天提醒：措辞与时间", "target_kind": "recall_rule", "target_id": RULE, "arms": ARMS,
            "holdout_share": 0.3, "window_days": 14, "sample_size_per_arm": 50}
    body.update(overrides)
    return body


@pytest.fixture
def staff(staff_token):
    return {"admin": staff_token("demo-dental", "admin"), "staff": staff_token("demo-dental", "front_desk"),
            "other": staff_token("other-clinic", "admin")}


@pytest.fixture
def patients(api, staff):
    ids = []
    for n in range(6):
        status, data = api.post("/patients", patient_record(phone=f"1390000{n:04d}", name=f"病人{n}"),
                                token=staff["staff"])
        assert status == 201, data
        ids.append(data["patient"]["patient_id"])
    return ids


def experiment_id_covering(patients, holdout_share=0.3):
    """An experiment id under which the six patients fall 2 holdout / 2 warm / 2 plain, in order."""
    arms = [ab.ArmTerms("warm", 1.0), ab.ArmTerms("plain", 1.0)]
    wanted = ["holdout", "holdout", "warm", "warm", "plain", "plain"]
    for n in range(200_000):
        candidate = f"ecz-ab-{n}"
        if [ab.assign(candidate, p, arms, holdout_share) for p in patients] == wanted:
            return candidate
    raise AssertionError("no covering id")


def visit(api, token, pid, day):
    return api.post(f"/patients/{pid}/visits", {"visit_date": day, "department": "dermatology"}, token=token)


def test_experiment_end_to_end(api, staff, patients):
    from chalicelib.services import experiments as service

    exp_id = experiment_id_covering(patients)
    status, created = api.post("/experiments", definition(experiment_id=exp_id), token=staff["admin"])
    assert status == 201, created
    assert created["experiment"]["status"] == "draft"
    assert service.arm_for("demo-dental", "recall_rule", RULE, patients[0]) is None  # not running yet
    status, started = api.post(f"/experiments/{exp_id}/start", token=staff["admin"])
    assert status == 200 and started["experiment"]["status"] == "running"

    arms = [service.arm_for("demo-dental", "recall_rule", RULE, p) for p in patients]
    assert [a.arm_id for a in arms] == ["holdout", "holdout", "warm", "warm", "plain", "plain"]
    assert arms[0].holdout and arms[0].template is None
    assert arms[2].send_at == "19:30" and arms[2].incentive_text == "到诊送20积分" and arms[2].incentive_points == 20
    assert arms[4].template is None and arms[4].window_days == 14
    assert service.arm_for("demo-dental", "recall_rule", "another-rule", patients[0]) is None
    assert service.arm_for("other-clinic", "recall_rule", RULE, patients[0]) is None

    for pid, arm in zip(patients, arms):
        assert service.record_exposure("demo-dental", exp_id, arm.arm_id, pid, SENT, f"msg-{pid}") is True
        assert service.record_exposure("demo-dental", exp_id, arm.arm_id, pid, SENT, f"msg-{pid}") is False
    from chalicelib.errors import Conflict, NotFound

    with pytest.raises(Conflict):
        service.record_exposure("demo-dental", exp_id, "plain", patients[2], SENT)
    with pytest.raises(NotFound):
        service.record_exposure("demo-dental", exp_id, "nope", patients[2], SENT)

    # holdout 0 converts, 1 does not; warm 2 converts (twice: credited once), 3 comes too late;
    # plain 4 converts on the send day, 5 visited before the message
    admin = staff["admin"]
    for pid, day in ((patients[0], "2026-11-05"), (patients[2], "2026-11-10"), (patients[2], "2026-11-12"),
                     (patients[3], "2026-11-16"), (patients[4], "2026-11-01"), (patients[5], "2026-10-30")):
        status, data = visit(api, admin, pid, day)
        assert status == 201, data

    status, res = api.get(f"/experiments/{exp_id}/results", token=staff["staff"])
    assert status == 200, res
    rows = {r["arm_id"]: r for r in res["groups"]}
    assert res["reference"] == "holdout" and res["winner"] is None  # six patients prove nothing
    assert {k: (r["exposures"], r["conversions"]) for k, r in rows.items()} == {
        "holdout": (2, 1), "warm": (2, 1), "plain": (2, 1)}
    assert rows["warm"]["rate"] == 0.5 and rows["warm"]["uplift"] == 0
    assert rows["warm"]["ci_low"] < 0 < rows["warm"]["ci_high"] and rows["warm"]["p_value"] == 1.0
    assert rows["holdout"]["holdout"] and "uplift" not in rows["holdout"]
    assert res["sample_size_reached"] is False and res["required"]["warm"] == 50
    assert res["required"]["holdout"] == 43  # 0.3 of patients against 0.35 per arm

    status, points = api.get(f"/patients/{patients[2]}/points", token=admin)
    bonus = [e for e in points["entries"] if e["reason"] == "experiment_incentive"]
    assert [(e["entry_id"], e["points"]) for e in bonus] == [(f"experiment:{exp_id}", 20)]
    status, points = api.get(f"/patients/{patients[3]}/points", token=admin)
    assert not [e for e in points["entries"] if e["reason"] == "experiment_incentive"]

    # a late exposure is still inside its window: counted apart until the window closes
    status, extra = api.post("/patients", patient_record(phone="13900009999", name="晚到"), token=staff["staff"])
    late = extra["patient"]["patient_id"]
    late_arm = service.arm_for("demo-dental", "recall_rule", RULE, late)
    service.record_exposure("demo-dental", exp_id, late_arm.arm_id, late, "2026-11-15T02:00:00Z")
    visit(api, admin, late, "2026-11-19")
    rows = {r["arm_id"]: r for r in api.get(f"/experiments/{exp_id}/results", token=admin)[1]["groups"]}
    assert rows[late_arm.arm_id]["pending"] == 1 and rows[late_arm.arm_id]["pending_conversions"] == 1
    assert rows[late_arm.arm_id]["exposures"] == 2

    # another clinic never sees it
    assert api.get(f"/experiments/{exp_id}", token=staff["other"])[0] == 404
    assert api.get(f"/experiments/{exp_id}/results", token=staff["other"])[0] == 404
    assert api.get("/experiments", token=staff["other"])[1]["items"] == []
    assert api.post(f"/experiments/{exp_id}/stop", token=staff["other"])[0] == 404

    # stop: no more arms, no more exposures; the results stay
    status, stopped = api.post(f"/experiments/{exp_id}/stop", token=admin)
    assert status == 200 and stopped["experiment"]["status"] == "stopped"
    assert service.arm_for("demo-dental", "recall_rule", RULE, patients[0]) is None
    assert service.record_exposure("demo-dental", exp_id, "holdout", patients[1], SENT) is False
    assert api.post(f"/experiments/{exp_id}/stop", token=admin)[1]["code"] == "invalid_state"

    # promote the warm arm: the rule takes its wording (incentive written in) and send time
    status, err = api.post(f"/experiments/{exp_id}/promote", {"arm_id": "holdout"}, token=admin)
    assert status == 400 and err["code"] == "cannot_promote_holdout"
    status, err = api.post(f"/experiments/{exp_id}/promote", {"arm_id": "nope"}, token=admin)
    assert status == 404 and err["code"] == "arm_not_found"
    status, promoted = api.post(f"/experiments/{exp_id}/promote", {"arm_id": "warm"}, token=admin)
    assert status == 200, promoted
    assert promoted["experiment"]["status"] == "promoted" and promoted["experiment"]["promoted_arm"] == "warm"
    from chalicelib.store import clinics

    rule = next(r.rule for r in clinics.recall_rules("demo-dental") if r.rule_id == RULE)
    assert rule.send_at.strftime("%H:%M") == "19:30" and "到诊送20积分" in rule.template and "{incentive}" not in rule.template
    assert api.post(f"/experiments/{exp_id}/promote", {"arm_id": "warm"}, token=admin)[1]["code"] == "invalid_state"
    listed = api.get("/experiments", token=staff["staff"])[1]["items"]
    assert [(e["experiment_id"], e["status"]) for e in listed] == [(exp_id, "promoted")]


def test_one_running_experiment_per_target(api, staff):
    admin = staff["admin"]
    first = api.post("/experiments", definition(experiment_id="first"), token=admin)[1]["experiment"]
    second = api.post("/experiments", definition(experiment_id="second"), token=admin)[1]["experiment"]
    assert api.post(f"/experiments/{first['experiment_id']}/start", token=admin)[0] == 200
    status, err = api.post(f"/experiments/{second['experiment_id']}/start", token=admin)
    assert status == 409 and err["code"] == "target_busy"
    assert api.post(f"/experiments/{first['experiment_id']}/start", token=admin)[1]["code"] == "invalid_state"
    # promoting straight from running releases the target as well
    assert api.post(f"/experiments/{first['experiment_id']}/promote", {"arm_id": "plain"}, token=admin)[0] == 200
    assert api.post(f"/experiments/{second['experiment_id']}/start", token=admin)[0] == 200


BAD_DEFINITIONS = [
    ({"arms": ARMS[:1]}, 400, "invalid_arm_count", "arms"),
    ({"arms": [dict(ARMS[1], arm_id=f"a{n}") for n in range(5)]}, 400, "invalid_arm_count", "arms"),
    ({"holdout_share": 0.6}, 400, "invalid_holdout_share", "holdout_share"),
    ({"arms": [dict(ARMS[0], weight=0), ARMS[1]]}, 400, "invalid_input", "arms.0.weight"),
    ({"arms": [ARMS[0], dict(ARMS[1], arm_id="warm")]}, 400, "duplicate_arm", "arms.1.arm_id"),
    ({"arms": [dict(ARMS[0], template="{name}"), ARMS[1]]}, 400, "invalid_template", "arms.0.template"),
    ({"arms": [dict(ARMS[0], send_at="7:00"), ARMS[1]]}, 400, "invalid_input", "arms.0.send_at"),
    ({"target_id": "no-such-rule"}, 404, "recall_rule_not_found", "target_id"),
    ({"target_kind": "campaign"}, 400, "invalid_input", "target_kind"),
    ({"sample_size_per_arm": None}, 400, "sample_size_required", "sample_size_per_arm"),
    ({"balance": 5}, 400, "unknown_field", "balance"),
]


def test_bad_definitions_are_refused_with_codes(api, staff):
    for overrides, status, code, field in BAD_DEFINITIONS:
        got, err = api.post("/experiments", definition(**overrides), token=staff["admin"])
        assert (got, err["code"], err["field"]) == (status, code, field), overrides
    assert api.get("/experiments", token=staff["admin"])[1]["items"] == []


def test_sample_size_from_a_planned_uplift(api, staff):
    body = definition(sample_size_per_arm=None, baseline_rate=0.2, min_uplift=0.1, holdout_share=1 / 3)
    status, created = api.post("/experiments", body, token=staff["admin"])
    assert status == 201 and created["experiment"]["sample_size_per_arm"] == 375  # two arms share alpha
    status, plan = api.get("/experiments/sample-size?baseline_rate=0.2&min_uplift=0.1&arms=2&holdout_share=0.3333333",
                           token=staff["staff"])
    assert status == 200 and plan == {"sample_size_per_arm": 375, "groups": 3}
    status, err = api.get("/experiments/sample-size?baseline_rate=0.95&min_uplift=0.1", token=staff["staff"])
    assert status == 400 and err["code"] == "invalid_plan"


def test_wrong_callers(api, staff, new_patient):
    patient, _ = new_patient(name="abpatient")
    exp = api.post("/experiments", definition(experiment_id="calls"), token=staff["admin"])[1]["experiment"]
    path = f"/experiments/{exp['experiment_id']}"
    assert api.post("/experiments", definition(), token=staff["staff"])[0] == 403
    for action in ("start", "stop"):
        assert api.post(f"{path}/{action}", token=staff["staff"])[0] == 403
    assert api.post(f"{path}/promote", {"arm_id": "warm"}, token=staff["staff"])[0] == 403
    for route in ("/experiments", path, f"{path}/results"):
        assert api.get(route, token=patient)[0] == 403
        assert api.get(route, token=staff["staff"])[0] == 200
