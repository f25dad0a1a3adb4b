"""Check-ins (clinic-local days), the ledger, shares, redemption and idempotency."""

from datetime import datetime, timezone

import pytest


def checkin(api, token, client_time, type_="glucose", value=6.2, key=None):
    headers = {"Idempotency-Key": key} if key else None
    return api.post("/me/checkins", {"type": type_, "value": value, "client_time": client_time}, token=token,
                    headers=headers)


def test_first_checkin_of_a_clinic_day_counts_once(api, new_patient):
    token, _ = new_patient()
    status, first = checkin(api, token, "2026-11-20T08:00:00+08:00")
    assert status == 201 and first["checkin"]["counted"] and first["points_awarded"] == 1
    status, second = checkin(api, token, "2026-11-20T09:30:00+08:00", value=7.0)
    assert status == 201 and not second["checkin"]["counted"] and second["points_awarded"] == 0
    status, steps = checkin(api, token, "2026-11-20T09:30:00+08:00", type_="steps", value=8000)
    assert steps["checkin"]["counted"]  # another type counts on its own
    status, points = api.get("/me/points", token=token)
    assert points["balance"] == 2 and len(points["entries"]) == 2
    status, history = api.get("/me/checkins", token=token)
    assert len(history["items"]) == 3


def test_clinic_midnight_decides_the_day_not_utc(api, new_patient, clock):
    clock.set(datetime(2026, 11, 20, 16, 30, tzinfo=timezone.utc))  # 00:30 on the 21st in Shanghai
    token, _ = new_patient()
    # 23:50 Shanghai on the 20th is 15:50 UTC: same UTC day as the next reading, different clinic day
    status, late = checkin(api, token, "2026-11-20T15:50:00Z")
    status, early = checkin(api, token, "2026-11-20T16:10:00Z")
    assert late["checkin"]["local_date"] == "2026-11-20" and early["checkin"]["local_date"] == "2026-11-21"
    assert late["checkin"]["counted"] and early["checkin"]["counted"]


def test_late_uploads_count_for_their_own_day_within_three_days(api, new_patient, clock):
    token, _ = new_patient()
    status, data = checkin(api, token, "2026-11-18T07:00:00+08:00")
    assert status == 201 and data["checkin"]["local_date"] == "2026-11-18"
    status, err = checkin(api, token, "2026-11-16T07:00:00+08:00")
    assert status == 400 and err["code"] == "invalid_client_time"
    status, err = checkin(api, token, "2026-11-20T12:00:00+08:00")  # two hours ahead of the clock
    assert status == 400 and err["code"] == "invalid_client_time"
    status, err = checkin(api, token, "2026-11-20T08:00:00")  # no zone
    assert status == 400 and err["field"] == "client_time"
    status, err = checkin(api, token, "2026-11-20T08:00:00+08:00", type_="weight")
    assert status == 400 and err["field"] == "type"


def test_idempotency_key_replays_the_first_answer(api, new_patient):
    token, _ = new_patient()
    status, first = checkin(api, token, "2026-11-20T08:00:00+08:00", key="k-1")
    status2, again = checkin(api, token, "2026-11-20T08:00:00+08:00", key="k-1")
    assert status == status2 == 201 and again == first
    assert len(api.get("/me/checkins", token=token)[1]["items"]) == 1
    status, err = checkin(api, token, "2026-11-20T08:05:00+08:00", value=9.9, key="k-1")
    assert status == 409 and err["code"] == "idempotency_key_reused"




def test_redemption_never_overdraws_and_is_idempotent(api, new_patient, staff_token):
    token, pid = new_patient()
    staff = staff_token()
    status, rewards = api.get("/rewards", token=token)
    cleaning = next(r for r in rewards["items"] if r["reward_id"] == "teeth-cleaning")
    assert cleaning["cost"] == 100
    status, err = api.post("/me/redemptions", {"reward_id": "teeth-cleaning"}, token=token)
    assert status == 409 and err["code"] == "insufficient_points"
    # earn 100: ten on-time revisits are +10 each
    api.post(f"/patients/{pid}/visits", {"visit_date": "2025-01-05", "department": "dentistry",
                                         "next_due_date": "2025-02-05"}, token=staff)
    for month in range(2, 12):
        status, visit = api.post(f"/patients/{pid}/visits", {
            "visit_date": f"2025-{month:02d}-05", "department": "dentistry",
            "next_due_date": f"2025-{month + 1:02d}-05"}, token=staff)
        assert status == 201 and visit["points_awarded"] == 10, visit
    assert api.get("/me/points", token=token)[1]["balance"] == 100
    headers = {"Idempotency-Key": "redeem-1"}
    status, first = api.post("/me/redemptions", {"reward_id": "teeth-cleaning"}, token=token, headers=headers)
    assert status == 201 and first["balance"] == 0
    status, again = api.post("/me/redemptions", {"reward_id": "teeth-cleaning"}, token=token, headers=headers)
    assert status == 201 and again == first
    status, err = api.post("/me/redemptions", {"reward_id": "teeth-cleaning"}, token=token,
                           headers={"Idempotency-Key": "redeem-2"})
    assert status == 409 and err["code"] == "insufficient_points"
    points = api.get("/me/points", token=token)[1]
    assert points["balance"] == 0 and points["redeemed_total"] == 100
    assert sum(e["points"] for e in points["entries"]) == points["balance"]
    status, err = api.post("/me/redemptions", {"reward_id": "no-such"}, token=token)
    assert status == 404


