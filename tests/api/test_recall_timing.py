"""Learned recall timing through the API on moto: a rule sends on its condition's learned recall day
(bounded by the clinic, refreshed by the daily training, fixed days until a curve exists); an
experiment compares fixed against learned timing on real revisits in a planted clinic; a rule's
reach from the recorded anchors, and planning it for patients already inside its window."""

from __future__ import annotations

import random
from datetime import date, time, timedelta

import pytest

from chalicelib.domain.clock import local_moment
from tests.conftest import patient_record

TZ = "Asia/Shanghai"
TODAY = date(2026, 11, 20)  # the tests' clock, 10:00 in Shanghai

RULE = {"condition": "eczema", "anchor": "remission", "offsets": [60, 90], "send_at": "10:00",
        "template": "{nickname}您好：请回{clinic}复查。", "purpose": "service", "timing": "learned"}


@pytest.fixture
def admin(staff_token):
    return staff_token("demo-dental", "admin")


def at_ten(day: date):
    return local_moment(day, time(10, 0), TZ)


def eczema_history(clinic_id: str, n: int, gaps: tuple[int, int], seed: int, prefix: str = "hist") -> list[str]:
    """Registered eczema patients (analytics consent) with past visits: each comes back after a
    gap drawn from `gaps` days, a few times. Older visits are written as the visit service writes
    them (the training reads only the visit items and the profile)."""
    from chalicelib.api.models import PatientRecord
    from chalicelib.domain.clock import clock
    from chalicelib.services import patients
    from chalicelib.store import keys
    from chalicelib.store.models import VisitItem

    rng = random.Random(seed)
    now = clock.now()
    ids = []
    with VisitItem.batch_write() as batch:
        for i in range(n):
            first = TODAY - timedelta(days=rng.randint(300, 400))
            clock.set(at_ten(first))
            item = patients.register(clinic_id, PatientRecord(
                name=f"历史{prefix}{i}", phone=f"137{seed:02d}{i:06d}", conditions=["eczema"],
                consents={"service": True, "analytics": True}))
            day = first
            for _ in range(4):
                batch.save(VisitItem(keys.patient_pk(clinic_id, item.patient_id), f"VISIT#{day}#{prefix}{i}-{day}",
                                     visit_id=f"{prefix}{i}-{day}", visit_date=day.isoformat(),
                                     department="dermatology", source="import", recorded_at=f"{day}T02:00:00Z"))
                day += timedelta(days=rng.randint(*gaps))
                if day >= TODAY - timedelta(days=1):
                    break
            ids.append(item.patient_id)
    clock.set(now)
    return ids


def train() -> dict:
    from tests.test_helpers import train_risk_models

    return train_risk_models()


def rules_by_id(api, token) -> dict:
    status, data = api.get("/recall-rules", token=token)
    assert status == 200, data
    return {r["rule_id"]: r for r in data["items"]}


def new_eczema_patient(api, token, n: int, **overrides) -> str:
    status, data = api.post("/patients", patient_record(phone=f"1350000{n:04d}", name=f"病人{n}", **overrides),
                            token=token)
    assert status == 201, data
    return data["patient"]["patient_id"]


# --- learned offset used, bounded, refreshed; fixed until a curve exists ------------------------

