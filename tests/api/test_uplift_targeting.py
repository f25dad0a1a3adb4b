"""Recall targeting by predicted uplift, through the API on moto: the daily training fits the
two-model learner from an experiment's exposures and the clinic's lasting holdout, the model card
says what it found (or why there is none), and a marketing rule targeting by uplift leaves out the
patient a reminder would not move while it still reaches the one it would; service reminders,
patients without a score and a clinic without a model are never left out."""

from datetime import date, time, timedelta

from chalicelib.domain.clock import iso, local_moment
from tests.api.test_delivery import job_of, plan_now, rule_body, run_schedule

TODAY = date(2026, 11, 20)
TZ = "Asia/Shanghai"
PER_SOURCE = 150  # patients with an experiment exposure, and as many with a lasting-holdout reminder


def _revisits(condition: str, reminded: bool, n: int) -> bool:
    """The planted truth: a reminder brings eczema patients back (70% against 20%) and puts dental
    patients off (20% against 50%). Counted by index, so the shares are exact."""
    share = {("eczema", True): 7, ("eczema", False): 2, ("dental", True): 2, ("dental", False): 5}[condition, reminded]
    return n % 10 < share


def _seed_world(clinic_id: str = "demo-dental") -> list[str]:
    """Patients who registered 200 days ago, each exposed once: the first half by a stopped
    experiment with a holdout (its conversions set as the experiments set them), the second by a
    marketing recall reminder sent or held out by the clinic's lasting holdout (their visits written
    as the visit service writes them)."""
    from chalicelib.api.models import PatientRecord
    from chalicelib.domain.clock import clock
    from chalicelib.services import patients
    from chalicelib.store import experiments, keys
    from chalicelib.store.models import ExposureItem, RecallJobItem, VisitItem

    clock.set(local_moment(TODAY - timedelta(days=200), time(9, 0), TZ))
    ids = []
    for i in range(2 * PER_SOURCE):
        condition = "eczema" if i % 2 == 0 else "dental"
        item = patients.register(clinic_id, PatientRecord(
            name=f"患者{i}", phone=f"1370000{i:04d}", conditions=[condition], district="静安区",
            consents={"service": True, "marketing": True, "analytics": True}))
        ids.append(item.patient_id)
    experiments.create(experiments.new_experiment(
        clinic_id, "spring", name="春季复查文案", target_kind="recall_rule", target_id="promo", window_days=14,
        alpha=0.05, sample_size_per_arm=50, created_at=iso(clock.now()), arms=[{"arm_id": "a", "weight": 1}],
        holdout_share=0.5, status="stopped"))
    sent_day, log_day = TODAY - timedelta(days=60), TODAY - timedelta(days=40)
    with ExposureItem.batch_write() as exposures, RecallJobItem.batch_write() as jobs, \
            VisitItem.batch_write() as visits:
        for i, pid in enumerate(ids):
            condition = "eczema" if i % 2 == 0 else "dental"
            reminded = (i // 2) % 2 == 0
            came = _revisits(condition, reminded, i // 4)
            pk = keys.patient_pk(clinic_id, pid)
            if i < PER_SOURCE:
                exposures.save(ExposureItem(
                    pk, keys.exposure_sk("spring"), gsi1pk=keys.exposures_pk(clinic_id, "spring"),
                    gsi1sk=keys.exposure_sort("a" if reminded else "holdout", pid), experiment_id="spring",
                    arm_id="a" if reminded else "holdout", holdout=not reminded, patient_id=pid,
                    sent_at=iso(local_moment(sent_day, time(10, 0), TZ)), sent_day=sent_day.isoformat(),
                    window_ends=(sent_day + timedelta(days=14)).isoformat(),
                    converted_on=(sent_day + timedelta(days=5)).isoformat() if came else None))
                continue
            at = iso(local_moment(log_day, time(10, 0), TZ))
            jobs.save(RecallJobItem(
                pk, keys.outbound_job_sk("recall", "promo", "2026-08-01", 30), gsi1pk=keys.reminder_log_pk(clinic_id),
                gsi1sk=keys.reminder_log_sort(at, pid), patient_id=pid, rule_id="promo", anchor_date="2026-08-01",
                due_at=at, status="sent" if reminded else "held_out", processed_at=at, kind="recall",
                purpose="marketing", offset_days=30, stop_reason=None if reminded else "clinic_holdout",
                channel="inbox" if reminded else None))
            if came:
                day = (log_day + timedelta(days=6)).isoformat()
                visits.save(VisitItem(pk, f"VISIT#{day}#u{i}", visit_id=f"u{i}", visit_date=day, department="general",
                                      source="import", recorded_at=f"{day}T02:00:00Z"))
    clock.set(local_moment(TODAY, time(10, 0), TZ))
    return ids


def _promo(api, admin, **changes):
    body = rule_body(purpose="marketing", template="{nickname}您好：春季湿疹复查，本周有绿色通道。", targeting="uplift")
    body.update(changes)
    return api.put("/recall-rules/promo", body, token=admin)


def test_uplift_trained_daily_targets_marketing_and_never_service(api, staff_token, new_patient, clock, fast_moto):
    from tests.test_helpers import train_risk_models
    from chalicelib.services import uplift

    admin, analyst = staff_token(), staff_token(role="analyst")
    assert api.put("/clinic/delivery", {"daily_cap": 10, "caps": {"marketing": 10}}, token=admin)[0] == 200
    status, rule = _promo(api, admin)
    assert status == 200 and rule["rule"]["targeting"] == "uplift" and rule["rule"]["uplift_threshold"] is None
    # a service rule cannot target by uplift: a reminder about care is never withheld on a model's guess
    status, err = api.put("/recall-rules/care", rule_body(targeting="uplift"), token=admin)
    assert status == 400 and (err["code"], err["field"]) == ("uplift_needs_marketing", "targeting")
    status, err = _promo(api, admin, uplift_threshold=2)
    assert status == 400 and (err["code"], err["field"]) == ("invalid_uplift_threshold", "uplift_threshold")
    assert api.put("/recall-rules/care", rule_body(), token=admin)[0] == 200

    consents = {"service": True, "marketing": True, "analytics": True}
    _, keen = new_patient(name="keen", phone="13911110001", conditions=["eczema"], consents=consents)
    _, weary = new_patient(name="weary", phone="13911110002", conditions=["dental"], consents=consents)
    _, private = new_patient(name="private", phone="13911110003", conditions=["dental"],
                             consents={**consents, "analytics": False})

    # no model yet: the rule reaches everyone, and the card says so
    status, card = api.get("/risk/uplift-model", token=analyst)
    assert status == 200 and card["model"] is None and "not been trained" in card["message"]
    assert card["targeting_rules"] == ["promo"] and card["targeting_active"] is False
    plan_now(weary, "promo", purpose="marketing", anchor_date="2026-09-01")
    run_schedule()
    assert job_of(weary, "recall", "promo", "2026-09-01", 30).status == "sent"

    _seed_world()
    train_risk_models()
    status, card = api.get("/risk/uplift-model", token=analyst)
    model = card["model"]
    assert status == 200 and model["version"] == 1 and card["targeting_active"] is True
    counts = model["counts"]
    assert counts["examples"] == 2 * PER_SOURCE and counts["sources"] == {"experiment": PER_SOURCE,
                                                                          "clinic_holdout": PER_SOURCE}
    assert counts["reminded"] == counts["held_out"] == PER_SOURCE and counts["fit"] + counts["evaluate"] == 2 * PER_SOURCE
    ev = model["evaluation"]
    # on the held-out patients the model's order finds extra revisits (random ids make the split, so
    # the figures vary a little from run to run; a random order is shown beside it)
    assert ev["examples"] == counts["evaluate"] and ev["qini"] > 0 and ev["qini_random"] is not None
    assert ev["qini_risk"] is None  # the seeded clinic has too little history for a risk model
    assert model["trained_at"].startswith("2026-11-20") and card["last_run"]["status"] == "trained"

    scores = uplift.uplift_scores("demo-dental", [keen, weary, private, "no-such-patient"])
    assert set(scores) == {keen, weary}  # no analytics consent, or no patient: no score
    assert scores[keen] > 0.15 and scores[weary] < -0.05

    for pid in (keen, weary, private):
        plan_now(pid, "promo", purpose="marketing")
        plan_now(pid, "care")
    run_schedule()
    assert job_of(keen, "recall", "promo", "2026-10-01", 30).status == "sent"
    left_out = job_of(weary, "recall", "promo", "2026-10-01", 30)
    assert (left_out.status, left_out.stop_reason) == ("stopped", "low_uplift")
    assert job_of(private, "recall", "promo", "2026-10-01", 30).status == "sent"  # no score: falls back to all
    for pid in (keen, weary, private):  # service reminders are never left out
        assert job_of(pid, "recall", "care", "2026-10-01", 30).status == "sent"
    log = api.get("/reminders", token=admin)[1]["items"]
    assert any(r["patient_id"] == weary and r["stop_reason"] == "low_uplift" for r in log)

    # a threshold below the patient's predicted uplift sends again
    assert _promo(api, admin, uplift_threshold=-0.9)[0] == 200
    plan_now(weary, "promo", purpose="marketing", anchor_date="2026-10-02")
    run_schedule()
    assert job_of(weary, "recall", "promo", "2026-10-02", 30).status == "sent"

    # a patient in a running experiment on the rule is not targeted: chance decides, and the next
    # model learns from it
    assert _promo(api, admin)[0] == 200
    arms = [{"arm_id": "plain", "weight": 1}, {"arm_id": "short", "weight": 1, "template": "{nickname}：春季复查"}]
    status, created = api.post("/experiments", {"name": "春季营销措辞", "target_kind": "recall_rule", "target_id": "promo",
                                                "arms": arms, "holdout_share": 0, "window_days": 14,
                                                "sample_size_per_arm": 50}, token=admin)
    assert status == 201, created
    assert api.post(f"/experiments/{created['experiment']['experiment_id']}/start", token=admin)[0] == 200
    plan_now(weary, "promo", purpose="marketing", anchor_date="2026-10-03")
    run_schedule()
    assert job_of(weary, "recall", "promo", "2026-10-03", 30).status == "sent"

    # other clinics see their own card; patients are refused
    status, theirs = api.get("/risk/uplift-model", token=staff_token("other-clinic", "health_manager"))
    assert status == 200 and theirs["model"] is None and theirs["targeting_rules"] == []
    patient_token, _ = new_patient(name="nosy", phone="13911110009")
    assert api.get("/risk/uplift-model", token=patient_token)[0] == 403
    assert api.get("/risk/uplift-model")[0] == 401


def test_too_little_data_gives_no_model_with_the_reason(api, staff_token, clock):
    from chalicelib.services import uplift

    assert uplift.train_clinic("demo-dental") == {"status": "no_model", "reason": "too_few_examples", "examples": 0}
    status, card = api.get("/risk/uplift-model", token=staff_token(role="front_desk"))
    assert status == 200 and card["model"] is None and card["last_run"]["reason"] == "too_few_examples"
    assert "at least 50" in card["message"] and card["targeting_active"] is False


def test_the_lasting_holdout_holds_out_only_patients_the_message_would_reach(api, staff_token, new_patient, clock):
    """The uplift training compares the lasting holdout with the patients it reached, so the holdout
    is decided where an experiment's is: after consent and quiet hours. A held-out patient without
    marketing consent is skipped for consent, not counted as held out."""
    from chalicelib.domain import holdout

    admin = staff_token()
    assert api.put("/clinic/holdout", {"share": 0.2}, token=admin)[0] == 200
    api.put("/recall-rules/promo", rule_body(purpose="marketing", template="{nickname}：春季护肤讲座"), token=admin)
    found = {}
    for n in range(60):
        consents = {"service": True, "marketing": n % 2 == 0, "analytics": True}
        _, pid = new_patient(name=f"h{n}", phone=f"1390001{n:04d}", consents=consents)
        if holdout.in_holdout("demo-dental", pid, 0.2):
            found.setdefault(consents["marketing"], pid)
        if len(found) == 2:
            break
    assert set(found) == {True, False}
    for pid in found.values():
        plan_now(pid, "promo", purpose="marketing")
    run_schedule()
    consenting = job_of(found[True], "recall", "promo", "2026-10-01", 30)
    assert (consenting.status, consenting.stop_reason) == ("held_out", "clinic_holdout")
    assert job_of(found[False], "recall", "promo", "2026-10-01", 30).status == "skipped_no_consent"
    # in quiet hours a held-out patient's message waits like any other, and is held out when it would go
    clock.set(clock.now().replace(hour=14))  # 22:00 in Shanghai
    plan_now(found[True], "promo", purpose="marketing", anchor_date="2026-10-05")
    run_schedule()
    assert job_of(found[True], "recall", "promo", "2026-10-05", 30).status == "deferred"
    clock.advance(days=1)
    clock.set(clock.now().replace(hour=1))  # 09:00 in Shanghai
    run_schedule()
    waited = job_of(found[True], "recall", "promo", "2026-10-05", 30)
    assert (waited.status, waited.stop_reason) == ("held_out", "clinic_holdout")


def test_with_a_model_the_uplift_model_is_trained_again_weekly_not_daily(api, staff_token, clock, fast_moto):
    from tests.test_helpers import train_risk_models
    from chalicelib.store import uplift as store

    _seed_world()
    train_risk_models()
    first = store.last_run("demo-dental")
    assert first.status == "trained" and store.current_model("demo-dental").version == 1
    # the next days keep the model: the exposed patients' partitions are not read again every day
    for _ in range(6):
        clock.advance(days=1)
        train_risk_models()
        assert store.last_run("demo-dental").at == first.at and store.current_model("demo-dental").version == 1
    clock.advance(days=1)  # a week after: a new version from the same reminders
    train_risk_models()
    again = store.last_run("demo-dental")
    assert again.at > first.at and again.status == "trained" and store.current_model("demo-dental").version == 2