def test_store_refuses_an_overdraft_even_when_the_read_was_stale(api, new_patient, staff_token):
    """Two desks reading the same balance: the conditional debit lets only one through."""
    from chalicelib.errors import InsufficientPoints
    from chalicelib.services.activity import take_reward
    from chalicelib.store import patients, points

    token, pid = new_patient()
    patient = patients.get("demo-dental", pid)
    points.credit(patient, entry_id="grant:1", points=100, reason="manual", at="2026-11-20T02:00:00Z")
    stale = patients.get("demo-dental", pid)
    reward = points.Reward(reward_id="teeth-cleaning", name="x", name_en=None, cost=100, active=True, stock=None,
                           per_patient_limit=None)
    for n, expect_ok in ((1, True), (2, False)):
        redemption = points.Redemption(redemption_id=f"r{n}", reward_id="teeth-cleaning", reward_name="x", cost=100,
                                       at="2026-11-20T02:00:00Z")
        if expect_ok:
            take_reward(stale, reward, redemption)
        else:
            with pytest.raises(InsufficientPoints):
                take_reward(stale, reward, redemption)
    assert patients.get("demo-dental", pid).balance == 0


def test_share_earns_once_per_share(api, new_patient):
    token, _ = new_patient()
    status, data = api.post("/me/shares", {"share_ref": "ticket-1"}, token=token)
    assert status == 201 and data["points_awarded"] == 5
    status, err = api.post("/me/shares", {"share_ref": "ticket-1"}, token=token)
    assert status == 409 and err["code"] == "share_already_rewarded"
    assert api.get("/me/points", token=token)[1]["balance"] == 5


def test_admin_changes_earning_rules(api, new_patient, staff_token):
    token, _ = new_patient()
    rules = {"revisit_on_time": 20, "share": 7, "referral_registered": 15, "checkin": 0}
    status, _ = api.put("/clinic/earning-rules", rules, token=staff_token(role="admin"))
    assert status == 200
    from chalicelib.store import clinics

    clinics.forget_cache()
    assert api.post("/me/shares", {"share_ref": "t"}, token=token)[1]["points_awarded"] == 7
    status, err = api.put("/clinic/earning-rules", {**rules, "share": -1}, token=staff_token(role="admin"))
    assert status == 400 and err["field"] == "share"


def test_staff_adjustments_and_reversals_are_new_entries(api, new_patient, staff_token):
    token, pid = new_patient()
    staff = staff_token("demo-dental", "front_desk")
    status, share = api.post("/me/shares", {"share_ref": "t-1"}, token=token)
    status, adjusted = api.post(f"/patients/{pid}/points/adjustments", {"points": 20, "reason": "补录线下活动"},
                                token=staff, headers={"Idempotency-Key": "adj-1"})
    assert status == 201 and adjusted["balance"] == 25 and adjusted["entry"]["staff"] == "front_desk@demo-dental"
    again = api.post(f"/patients/{pid}/points/adjustments", {"points": 20, "reason": "补录线下活动"},
                     token=staff, headers={"Idempotency-Key": "adj-1"})
    assert again == (201, adjusted)
    share_entry = next(e for e in api.get("/me/points", token=token)[1]["entries"] if e["reason"] == "share")
    status, reversed_ = api.post(f"/patients/{pid}/points/reversals",
                                 {"entry_id": share_entry["entry_id"], "reason": "重复分享"}, token=staff)
    assert status == 201 and reversed_["entry"]["points"] == -5
    status, err = api.post(f"/patients/{pid}/points/reversals",
                           {"entry_id": share_entry["entry_id"], "reason": "again"}, token=staff)
    assert status == 409 and err["code"] == "entry_exists"
    status, err = api.post(f"/patients/{pid}/points/adjustments", {"points": -100, "reason": "x"}, token=staff)
    assert status == 409 and err["code"] == "insufficient_points"
    status, err = api.post(f"/patients/{pid}/points/adjustments", {"points": 0, "reason": "x"}, token=staff)
    assert status == 400 and err["field"] == "points"
    status, err = api.post(f"/patients/{pid}/points/reversals", {"entry_id": "nope", "reason": "x"}, token=staff)
    assert status == 404
    view = api.get(f"/patients/{pid}/points", token=staff)[1]
    assert view["balance"] == 20 and sum(e["points"] for e in view["entries"]) == 20
    notes = {e["reason"]: e.get("note") for e in view["entries"]}
    assert notes["adjustment"] == "补录线下活动" and notes["reversal"] == "重复分享"
    # entries are never edited: the original share entry is still there
    assert any(e["entry_id"] == share_entry["entry_id"] and e["points"] == 5 for e in view["entries"])
    # another clinic's staff cannot adjust
    status, _ = api.post(f"/patients/{pid}/points/adjustments", {"points": 5, "reason": "x"},
                         token=staff_token("other-clinic"))
    assert status == 404