def test_learned_rule_uses_the_bounded_learned_day_and_fixed_days_until_a_curve(api, admin, clock, fast_moto):
    from chalicelib.store import recall as jobs

    status, saved = api.put("/recall-rules/ecz-learned", RULE, token=admin)
    assert status == 200, saved
    assert saved["rule"]["timing"] == "learned"
    # no curve yet: the rule's own days
    assert saved["rule"]["send_days"] == [60, 90] and saved["rule"]["learned_day"] is None
    status, timing = api.get("/clinic/recall-timing", token=admin)
    assert status == 200 and timing["earliest_day"] == 14 and timing["latest_day"] == 180
    assert timing["conditions"] == [] and timing["computed_at"] is None

    first = new_eczema_patient(api, admin, 1)
    status, reply = api.post(f"/patients/{first}/remissions", {"condition": "eczema", "date": "2026-11-19"},
                             token=admin)
    assert status == 201, reply
    mine = [r for r in reply["planned"] if r["rule_id"] == "ecz-learned"]
    assert [(r["offset_days"], r["timing"], r["created"]) for r in mine] == [(60, "fixed", True), (90, "fixed", True)]

    # the daily training learns eczema's drop-out (returns 14 to 45 days after a visit)
    eczema_history("demo-dental", 40, (14, 45), seed=1)
    assert train()["demo-dental"]["status"] in ("trained", "no_model")
    status, timing = api.get("/clinic/recall-timing", token=admin)
    learned = {c["condition"]: c for c in timing["conditions"]}["eczema"]
    assert timing["computed_at"] and 20 <= learned["suggested_day"] <= 35
    assert learned["learned_day"] == learned["suggested_day"]  # inside the default bounds
    status, curves = api.get("/risk/dropout", token=staff_token_of(api, "health_manager"))
    assert learned["suggested_day"] == curves["conditions"]["eczema"]["suggested_recall_day"]
    day = learned["suggested_day"]
    rule = rules_by_id(api, admin)["ecz-learned"]
    assert rule["learned_day"] == day and rule["send_days"] == [day, day + 30] and rule["offsets"] == [60, 90]

    # a new anchor is planned on the learned day; the later message keeps its distance
    second = new_eczema_patient(api, admin, 2)
    status, reply = api.post(f"/patients/{second}/remissions", {"condition": "eczema", "date": "2026-11-19"},
                             token=admin)
    mine = [r for r in reply["planned"] if r["rule_id"] == "ecz-learned"]
    assert [(r["offset_days"], r["timing"]) for r in mine] == [(day, "learned"), (day + 30, "learned")]
    assert mine[0]["due_at"] == at_ten(date(2026, 11, 19) + timedelta(days=day)).isoformat().replace("+00:00", "Z")
    # the job is named by the rule's offset and carries the day it goes out on
    open_jobs = {j.offset_days: j for j in jobs.open_jobs("demo-dental", second) if j.rule_id == "ecz-learned"}
    assert sorted(open_jobs) == [60, 90] and open_jobs[60].context == {"send_day": day}
    # the first patient's jobs, planned before the curve, keep their days
    assert sorted(j.offset_days for j in jobs.open_jobs("demo-dental", first) if j.rule_id == "ecz-learned") == [60, 90]
    assert all("send_day" not in (j.context or {}) for j in jobs.open_jobs("demo-dental", first))

    # the clinic's bounds hold the learned day: an earliest day after it moves it up
    status, bounded = api.put("/clinic/recall-timing", {"earliest_day": day + 10, "latest_day": 120}, token=admin)
    assert status == 200, bounded
    assert bounded["earliest_day"] == day + 10
    assert {c["condition"]: c for c in bounded["conditions"]}["eczema"]["learned_day"] == day + 10
    third = new_eczema_patient(api, admin, 3)
    reply = api.post(f"/patients/{third}/remissions", {"condition": "eczema", "date": "2026-11-19"}, token=admin)[1]
    assert [r["offset_days"] for r in reply["planned"] if r["rule_id"] == "ecz-learned"] == [day + 10, day + 40]
    # ... and a latest day before it moves it down
    api.put("/clinic/recall-timing", {"earliest_day": 7, "latest_day": 15}, token=admin)
    assert rules_by_id(api, admin)["ecz-learned"]["send_days"] == [15, 45]

    # a fixed rule of the same condition keeps its days whatever was learned
    fixed = {**RULE, "timing": "fixed"}
    assert api.put("/recall-rules/ecz-fixed", fixed, token=admin)[0] == 200
    assert rules_by_id(api, admin)["ecz-fixed"]["send_days"] == [60, 90]


def staff_token_of(api, role: str) -> str:
    from tests.conftest import staff_login

    return staff_login(api, "demo-dental", role)


