"""Journeys across the parts: a segment's content path through the outbound delivery, an A/B
experiment deciding wording, send time and holdout in the planner and the sender, and member
packages planning their renewal reminders."""

from datetime import timedelta

from chalicelib.domain import experiments as ab
from chalicelib.jobs import send_reminders
from chalicelib.jobs.sweep import queue_url
from tests.test_helpers import sweep_lapses
from devstack.sqs_pump import drain
from tests.api.test_experiments import ARMS, RULE, definition, experiment_id_covering
from tests.conftest import patient_record

NOTICE = "仅供参考，不构成医疗诊断"


def run_schedule():
    sweep_lapses()
    drain(queue_url(), send_reminders.handle)


def inbox(api, token):
    status, data = api.get("/me/inbox", token=token)
    assert status == 200, data
    return data["items"]


def relogin(api, name):
    """A fresh patient token after the clock moved past the last one's lifetime."""
    from tests.conftest import wx_code

    return api.post("/auth/wechat/login", {"clinic_id": "demo-dental", "code": wx_code(name)})[1]["access_token"]


def test_s1_content_path_steps_reach_the_inbox_on_their_cadence_and_stop_when_she_leaves(
        api, new_patient, staff_token, clock):
    staff = staff_token()
    token, pid = new_patient(name="mama", conditions=["postpartum"], department="obstetrics",
                             persona_tags=["knowledge_seeking"], consents={"service": True})
    segs = api.get(f"/patients/{pid}/segments", token=staff)[1]["segments"]
    assert "postpartum-knowledge" in [s["segment_id"] for s in segs]
    run_schedule()  # joined 2026-11-20 at 10:00 Shanghai: step 1 is due at once
    first = inbox(api, token)
    assert [m["title"] for m in first] == ["第1课：母乳喂养的正确姿势"]
    assert first[0]["body"].endswith(NOTICE)  # health content always carries the notice
    run_schedule()
    assert len(inbox(api, token)) == 1  # nothing twice
    clock.advance(days=7)
    run_schedule()
    token = relogin(api, "mama")
    assert [m["title"] for m in inbox(api, token)][0] == "第2课：新生儿疫苗接种时间表"
    # staff change her persona tag: she leaves the segment, and the third step is not sent
    assert api.put(f"/patients/{pid}/attributes", {"persona_tags": ["social"]}, token=staff)[0] == 200
    clock.advance(days=7)
    run_schedule()
    titles = [m["title"] for m in inbox(api, relogin(api, "mama"))]
    assert "第3课：辅食添加从何时开始" not in titles
    log = api.get("/reminders", token=staff)[1]["items"]
    assert {(r["kind"], r["status"]) for r in log if r["patient_id"] == pid} >= {("content", "sent"),
                                                                                  ("content", "stopped")}


def test_withdrawing_consent_stops_the_content_path_in_progress(api, new_patient, clock):
    token, pid = new_patient(name="mama2", conditions=["postpartum"], department="obstetrics",
                             persona_tags=["anxious"], consents={"service": True})
    clock.set(clock.now().replace(hour=12))  # 20:00 in Shanghai: the anxious path's send time
    run_schedule()
    token = relogin(api, "mama2")
    assert len(inbox(api, token)) == 1
    assert api.post("/me/consents/withdraw", {"purposes": ["service"], "consent_version": "v1"},
                    token=token)[0] == 200
    clock.advance(days=7)
    run_schedule()
    assert len(inbox(api, relogin(api, "mama2"))) == 1


def test_s5_experiment_arms_decide_wording_and_time_and_the_holdout_gets_nothing(api, staff_token, clock):
    admin, staff = staff_token(), staff_token(role="front_desk")
    pids = []
    for n in range(6):
        status, data = api.post("/patients", patient_record(phone=f"1370000{n:04d}", name=f"湿疹{n}",
                                                            consents={"service": True}), token=staff)
        pids.append(data["patient"]["patient_id"])
    exp_id = experiment_id_covering(pids)  # two holdout, two warm, two plain, in that order
    assert api.post("/experiments", definition(experiment_id=exp_id), token=admin)[0] == 201
    assert api.post(f"/experiments/{exp_id}/start", token=admin)[0] == 200
    planned = {}
    for pid in pids:
        status, plan = api.post(f"/patients/{pid}/remissions", {"condition": "eczema", "date": "2026-10-21"},
                                token=staff)
        planned[pid] = plan["planned"][0]["due_at"]
    # the warm arm's send time is 19:30 Shanghai; the others keep the rule's 10:00
    assert [planned[p][11:16] for p in pids] == ["02:00", "02:00", "11:30", "11:30", "02:00", "02:00"]
    run_schedule()  # 10:00: holdout and plain are due
    clock.set(clock.now().replace(hour=11, minute=30))
    run_schedule()  # 19:30: warm is due
    rows = {r["patient_id"]: r for r in api.get("/reminders", token=staff)[1]["items"]}
    assert [rows[p]["status"] for p in pids] == ["held_out", "held_out", "sent", "sent", "sent", "sent"]
    results = api.get(f"/experiments/{exp_id}/results", token=staff)[1]
    exposed = {row["arm_id"]: row["exposures"] + row.get("pending", 0) for row in results["groups"]}
    assert exposed == {ab.HOLDOUT: 2, "warm": 2, "plain": 2}, results
    # the warm arm's wording and incentive reached its patients
    from chalicelib.store import inbox as inbox_store

    warm_messages = inbox_store.messages("demo-dental", pids[2])
    assert warm_messages and "到诊送20积分" in warm_messages[0].body and "绿色通道" not in warm_messages[0].body
    assert "绿色通道" in inbox_store.messages("demo-dental", pids[4])[0].body
    assert inbox_store.messages("demo-dental", pids[0]) == []


