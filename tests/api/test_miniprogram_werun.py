"""POST /me/checkins/werun: the last week's WeRun steps, opened with the session key of a fresh
wx.login code and recorded as one steps check-in per day through the check-in service."""

from datetime import date, timedelta

from tests.conftest import wx_code
from tests.werun_util import werun_body

TODAY = date(2026, 11, 20)  # T0 is 10:00 in Shanghai on this day


def _days(n, steps=9000):
    return {TODAY - timedelta(days=i): steps + i for i in range(n)}


def test_the_last_weeks_steps_are_recorded_once_per_day(api, new_patient, aws, capsys, caplog):
    token, _ = new_patient(name="walker")
    fake = aws.fake_wechat
    status, data = api.post("/me/checkins/werun", werun_body(fake, wx_code("walker"), _days(10)), token=token)
    assert status == 201, data
    recorded = {d["local_date"]: d for d in data["days"]}
    assert sorted(recorded) == [(TODAY - timedelta(days=i)).isoformat() for i in range(6, -1, -1)]
    assert all(d["recorded"] and d["counted"] for d in data["days"])
    assert data["points_awarded"] == sum(d["points_awarded"] for d in data["days"]) == 7
    assert recorded[TODAY.isoformat()]["steps"] == 9000
    checkins = api.get("/me/checkins", token=token)[1]["items"]
    assert len([c for c in checkins if c["type"] == "steps"]) == 7
    # the same upload again records nothing and pays nothing
    status, again = api.post("/me/checkins/werun", werun_body(fake, wx_code("walker"), _days(10)), token=token)
    assert status == 201 and again["points_awarded"] == 0
    assert not any(d["recorded"] for d in again["days"])
    # later the same day today's figure rose: recorded again, not paid again
    later = _days(3)
    later[TODAY] = 12000
    status, rose = api.post("/me/checkins/werun", werun_body(fake, wx_code("walker"), later), token=token)
    assert status == 201 and rose["points_awarded"] == 0
    today = next(d for d in rose["days"] if d["local_date"] == TODAY.isoformat())
    assert today["recorded"] and not today["counted"] and today["steps"] == 12000
    assert [d["recorded"] for d in rose["days"] if d["local_date"] != TODAY.isoformat()] == [False, False]
    assert api.get("/me/points", token=token)[1]["balance"] == 7
    out = capsys.readouterr()
    assert "12000" not in out.out + out.err + caplog.text


def test_another_wechat_account_is_refused(api, new_patient, aws):
    token, _ = new_patient(name="walker2")
    status, err = api.post("/me/checkins/werun", werun_body(aws.fake_wechat, wx_code("someone-else"), _days(2)),
                           token=token)
    assert status == 403 and err["code"] == "wechat_account_mismatch"
    assert not [c for c in api.get("/me/checkins", token=token)[1]["items"] if c["type"] == "steps"]


def test_bad_werun_data_is_a_400_and_used_codes_the_logins_codes(api, new_patient, aws):
    token, _ = new_patient(name="walker3")
    fake = aws.fake_wechat
    good = werun_body(fake, wx_code("walker3"), _days(2))
    sealed_for_other_code = werun_body(fake, wx_code("walker3"), _days(2))
    cases = [
        {**good, "code": wx_code("walker3"), "encrypted_data": sealed_for_other_code["encrypted_data"],
         "iv": sealed_for_other_code["iv"]},  # sealed with another session's key
        {**good, "code": wx_code("walker3"), "iv": "AAAA"},  # an IV of the wrong size
        {**good, "code": wx_code("walker3"), "encrypted_data": "QUJD"},  # not whole blocks
        werun_body(fake, wx_code("walker3"), _days(2), appid="wx-another-app"),  # made for another app
    ]
    for body in cases:
        status, err = api.post("/me/checkins/werun", body, token=token)
        assert status == 400 and err["code"] == "invalid_werun_data", err
    status, err = api.post("/me/checkins/werun", {**good, "iv": "not base64!"}, token=token)
    assert status == 400 and err["code"] == "invalid_input"
    assert api.post("/me/checkins/werun", good, token=token)[0] == 201
    status, err = api.post("/me/checkins/werun", good, token=token)  # the login code was used
    assert status == 401 and err["code"] == "wechat_code_used"
    status, err = api.post("/me/checkins/werun", {**good, "extra": 1}, token=token)
    assert status == 400 and err["code"] == "unknown_field"


def test_staff_cannot_upload_werun(api, staff_token, aws):
    status, err = api.post("/me/checkins/werun", werun_body(aws.fake_wechat, wx_code("x"), _days(1)),
                           token=staff_token())
    assert status == 403 and err["code"] == "wrong_role"