def test_training_refreshes_the_learned_day_and_planned_jobs_keep_theirs(api, admin, clock, fast_moto,
                                                                        table_stream):
    from chalicelib.store import recall as jobs

    assert api.put("/recall-rules/ecz-learned", {**RULE, "offsets": [60]}, token=admin)[0] == 200
    eczema_history("demo-dental", 40, (14, 30), seed=2, prefix="a")
    train()
    early = rules_by_id(api, admin)["ecz-learned"]["learned_day"]
    assert early is not None and early <= 22
    pid = new_eczema_patient(api, admin, 7)
    reply = api.post(f"/patients/{pid}/remissions", {"condition": "eczema", "date": "2026-11-20"}, token=admin)[1]
    assert [r["offset_days"] for r in reply["planned"] if r["rule_id"] == "ecz-learned"] == [early]
    planned = {j.offset_days: j.due_at for j in jobs.open_jobs("demo-dental", pid) if j.rule_id == "ecz-learned"}

    # more history where patients come back much later: the next week's training moves the learned day
    eczema_history("demo-dental", 60, (60, 120), seed=3, prefix="b")
    table_stream.feed()
    clock.advance(days=7)
    train()
    later = rules_by_id(api, admin)["ecz-learned"]["learned_day"]
    assert later is not None and later > early + 10
    # the job planned before keeps its day; recording the same remission again plans nothing twice
    again = api.post(f"/patients/{pid}/remissions", {"condition": "eczema", "date": "2026-11-20"}, token=admin)[1]
    assert [(r["offset_days"], r["created"]) for r in again["planned"] if r["rule_id"] == "ecz-learned"] == \
        [(later, False)]
    assert {j.offset_days: j.due_at for j in jobs.open_jobs("demo-dental", pid) if j.rule_id == "ecz-learned"} \
        == planned


def test_timing_settings_and_rules_refuse_bad_input_and_wrong_callers(api, admin, staff_token):
    desk = staff_token("demo-dental", "front_desk")
    analyst = staff_token("demo-dental", "analyst")
    other = staff_token("other-clinic", "admin")
    for body, code in (({"earliest_day": 0, "latest_day": 30}, "day_out_of_range"),
                       ({"earliest_day": 14, "latest_day": 400}, "day_out_of_range"),
                       ({"earliest_day": 60, "latest_day": 30}, "bounds_reversed")):
        status, error = api.put("/clinic/recall-timing", body, token=admin)
        assert (status, error["code"]) == (400, code), error
    status, error = api.put("/clinic/recall-timing", {"earliest_day": "soon", "latest_day": 30}, token=admin)
    assert status == 400 and error["code"] == "invalid_input"
    assert api.put("/clinic/recall-timing", {"earliest_day": 10, "latest_day": 30}, token=desk)[0] == 403
    assert api.get("/clinic/recall-timing", token=analyst)[0] == 200
    # another clinic's bounds are its own
    assert api.put("/clinic/recall-timing", {"earliest_day": 20, "latest_day": 40}, token=other)[0] == 200
    assert api.get("/clinic/recall-timing", token=admin)[1]["earliest_day"] == 14

    for body, code in (({**RULE, "condition": None, "department": "dermatology"}, "learned_needs_condition"),
                       ({**RULE, "anchor": "package_end", "offsets": [-7]}, "learned_not_for_anchor")):
        status, error = api.put("/recall-rules/bad", body, token=admin)
        assert (status, error["code"], error["field"]) == (400, code, "timing"), error
    status, error = api.put("/recall-rules/bad", {**RULE, "timing": "sometimes"}, token=admin)
    assert status == 400 and error["code"] == "invalid_input"
    assert api.put("/recall-rules/ecz", RULE, token=desk)[0] == 403


# --- the experiment: fixed against learned timing on real revisits ------------------------------

def run_schedule():
    from chalicelib.jobs import send_reminders
    from chalicelib.jobs.sweep import queue_url
    from tests.test_helpers import sweep_lapses
    from devstack.sqs_pump import drain

    sweep_lapses()
    drain(queue_url(), send_reminders.handle)


def sent_today(api, token, day: date) -> set[str]:
    """Patients a reminder of the rule went out to on `day` (the reminder log)."""
    sent, cursor = set(), None
    while True:
        status, page = api.get("/reminders?limit=100" + (f"&cursor={cursor}" if cursor else ""), token=token)
        assert status == 200, page
        for item in page["items"]:
            if item["rule_id"] == "ecz-timing" and item["status"] == "sent" and item["processed_at"][:10] == \
                    (at_ten(day)).isoformat()[:10]:
                sent.add(item["patient_id"])
        cursor = page["next_cursor"]
        if not cursor:
            return sent


