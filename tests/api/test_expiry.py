"""Points expire after the clinic's term; spending takes the earliest-expiring first."""

from datetime import datetime, timezone

from tests.test_helpers import expire_points, relogin


def test_points_expire_after_the_term_and_spending_takes_the_earliest_first(api, new_patient, staff_token, clock):
    clock.set(datetime(2025, 3, 10, 2, 0, tzinfo=timezone.utc))
    token, pid = new_patient(name="saver")
    staff = staff_token()
    api.post(f"/patients/{pid}/points/adjustments", {"points": 60, "reason": "三月活动"}, token=staff)
    clock.set(datetime(2025, 6, 10, 2, 0, tzinfo=timezone.utc))
    staff = staff_token()
    api.post(f"/patients/{pid}/points/adjustments", {"points": 80, "reason": "六月活动"}, token=staff)
    token = relogin(api, "saver")
    view = api.get("/me/points", token=token)[1]
    assert view["expiring"] == [{"expires_on": "2026-03-31", "points": 60}, {"expires_on": "2026-06-30", "points": 80}]
    # a 100-point redemption takes the 60 expiring in March first, then 40 of June's
    api.post("/me/redemptions", {"reward_id": "teeth-cleaning"}, token=token)
    view = api.get("/me/points", token=token)[1]
    assert view["balance"] == 40 and view["expiring"] == [{"expires_on": "2026-06-30", "points": 40}]
    # nothing expires before its day ...
    clock.set(datetime(2026, 6, 30, 15, 0, tzinfo=timezone.utc))  # 23:00 on 30 June in Shanghai
    assert expire_points()["points"] == 0
    # ... and the rest goes the day after, once, as a ledger entry
    clock.set(datetime(2026, 6, 30, 16, 30, tzinfo=timezone.utc))  # 00:30 on 1 July in Shanghai
    assert expire_points() == {"lots": 1, "points": 40}
    assert expire_points() == {"lots": 0, "points": 0}
    token = relogin(api, "saver")
    view = api.get("/me/points", token=token)[1]
    assert view["balance"] == 0 and view["expiring"] == []
    assert any(e["reason"] == "expiry" and e["points"] == -40 for e in view["entries"])
    assert sum(e["points"] for e in view["entries"]) == 0
    # the tier keeps what was earned
    assert view["earned_total"] == 140


def test_the_term_is_a_clinic_setting(api, new_patient, clock):
    from chalicelib.store import clinics

    clinics.set_points_expiry("demo-dental", 1)
    token, _ = new_patient(name="short")
    api.post("/me/shares", {"share_ref": "s"}, token=token)
    assert api.get("/me/points", token=token)[1]["expiring"] == [{"expires_on": "2026-12-31", "points": 5}]
