"""Invite codes and the referral reward (S9): +15 once, no self-referral, a phone referred once."""

from chalicelib.domain.privacy import mask_name
from tests.test_helpers import refresh_kpis
from tests.conftest import patient_record, wx_code


def register_with(api, name, phone, code):
    status, login = api.post("/auth/wechat/login", {"clinic_id": "demo-dental", "code": wx_code(name)})
    return api.post("/me/register", patient_record(phone=phone, invite_code=code), token=login["access_token"])


def test_a_referred_friend_registering_earns_the_referrer_fifteen_once(api, new_patient, staff_token):
    token, pid = new_patient(name="referrer")
    status, mine = api.get("/me/referral", token=token)
    assert status == 200 and len(mine["invite_code"]) == 8 and mine["reward_points"] == 15
    assert mine["share_path"] == f"pages/launch/index?invite={mine['invite_code']}"
    assert api.get("/me/referral", token=token)[1]["invite_code"] == mine["invite_code"]  # stable
    status, friend = register_with(api, "friend", "13600000001", mine["invite_code"].lower())
    assert status == 201, friend
    points = api.get("/me/points", token=token)[1]
    assert points["balance"] == 15
    assert [(e["reason"], e["points"]) for e in points["entries"]] == [("referral_registered", 15)]
    assert api.get("/leaderboard", token=token)[1]["me"]["score"] == 15
    # the friend's record says who referred them (staff view)
    detail = api.get(f"/patients/{friend['patient']['patient_id']}", token=staff_token())[1]
    referrer_name = mask_name(api.get(f"/patients/{pid}", token=staff_token())[1]["patient"]["name"])
    assert detail["referral"] == {"invite_code": None, "referred_by": pid, "referred_by_name": referrer_name,
                                  "referred": 0}
    referrer = api.get(f"/patients/{pid}", token=staff_token())[1]["referral"]
    assert referrer == {"invite_code": mine["invite_code"], "referred_by": None, "referred_by_name": None,
                        "referred": 1}
    # the same phone cannot be referred again, even after the friend's record was erased
    api.delete("/me", token=friend["access_token"])
    status, again = register_with(api, "friend-again", "13600000001", mine["invite_code"])
    assert status == 201
    assert api.get("/me/points", token=token)[1]["balance"] == 15
    # bad codes and self-referral are refused with reasons
    status, err = register_with(api, "stranger", "13600000002", "NOPE2345")
    assert status == 400 and err["code"] == "unknown_invite_code"
    status, login = api.post("/auth/wechat/login", {"clinic_id": "demo-dental", "code": wx_code("twin")})
    status, err = api.post("/me/register", patient_record(phone="13800001111", invite_code=mine["invite_code"]),
                           token=login["access_token"])
    assert status == 400 and err["code"] == "self_referral"
    # another clinic does not know this code
    status, login = api.post("/auth/wechat/login", {"clinic_id": "other-clinic", "code": wx_code("far")})
    status, err = api.post("/me/register", patient_record(phone="13600000003", invite_code=mine["invite_code"]),
                           token=login["access_token"])
    assert status == 400 and err["code"] == "unknown_invite_code"


def test_referral_share_of_new_patients_is_a_kpi(api, new_patient, staff_token):
    token, _ = new_patient(name="host")
    code = api.get("/me/referral", token=token)[1]["invite_code"]
    register_with(api, "guest1", "13600000011", code)
    register_with(api, "guest2", "13600000012", code)
    new_patient(name="walkin", phone="13600000013")
    refresh_kpis()
    kpis = api.get("/dashboard", token=staff_token())[1]["kpis"]
    assert kpis["new_patients_90"] == 4 and kpis["referral_share_90"] == 0.5


def test_family_cleaning_card_is_in_the_catalogue(api, new_patient):
    token, _ = new_patient()
    rewards = {r["reward_id"]: r for r in api.get("/rewards", token=token)[1]["items"]}
    assert "family-cleaning-card" in rewards and rewards["family-cleaning-card"]["cost"] == 300


def test_a_referral_beyond_the_rules_limit_registers_the_friend_without_a_reward(api, new_patient, staff_token):
    # The reward's limit counter refuses inside the registration's transaction: the registration
    # is written again without the reward, never refused.
    admin = staff_token()
    assert api.put("/clinic/earning-limits", {"limits": {"referral_registered": {"day": 1}}}, token=admin)[0] == 200
    token, pid = new_patient(name="referrer")
    code = api.get("/me/referral", token=token)[1]["invite_code"]
    assert register_with(api, "first-friend", "13600000011", code)[0] == 201
    status, second = register_with(api, "second-friend", "13600000012", code)
    assert status == 201, second
    points = api.get("/me/points", token=token)[1]
    assert points["balance"] == 15 and [e["reason"] for e in points["entries"]] == ["referral_registered"]
    detail = api.get(f"/patients/{second['patient']['patient_id']}", token=staff_token())[1]
    assert detail["referral"]["referred_by"] is None
    assert api.get(f"/patients/{pid}", token=staff_token())[1]["referral"]["referred"] == 1