def test_timing_experiment_finds_learned_timing_better_in_a_planted_clinic(api, admin, clock, fast_moto):
    """A clinic where eczema patients come back 14 to 45 days after a visit or not at all: a
    reminder reaches a patient who has not lapsed yet (before their own lapse day, 40 to 70 days
    after remission) and brings most of them back; the rule's fixed day, 90, comes after everyone
    lapsed. The learned day follows the curve. Real planning, sending and visits; the existing
    results route judges it."""
    rng = random.Random(12)
    eczema_history("demo-dental", 40, (14, 45), seed=4)
    train()
    # the clinic's own day-30 rule would remind everyone; the experiment's rule is the only one
    assert api.delete("/recall-rules/eczema-remission-30", token=admin)[0] == 200
    rule = {**RULE, "offsets": [90], "timing": "fixed"}
    assert api.put("/recall-rules/ecz-timing", rule, token=admin)[0] == 200
    assert rules_by_id(api, admin)["ecz-timing"]["send_days"] == [90]  # the rule itself stays fixed
    status, created = api.post("/experiments", {
        "experiment_id": "timing-1", "name": "湿疹召回：固定第90天 vs 学习日", "target_kind": "recall_timing",
        "target_id": "ecz-timing", "arms": [{"arm_id": "learned"}, {"arm_id": "fixed"}], "holdout_share": 0,
        "window_days": 120, "sample_size_per_arm": 20}, token=admin)
    assert status == 201, created
    assert [a["arm_id"] for a in created["experiment"]["arms"]] == ["fixed", "learned"]  # the reference first
    assert api.post("/experiments/timing-1/start", token=admin)[0] == 200

    # sixty eczema patients in remission today; each has a planted lapse day and may come back on their own
    world = {}
    for n in range(60):
        pid = new_eczema_patient(api, admin, 100 + n)
        status, reply = api.post(f"/patients/{pid}/remissions", {"condition": "eczema", "date": TODAY.isoformat()},
                                 token=admin)
        assert status == 201, reply
        (row,) = [r for r in reply["planned"] if r["rule_id"] == "ecz-timing"]
        world[pid] = {"day": row["offset_days"], "lapse": rng.randint(40, 70),
                      "natural": rng.randint(5, 25) if rng.random() < 0.15 else None,
                      "responds": rng.random() < 0.8, "visit": None}
    days = {w["day"] for w in world.values()}
    assert 90 in days and len(days) == 2 and min(days) < 40  # both arms planned, the learned one early

    for pid, w in world.items():
        if w["natural"] is not None:
            w["visit"] = TODAY + timedelta(days=w["natural"])
    for offset in range(1, 126):
        day = TODAY + timedelta(days=offset)
        clock.set(at_ten(day))
        for pid, w in world.items():
            if w["visit"] == day:
                status, _ = api.post(f"/patients/{pid}/visits", {"visit_date": day.isoformat(),
                                                                   "department": "dermatology"}, token=admin)
                assert status == 201
        run_schedule()
        for pid in sent_today(api, admin, day) if offset in days else ():
            w = world[pid]
            # a reminder before the patient lapsed brings them back two days later, mostly
            if w["visit"] is None and offset <= w["lapse"] and w["responds"]:
                w["visit"] = day + timedelta(days=2)

    status, results = api.get("/experiments/timing-1/results", token=admin)
    assert status == 200, results
    groups = {g["arm_id"]: g for g in results["groups"]}
    assert results["reference"] == "fixed"
    assert groups["fixed"]["exposures"] + groups["learned"]["exposures"] == 60
    assert groups["fixed"]["pending"] == groups["learned"]["pending"] == 0  # every window closed
    assert groups["learned"]["rate"] > groups["fixed"]["rate"] + 0.3
    assert groups["learned"]["significant"] and groups["learned"]["p_adjusted"] < 0.05
    assert groups["learned"]["ci_low"] > 0
    assert results["winner"] == "learned"
    # the exposure counts a patient from the day after the anchor, whichever arm's day the reminder came on
    from chalicelib.store import experiments as store

    exposure = next(iter(store.exposures("demo-dental", "timing-1")))
    assert exposure.sent_day == "2026-11-21" and exposure.window_ends == "2027-03-21"

    # promoting the learned arm makes the rule learned
    status, promoted = api.post("/experiments/timing-1/promote", {"arm_id": "learned"}, token=admin)
    assert status == 200 and promoted["rule_changes"] == {"timing": "learned"}
    assert rules_by_id(api, admin)["ecz-timing"]["timing"] == "learned"


