"""Redeemed rewards with a code: the patient lists them, the desk finds one by its code and
hands the reward over once; redemptions made before codes existed get one when listed."""

from datetime import timedelta

from tests.conftest import T0


def _rich_patient(api, new_patient, staff_token, name="rich", phone="13800003331", points=300):
    token, pid = new_patient(name=name, phone=phone)
    status, _ = api.post(f"/patients/{pid}/points/adjustments", {"points": points, "reason": "活动奖励"},
                         token=staff_token("demo-dental", "front_desk"))
    assert status == 201
    return token, pid


def test_a_redemption_gets_a_code_the_desk_finds_and_fulfils_once(api, new_patient, staff_token):
    token, pid = _rich_patient(api, new_patient, staff_token)
    status, made = api.post("/me/redemptions", {"reward_id": "teeth-cleaning"}, token=token)
    assert status == 201, made
    code = made["redemption"]["code"]
    assert len(code) == 9 and code[4] == "-"
    status, listed = api.get("/me/redemptions", token=token)
    assert status == 200, listed
    row = listed["items"][0]
    assert row["code"] == code and row["status"] == "pending" and row["fulfilled_at"] is None
    assert row["reward_name"] and row["cost"] == 100 and row["redemption_id"] == made["redemption"]["redemption_id"]

    clerk = staff_token("demo-dental", "front_desk")
    typed = code.replace("-", "").lower()  # a clerk types it in any case, without the dash
    status, found = api.get(f"/redemptions/{typed}", token=clerk)
    assert status == 200, found
    assert found["redemption"]["patient_id"] == pid and found["redemption"]["status"] == "pending"
    assert found["redemption"]["patient_name_masked"] == "张**"
    spaced = code.replace("-", "%20")  # typed with a space, percent-encoded by the client
    assert api.get(f"/redemptions/{spaced}", token=clerk)[1]["redemption"]["code"] == code
    status, done = api.post(f"/redemptions/{code}/fulfil", token=clerk)
    assert status == 200 and done["redemption"]["status"] == "fulfilled", done
    assert done["redemption"]["fulfilled_by"] == "front_desk@demo-dental"
    status, err = api.post(f"/redemptions/{code}/fulfil", token=staff_token("demo-dental", "admin"))
    assert status == 409 and err["code"] == "redemption_fulfilled"
    row = api.get("/me/redemptions", token=token)[1]["items"][0]
    assert row["status"] == "fulfilled" and row["fulfilled_at"]


def test_unknown_and_other_clinics_codes_are_not_found(api, new_patient, staff_token):
    token, _ = _rich_patient(api, new_patient, staff_token)
    code = api.post("/me/redemptions", {"reward_id": "teeth-cleaning"}, token=token)[1]["redemption"]["code"]
    other = staff_token("other-clinic", "admin")
    for path, who in ((f"/redemptions/{code}", other), ("/redemptions/ABCD-EFGH", staff_token()),
                      ("/redemptions/not-a-code!", staff_token())):
        status, err = api.get(path, token=who)
        assert status == 404 and err["code"] == "invalid_redemption_code", (path, err)
    status, err = api.post(f"/redemptions/{code}/fulfil", token=other)
    assert status == 404 and err["code"] == "invalid_redemption_code"
    # the patient cannot use the desk's routes
    status, err = api.post(f"/redemptions/{code}/fulfil", token=token)
    assert status == 403 and err["code"] == "wrong_role"


def test_redemptions_page_newest_first_and_old_ones_get_a_code_once(api, new_patient, staff_token, clock):
    from chalicelib.services.activity import take_reward
    from chalicelib.store import patients, points

    token, pid = _rich_patient(api, new_patient, staff_token, points=500)
    # one made before codes existed (as older data and an older seed have them)
    patient = patients.get("demo-dental", pid)
    reward = points.Reward(reward_id="teeth-cleaning", name="洗牙", name_en=None, cost=100, active=True, stock=None,
                           per_patient_limit=None)
    take_reward(patient, reward, points.Redemption(redemption_id="legacy1", reward_id="teeth-cleaning",
                                                   reward_name="洗牙", cost=100, at="2026-11-19T02:00:00Z"))
    for i in range(3):
        clock.set(T0 + timedelta(minutes=i))
        assert api.post("/me/redemptions", {"reward_id": "teeth-cleaning"}, token=token)[0] == 201
    status, first = api.get("/me/redemptions?limit=2", token=token)
    assert status == 200 and len(first["items"]) == 2 and first["next_cursor"]
    status, second = api.get(f"/me/redemptions?limit=2&cursor={first['next_cursor']}", token=token)
    assert status == 200 and second["next_cursor"] is None
    rows = first["items"] + second["items"]
    assert [r["redeemed_at"] for r in rows] == sorted((r["redeemed_at"] for r in rows), reverse=True)
    legacy = rows[-1]
    assert legacy["redemption_id"] == "legacy1" and legacy["code"]
    again = api.get("/me/redemptions", token=token)[1]["items"][-1]
    assert again["code"] == legacy["code"]  # given once, kept
    status, found = api.get(f"/redemptions/{legacy['code']}", token=staff_token())
    assert status == 200 and found["redemption"]["redemption_id"] == "legacy1"
    status, err = api.get("/me/redemptions?cursor=xyz", token=token)
    assert status == 400 and err["code"] == "invalid_cursor"


def test_erasure_removes_the_redemption_codes(api, new_patient, staff_token):
    token, _ = _rich_patient(api, new_patient, staff_token)
    code = api.post("/me/redemptions", {"reward_id": "teeth-cleaning"}, token=token)[1]["redemption"]["code"]
    assert api.delete("/me", token=token)[0] == 200
    status, err = api.get(f"/redemptions/{code}", token=staff_token())
    assert status == 404 and err["code"] == "invalid_redemption_code"
    from chalicelib.store import redemptions

    assert redemptions.find_code("demo-dental", code.replace("-", "")) is None