def test_s8_a_package_plans_renewal_reminders_which_a_renewal_stops(api, new_patient, staff_token, clock):
    staff = staff_token()
    mother = {"conditions": ["postpartum"], "department": "obstetrics", "consents": {"service": True},
              "persona_tags": []}  # no persona: no content path in their inboxes
    token, renews = new_patient(name="pk1", **mother)
    token2, lapses = new_patient(name="pk2", phone="13800002222", **mother)
    for pid in (renews, lapses):  # 12 months from 2026-01-01: ends 2026-12-31
        status, sold = api.post(f"/patients/{pid}/packages", {"package_id": "maternity-pack",
                                                             "start_date": "2026-01-01"}, token=staff)
        assert status == 201, sold
    clock.set(clock.now().replace(month=12, day=1))  # 30 days before the end, 10:00
    run_schedule()
    token, token2 = relogin(api, "pk1"), relogin(api, "pk2")
    for t in (token, token2):
        assert "即将到期" in inbox(api, t)[0]["body"] and "产后" in inbox(api, t)[0]["body"]
    # the first renews; her day -7 reminder is stopped, the other mother's is sent
    assert api.post(f"/patients/{renews}/packages", {"package_id": "maternity-pack", "start_date": "2026-12-20"},
                    token=staff)[0] == 201
    clock.advance(days=23)
    run_schedule()
    token, token2 = relogin(api, "pk1"), relogin(api, "pk2")
    assert len(inbox(api, token)) == 1 and len(inbox(api, token2)) == 2
    log = [r for r in api.get("/reminders", token=staff)[1]["items"] if r["patient_id"] == renews]
    assert any(r["status"] == "stopped" and r.get("stop_reason") == "renewed" for r in log), log


def test_offsets_before_the_anchor_only_for_anchors_known_ahead(api, staff_token):
    admin = staff_token()
    body = {"condition": "postpartum", "anchor": "package_end", "offsets": [-14, 0, 7], "send_at": "10:00",
            "template": "{nickname}您好：{package}续约提醒", "purpose": "service", "stop_on": []}
    status, made = api.put("/recall-rules/pack-14", body, token=admin)
    assert status == 200 and made["rule"]["offsets"] == [-14, 0, 7]
    status, err = api.put("/recall-rules/pack-14", {**body, "anchor": "remission"}, token=admin)
    assert status == 400 and err["code"] == "offset_out_of_range" and err["field"] == "offsets"
    status, err = api.put("/recall-rules/pack-14", {**body, "offsets": [-400]}, token=admin)
    assert status == 400 and err["code"] == "offset_out_of_range"


def test_an_experiment_on_a_content_path_varies_its_first_step_and_is_promoted_onto_the_path(
        api, staff_token, clock):
    admin, staff = staff_token(), staff_token(role="front_desk")
    path = "postpartum-knowledge"
    body = {"name": "求知型课程开场", "target_kind": "content_path", "target_id": path, "holdout_share": 0.0,
            "window_days": 14, "sample_size_per_arm": 50,
            "arms": [{"arm_id": "short", "template": "{nickname}，本周课程已上线，{incentive}",
                      "incentive_text": "看完到诊送10积分"}, {"arm_id": "plain"}]}
    assert api.post("/experiments", {**body, "target_id": "no-such"}, token=admin)[1]["code"] == \
        "content_path_not_found"
    exp = api.post("/experiments", body, token=admin)[1]["experiment"]["experiment_id"]
    assert api.post(f"/experiments/{exp}/start", token=admin)[0] == 200
    mothers = {}
    for n in range(8):
        status, data = api.post("/patients", patient_record(phone=f"1350000{n:04d}", name=f"求知{n}",
                                                            conditions=["postpartum"], department="obstetrics",
                                                            persona_tags=["knowledge_seeking"],
                                                            consents={"service": True}), token=staff)
        mothers[data["patient"]["patient_id"]] = ab.assign(exp, data["patient"]["patient_id"],
                                                           [ab.ArmTerms("short", 1.0), ab.ArmTerms("plain", 1.0)],
                                                           0.0)
    assert set(mothers.values()) == {"short", "plain"}
    run_schedule()
    from chalicelib.store import inbox as inbox_store

    for pid, arm in mothers.items():
        first = inbox_store.messages("demo-dental", pid)[0].body
        if arm == "short":
            assert "，本周课程已上线，看完到诊送10积分" in first and "哺乳姿势" not in first
        else:
            assert "图文讲解四种常用哺乳姿势" in first
        assert first.endswith(NOTICE)
    results = api.get(f"/experiments/{exp}/results", token=staff)[1]
    assert sum(g["exposures"] + g.get("pending", 0) for g in results["groups"]) == len(mothers)
    status, promoted = api.post(f"/experiments/{exp}/promote", {"arm_id": "short"}, token=admin)
    assert status == 200 and promoted["rule_changes"]["first_step_body"] == "{nickname}，本周课程已上线，看完到诊送10积分"
    segment = api.get(f"/segments/{path}", token=staff)[1]
    steps = (segment.get("segment") or segment)["content_path"]["steps"]
    assert steps[0]["body"] == "{nickname}，本周课程已上线，看完到诊送10积分"