def test_timing_experiment_definition_is_checked(api, admin, staff_token):
    base = {"name": "timing", "target_kind": "recall_timing", "target_id": "eczema-remission-30",
            "arms": [{"arm_id": "fixed"}, {"arm_id": "learned"}], "holdout_share": 0, "window_days": 90,
            "sample_size_per_arm": 20}
    for change, code in (({"arms": [{"arm_id": "fixed"}, {"arm_id": "later"}]}, "invalid_timing_arms"),
                         ({"arms": [{"arm_id": "fixed", "send_at": "19:00"}, {"arm_id": "learned"}]},
                          "invalid_timing_arms"),
                         ({"holdout_share": 0.1}, "invalid_holdout_share"),
                         ({"target_id": "package-renewal"}, "learned_not_for_anchor")):
        status, error = api.post("/experiments", {**base, **change}, token=admin)
        assert (status, error["code"]) == (400, code), (change, error)
    status, error = api.post("/experiments", {**base, "target_kind": "recall_rule", "window_days": 120,
                                              "arms": [{"arm_id": "a"}, {"arm_id": "b"}]}, token=admin)
    assert (status, error["code"]) == (400, "invalid_window")
    status, error = api.post("/experiments", {**base, "target_id": "nope"}, token=admin)
    assert (status, error["code"]) == (404, "recall_rule_not_found")
    assert api.post("/experiments", base, token=staff_token("demo-dental", "front_desk"))[0] == 403
    status, created = api.post("/experiments", {**base, "window_days": 200}, token=admin)
    assert status == 201 and created["experiment"]["target_kind"] == "recall_timing"


# --- reach of a rule, and planning it for anchors already recorded ------------------------------

SURGERY_RULE = {"condition": "eczema", "anchor": "surgery", "offsets": [14, 60], "send_at": "10:00",
                "template": "{nickname}您好：术后请回{clinic}复查。", "purpose": "service"}


def surgery(api, token, pid, day):
    status, data = api.post(f"/patients/{pid}/anchors", {"anchor": "surgery", "date": day, "condition": "eczema"},
                            token=token)
    assert status == 201, data
    return data


def test_preview_counts_the_reach_and_backfill_plans_it_once(api, admin, staff_token, clock):
    from chalicelib.store import recall as jobs

    manager = staff_token("demo-dental", "health_manager")
    # anchors recorded before any rule on them
    p_soon = new_eczema_patient(api, admin, 11)  # day 14 in four days, day 60 later
    surgery(api, admin, p_soon, "2026-11-10")
    p_now = new_eczema_patient(api, admin, 12)  # day 14 is today
    surgery(api, admin, p_now, "2026-11-06")
    p_late = new_eczema_patient(api, admin, 13)  # day 14 long past, day 60 in ten days
    surgery(api, admin, p_late, "2026-10-01")
    p_old = new_eczema_patient(api, admin, 14)  # both days past
    surgery(api, admin, p_old, "2026-06-01")
    p_visited = new_eczema_patient(api, admin, 15)  # came back since: the visit stops it
    surgery(api, admin, p_visited, "2026-11-10")
    assert api.post(f"/patients/{p_visited}/visits", {"visit_date": "2026-11-15", "department": "dermatology"},
                    token=admin)[0] == 201
    p_refused = new_eczema_patient(api, admin, 16, consents={"service": False, "analytics": True})
    surgery(api, admin, p_refused, "2026-11-10")
    p_dental = new_eczema_patient(api, admin, 17, conditions=["dental"])
    assert api.post(f"/patients/{p_dental}/anchors", {"anchor": "surgery", "date": "2026-11-10"},
                    token=admin)[0] == 201
    other_admin = staff_token("other-clinic", "admin")
    status, data = api.post("/patients", patient_record(phone="13500009999"), token=other_admin)
    surgery(api, other_admin, data["patient"]["patient_id"], "2026-11-10")

    status, reach = api.post("/recall-rules/preview", SURGERY_RULE, token=manager)
    assert status == 200, reach
    assert (reach["now"], reach["next_30_days"], reach["already_in_window"]) == (1, 2, 3)
    assert reach["timing"] == "fixed" and reach["send_days"] == [14, 60]
    # a longer first day reaches other patients
    status, reach = api.post("/recall-rules/preview", {**SURGERY_RULE, "offsets": [30]}, token=manager)
    assert (reach["now"], reach["next_30_days"], reach["already_in_window"]) == (0, 2, 2)

    # saved: nothing is planned for the anchors already recorded until the backfill
    assert api.put("/recall-rules/post-op", SURGERY_RULE, token=admin)[0] == 200
    assert not [j for j in jobs.open_jobs("demo-dental", p_now) if j.rule_id == "post-op"]
    status, reach = api.post("/recall-rules/preview", {**SURGERY_RULE, "rule_id": "post-op"}, token=admin)
    assert (reach["now"], reach["next_30_days"], reach["already_in_window"]) == (1, 2, 3)

    status, done = api.post("/recall-rules/post-op/backfill", token=admin, headers={"Idempotency-Key": "bf-1"})
    assert status == 200, done
    assert done == {"rule_id": "post-op", "planned": 5, "patients": 3}
    planned = {pid: sorted(j.offset_days for j in jobs.open_jobs("demo-dental", pid) if j.rule_id == "post-op")
               for pid in (p_soon, p_now, p_late, p_old, p_visited, p_refused, p_dental)}
    assert planned == {p_soon: [14, 60], p_now: [14, 60], p_late: [60], p_old: [], p_visited: [], p_refused: [],
                       p_dental: []}
    # the same key answers the same; a second backfill plans nothing twice
    assert api.post("/recall-rules/post-op/backfill", token=admin, headers={"Idempotency-Key": "bf-1"}) == \
        (200, done)
    assert api.post("/recall-rules/post-op/backfill", token=admin)[1] == {"rule_id": "post-op", "planned": 0,
                                                                          "patients": 0}
    status, reach = api.post("/recall-rules/preview", {**SURGERY_RULE, "rule_id": "post-op"}, token=admin)
    assert (reach["now"], reach["next_30_days"], reach["already_in_window"]) == (1, 2, 0)
    # the one due now goes out with the next sweep
    run_schedule()
    status, log = api.get("/reminders?limit=50", token=admin)
    assert [(i["patient_id"], i["status"]) for i in log["items"] if i["rule_id"] == "post-op"] == [(p_now, "sent")]
    # an anchor recorded after saving is planned as before
    p_new = new_eczema_patient(api, admin, 18)
    reply = surgery(api, admin, p_new, "2026-11-20")
    assert [r["offset_days"] for r in reply["planned"] if r["rule_id"] == "post-op" and r["created"]] == [14, 60]