def test_tier_follows_points_earned_not_balance(api, new_patient, staff_token):
    from chalicelib.domain.rules import tier_for

    assert tier_for(0) == "bronze" and tier_for(300) == "silver" and tier_for(1000) == "gold"
    token, pid = new_patient()
    staff = staff_token()
    api.post(f"/patients/{pid}/points/adjustments", {"points": 350, "reason": "活动"}, token=staff)
    api.post(f"/patients/{pid}/points/adjustments", {"points": -340, "reason": "兑换线下礼品"}, token=staff)
    view = api.get("/me/points", token=token)[1]
    assert view["balance"] == 10 and view["tier"] == "silver"


def test_admins_set_earning_limits_and_the_points_term(api, new_patient, staff_token, clock):
    admin, staff = staff_token("demo-dental", "admin"), staff_token("demo-dental", "front_desk")
    clinic = api.get("/clinic", token=staff)[1]
    assert clinic["earning_limits"]["share"] == {"day": 3, "week": 10, "month": 20}
    assert clinic["earning_limits"]["checkin"] == {} and clinic["points_expiry_months"] == 12

    status, err = api.put("/clinic/earning-limits", {"limits": {"share": {"day": 1}}}, token=staff)
    assert status == 403
    status, err = api.put("/clinic/earning-limits", {"limits": {"share": {"day": 5, "week": 4}}}, token=admin)
    assert status == 400 and err["code"] == "limits_out_of_order"
    status, err = api.put("/clinic/earning-limits", {"limits": {"likes": {"day": 5}}}, token=admin)
    assert status == 400 and err["code"] == "invalid_input"
    status, set_ = api.put("/clinic/earning-limits", {"limits": {"share": {"day": 1}}}, token=admin)
    assert status == 200 and set_["earning_limits"]["share"] == {"day": 1}

    token, _ = new_patient()
    assert api.post("/me/shares", {"share_ref": "a-1"}, token=token)[1]["points_awarded"] == 5
    status, second = api.post("/me/shares", {"share_ref": "a-2"}, token=token)
    assert status == 201 and second["points_awarded"] == 0 and second["limit_reached"] == "day"

    status, term = api.put("/clinic/points-expiry", {"months": 6}, token=admin)
    assert status == 200 and term == {"points_expiry_months": 6}
    assert api.put("/clinic/points-expiry", {"months": 0}, token=admin)[0] == 400
    assert api.put("/clinic/points-expiry", {"months": 6}, token=staff)[0] == 403
    expiring = api.get("/me/points", token=token)[1]["expiring"]
    assert expiring == [{"expires_on": "2027-11-30", "points": 5}]  # earned under the 12-month term
    clock.advance(days=1)
    token, _ = new_patient(name="later", phone="13900000099")
    api.post("/me/shares", {"share_ref": "b-1"}, token=token)
    assert api.get("/me/points", token=token)[1]["expiring"] == [{"expires_on": "2027-05-31", "points": 5}]


def test_a_checkin_stopped_by_its_limit_joins_segments_for_what_it_paid(api, new_patient, staff_token, clock):
    """The check-in's segment memberships depend on the points it credits: when the rule's limit
    refuses the payout, the check-in is planned again paying nothing, and its memberships with it."""
    from chalicelib.domain.clock import iso

    admin = staff_token("demo-dental", "admin")
    assert api.put("/clinic/earning-limits", {"limits": {"checkin": {"day": 1}}}, token=admin)[0] == 200
    status, _ = api.post("/segments", {"segment_id": "two-points", "name": "两分以上",
                                       "rule": {"field": "points_balance", "gte": 2}}, token=admin)
    assert status == 201
    clock.advance(seconds=61)  # past the definitions' cache window
    token, pid = new_patient()
    first = api.post("/me/checkins", {"type": "glucose", "value": 5.5, "client_time": iso(clock.now())}, token=token)[1]
    assert first["points_awarded"] == 1 and first["balance"] == 1
    second = api.post("/me/checkins", {"type": "steps", "value": 9000, "client_time": iso(clock.now())}, token=token)
    assert second[0] == 201 and second[1]["points_awarded"] == 0 and second[1]["limit_reached"] == "day"
    assert second[1]["checkin"]["counted"] and second[1]["balance"] == 1
    segments = api.get(f"/patients/{pid}/segments", token=admin)[1]["segments"]
    assert "two-points" not in {s["segment_id"] for s in segments}
    assert api.get("/me/points", token=token)[1]["balance"] == 1
    third = api.post("/me/shares", {"share_ref": "ticket-x"}, token=token)[1]
    assert third["points_awarded"] == 5
    clock.advance(days=1)
    api.post("/me/checkins", {"type": "glucose", "value": 5.5, "client_time": iso(clock.now())}, token=token)
    segments = api.get(f"/patients/{pid}/segments", token=admin)[1]["segments"]
    assert "two-points" in {s["segment_id"] for s in segments}
