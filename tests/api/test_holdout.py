"""The clinic's lasting holdout: a stable share of patients receives no marketing message (service
reminders still go), set by the clinic's admin, and the dashboard compares revisit rates."""

from datetime import date, timedelta

from chalicelib.domain import holdout
from tests.api.test_delivery import job_of, plan_now, rule_body, run_schedule


def test_a_new_clinic_holds_out_the_default_share(api):
    from chalicelib.services.clinics import create_clinic, settings_view

    create_clinic("fresh-clinic", "新诊所")
    assert settings_view("fresh-clinic")["holdout_share"] == holdout.DEFAULT_SHARE


def test_admins_set_the_share_and_others_cannot(api, staff_token):
    admin = staff_token()
    assert api.get("/clinic", token=admin)[1]["holdout_share"] == 0  # the test clinics start without one
    status, body = api.put("/clinic/holdout", {"share": 0.1}, token=admin)
    assert status == 200 and body == {"holdout_share": 0.1}
    assert api.get("/clinic", token=admin)[1]["holdout_share"] == 0.1
    for share in (0.5, -0.1, "many"):
        status, err = api.put("/clinic/holdout", {"share": share}, token=admin)
        assert status == 400 and err["field"] == "share", err
    assert api.put("/clinic/holdout", {"share": 0.2}, token=staff_token(role="front_desk"))[0] == 403
    assert api.put("/clinic/holdout", {"share": 0.2}, token=staff_token(role="analyst"))[0] == 403
    assert api.get("/clinic", token=staff_token("other-clinic"))[1]["holdout_share"] == 0  # untouched


def test_membership_is_stable_and_a_larger_share_only_adds_patients():
    ids = [f"p{n}" for n in range(4000)]
    five = {p for p in ids if holdout.in_holdout("demo-dental", p, 0.05)}
    ten = {p for p in ids if holdout.in_holdout("demo-dental", p, 0.10)}
    assert 150 <= len(five) <= 250 and five < ten and 330 <= len(ten) <= 470
    assert five == {p for p in ids if holdout.in_holdout("demo-dental", p, 0.05)}
    assert five != {p for p in ids if holdout.in_holdout("other-clinic", p, 0.05)}  # per clinic
    assert not any(holdout.in_holdout("demo-dental", p, 0) for p in ids)


def test_the_holdout_gets_no_marketing_message_but_its_service_reminders(api, staff_token, new_patient):
    admin = staff_token()
    assert api.put("/clinic/holdout", {"share": 0.2}, token=admin)[0] == 200
    assert api.put("/clinic/delivery", {"daily_cap": 10}, token=admin)[0] == 200
    api.put("/recall-rules/promo", rule_body(purpose="marketing", template="{nickname}：春季护肤讲座"), token=admin)
    api.put("/recall-rules/eczema-surgery", rule_body(), token=admin)
    held = reached = None
    for n in range(40):
        _, pid = new_patient(name=f"hold{n}", phone=f"1390000{n:04d}",
                             consents={"service": True, "marketing": True})
        if holdout.in_holdout("demo-dental", pid, 0.2):
            held = held or pid
        else:
            reached = reached or pid
        if held and reached:
            break
    assert held and reached
    for pid in (held, reached):
        plan_now(pid, "promo", purpose="marketing")
        plan_now(pid, "eczema-surgery")
    run_schedule()
    promo_held = job_of(held, "recall", "promo", "2026-10-01", 30)
    assert (promo_held.status, promo_held.stop_reason) == ("held_out", "clinic_holdout")
    assert job_of(held, "recall", "eczema-surgery", "2026-10-01", 30).status == "sent"
    assert job_of(reached, "recall", "promo", "2026-10-01", 30).status == "sent"
    log = api.get("/reminders", token=admin)[1]["items"]
    assert any(r["status"] == "held_out" and r["stop_reason"] == "clinic_holdout" for r in log), log


def _due(pid, day, kept):
    return {"patient_id": pid, "due_date": day, "status": "on_time" if kept else "missed", "met_on": day if kept else None}


def test_the_effect_compares_revisit_rates_with_an_interval():
    today = date(2026, 11, 20)
    ids = [f"p{n}" for n in range(3000)]
    held = [p for p in ids if holdout.in_holdout("c1", p, 0.1)]
    reached = [p for p in ids if not holdout.in_holdout("c1", p, 0.1)]
    decided = (today - timedelta(days=60)).isoformat()
    dues = [_due(p, decided, n % 10 < 6) for n, p in enumerate(reached)]  # 60% kept
    dues += [_due(p, decided, n % 10 < 4) for n, p in enumerate(held)]  # 40% kept
    dues.append(_due(reached[0], (today - timedelta(days=3)).isoformat(), True))  # still inside its window
    effect = holdout.effect(dues, "c1", 0.1, today)
    assert effect["reached"]["decided"] == len(reached) and effect["held_out"]["decided"] == len(held)
    assert effect["reached"]["pending"] == 1
    assert abs(effect["difference"] - 0.2) < 0.02 and effect["ci_low"] > 0.1 and effect["ci_high"] < 0.3
    assert effect["p_value"] < 0.001
    empty = holdout.effect([], "c1", 0.1, today)
    assert empty["difference"] is None and empty["held_out"]["decided"] == 0