def test_preview_and_backfill_refuse_wrong_callers_and_bad_input(api, admin, staff_token):
    desk = staff_token("demo-dental", "front_desk")
    analyst = staff_token("demo-dental", "analyst")
    manager = staff_token("demo-dental", "health_manager")
    assert api.post("/recall-rules/preview", SURGERY_RULE, token=desk)[0] == 403
    assert api.post("/recall-rules/preview", SURGERY_RULE, token=analyst)[0] == 403
    assert api.post("/recall-rules/eczema-remission-30/backfill", token=manager)[0] == 403
    assert api.post("/recall-rules/eczema-remission-30/backfill", token=desk)[0] == 403
    assert api.post("/recall-rules/preview", SURGERY_RULE)[0] == 401
    status, error = api.post("/recall-rules/preview", {**SURGERY_RULE, "offsets": [900]}, token=admin)
    assert (status, error["code"], error["field"]) == (400, "offset_out_of_range", "offsets")
    status, error = api.post("/recall-rules/preview", {**SURGERY_RULE, "timing": "learned", "condition": None,
                                                       "department": "dermatology"}, token=admin)
    assert (status, error["code"]) == (400, "learned_needs_condition")
    status, error = api.post("/recall-rules/preview", {**SURGERY_RULE, "extra": 1}, token=admin)
    assert (status, error["code"]) == (400, "unknown_field")
    status, error = api.post("/recall-rules/nope/backfill", token=admin)
    assert (status, error["code"]) == (404, "rule_not_found")
    status, error = api.post("/recall-rules/bad%20id/backfill", token=admin)
    assert (status, error["code"]) == (400, "invalid_rule_id")
    assert api.put("/recall-rules/eczema-remission-30/active", {"active": False}, token=admin)[0] == 200
    status, error = api.post("/recall-rules/eczema-remission-30/backfill", token=admin)
    assert (status, error["code"]) == (409, "rule_inactive")
    # another clinic's admin reaches only that clinic's own rule of the same id, and none of these anchors
    status, done = api.post("/recall-rules/eczema-remission-30/backfill", token=staff_token("other-clinic", "admin"))
    assert status == 200 and done["planned"] == 0
