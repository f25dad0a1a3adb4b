"""Staff sign-in through WeCom web login on a stage without Cognito (services.wecom), against the
fake WeCom server: the code is exchanged for the member's UserID, matched to the clinic's staff
account, and our own staff tokens get the same checks as Cognito's (disabled account, role
change, sign-out)."""

from __future__ import annotations

import jwt
import pytest

from tests.conftest import WECOM

@pytest.fixture
def wecom_stage(api, wecom, monkeypatch):
    """The test stage signs staff in through the fake WeCom: admin.dd is the admin of demo-dental,
    desk.dd another role there, admin.oc the admin of other-clinic."""
    from chalicelib.config import reset_settings
    from chalicelib.services import staff_accounts, wecom as wecom_service

    monkeypatch.setenv("STAFF_IDENTITY", "wecom")
    monkeypatch.setenv("WECOM_API_BASE", wecom[1])
    for key, value in WECOM.items():
        monkeypatch.setenv(key, value)
    reset_settings()
    wecom_service.forget_token()
    other = next(role for role in staff_accounts.ROLES if role != "admin")
    staff_accounts.create("admin.dd", "", "demo-dental", "admin")
    staff_accounts.create("desk.dd", "", "demo-dental", other)
    staff_accounts.create("admin.oc", "", "other-clinic", "admin")
    yield wecom[0]
    reset_settings()
    wecom_service.forget_token()


def sign_in(api, fake, userid: str, clinic_id: str = "demo-dental"):
    return api.post("/auth/staff/wecom/login", {"clinic_id": clinic_id, "code": fake.code_for(userid)})


def test_providers_say_how_staff_sign_in(api, wecom_stage):
    status, data = api.get("/auth/staff/providers")
    assert status == 200
    assert data == {"staff_identity": "wecom", "wecom": {
        "login_url": "https://login.work.weixin.qq.com/wwlogin/sso/login", "login_type": "CorpApp",
        "appid": WECOM["WECOM_CORP_ID"], "agentid": WECOM["WECOM_AGENT_ID"]}}


def test_a_cognito_stage_says_so_and_refuses_wecom_codes(api, wecom):
    assert api.get("/auth/staff/providers") == (200, {"staff_identity": "cognito"})
    status, data = api.post("/auth/staff/wecom/login", {"clinic_id": "demo-dental", "code": wecom[0].code_for("x")})
    assert (status, data["code"]) == (400, "wrong_identity_provider")


def test_a_good_code_signs_the_member_in_to_their_clinic(api, wecom_stage):
    status, data = sign_in(api, wecom_stage, "admin.dd")
    assert status == 200, data
    assert data["clinic_id"] == "demo-dental" and data["roles"] == ["admin"] and data["username"] == "admin.dd"
    assert jwt.get_unverified_header(data["id_token"])["alg"] == "HS256"
    status, clinic = api.get("/clinic", token=data["id_token"])
    assert status == 200 and clinic["clinic_id"] == "demo-dental"
    status, again = api.post("/auth/staff/refresh", {"refresh_token": data["refresh_token"]})
    assert status == 200 and again["clinic_id"] == "demo-dental"
    assert api.get("/clinic", token=again["id_token"])[0] == 200


def test_a_code_works_once(api, wecom_stage):
    code = wecom_stage.code_for("admin.dd")
    assert api.post("/auth/staff/wecom/login", {"clinic_id": "demo-dental", "code": code})[0] == 200
    status, data = api.post("/auth/staff/wecom/login", {"clinic_id": "demo-dental", "code": code})
    assert (status, data["code"], data["field"]) == (401, "invalid_wecom_code", "code")


def test_an_unknown_member_gets_no_tokens(api, wecom_stage):
    status, data = sign_in(api, wecom_stage, "stranger")
    assert (status, data["code"]) == (401, "account_unknown")
    assert "access_token" not in data and "id_token" not in data


def test_someone_outside_the_corp_is_refused(api, wecom_stage):
    status, data = sign_in(api, wecom_stage, "outsider-1")
    assert (status, data["code"]) == (403, "wecom_not_member")


def test_a_member_of_another_clinic_cannot_sign_in_here(api, wecom_stage):
    status, data = sign_in(api, wecom_stage, "admin.oc", clinic_id="demo-dental")
    assert (status, data["code"]) == (401, "account_unknown")
    status, data = sign_in(api, wecom_stage, "admin.oc", clinic_id="other-clinic")
    assert status == 200
    status, clinic = api.get("/clinic", token=data["id_token"])
    assert clinic["clinic_id"] == "other-clinic"


def test_an_unknown_clinic_is_404(api, wecom_stage):
    status, data = sign_in(api, wecom_stage, "admin.dd", clinic_id="no-such-clinic")
    assert (status, data["code"]) == (404, "clinic_not_found")


def test_a_disabled_account_gets_no_tokens_and_its_tokens_stop(api, wecom_stage, clock):
    from datetime import timedelta

    from chalicelib.services import staff_accounts

    status, signed = sign_in(api, wecom_stage, "desk.dd")
    assert status == 200
    clock.set(clock.now() + timedelta(seconds=5))
    staff_accounts.disable("demo-dental", "desk.dd")
    status, data = api.get("/clinic", token=signed["id_token"])
    assert (status, data["code"]) == (401, "account_disabled")
    status, data = api.post("/auth/staff/refresh", {"refresh_token": signed["refresh_token"]})
    assert (status, data["code"]) == (401, "account_disabled")
    status, data = sign_in(api, wecom_stage, "desk.dd")
    assert (status, data["code"]) == (401, "account_disabled")
    clock.set(clock.now() + timedelta(seconds=5))
    staff_accounts.enable("demo-dental", "desk.dd")
    assert sign_in(api, wecom_stage, "desk.dd")[0] == 200
    # the tokens handed out before the account was disabled stay dead
    assert api.get("/clinic", token=signed["id_token"])[1]["code"] == "session_revoked"


def test_a_role_change_ends_the_tokens_of_the_old_role(api, wecom_stage, clock):
    from datetime import timedelta

    from chalicelib.services import staff_accounts

    status, signed = sign_in(api, wecom_stage, "admin.dd")
    assert status == 200
    clock.set(clock.now() + timedelta(seconds=5))
    other = next(role for role in staff_accounts.ROLES if role != "admin")
    staff_accounts.set_role("demo-dental", "admin.dd", other)
    status, data = api.get("/clinic", token=signed["id_token"])
    assert status == 401 and data["code"] in ("role_changed", "session_revoked")
    status, data = api.post("/auth/staff/refresh", {"refresh_token": signed["refresh_token"]})
    assert status == 401
    clock.set(clock.now() + timedelta(seconds=5))
    status, data = sign_in(api, wecom_stage, "admin.dd")
    assert status == 200 and data["roles"] == [other]


def test_wecom_errors_are_told_apart(api, wecom_stage, monkeypatch):
    from chalicelib.config import reset_settings
    from chalicelib.services import wecom as wecom_service

    # WeCom ended the access token early (42001): a new one is fetched and the sign-in goes through
    assert sign_in(api, wecom_stage, "admin.dd")[0] == 200
    calls = wecom_stage.token_calls
    wecom_stage.expire_tokens()
    assert sign_in(api, wecom_stage, "admin.dd")[0] == 200
    assert wecom_stage.token_calls == calls + 1
    # a wrong corp secret (40001): the deployment's fault, not the member's
    monkeypatch.setenv("WECOM_SECRET", "not-the-secret")
    reset_settings()
    wecom_service.forget_token()
    status, data = sign_in(api, wecom_stage, "admin.dd")
    assert (status, data["code"]) == (502, "wecom_error")
    assert "not-the-secret" not in str(data)
    # WeCom cannot be reached
    monkeypatch.setenv("WECOM_API_BASE", "http://127.0.0.1:9")
    reset_settings()
    wecom_service.forget_token()
    status, data = sign_in(api, wecom_stage, "admin.dd")
    assert (status, data["code"]) == (502, "wecom_unavailable")


def test_password_sign_in_is_refused_on_a_wecom_stage(api, wecom_stage):
    status, data = api.post("/auth/staff/login", {"username": "admin@demo-dental", "password": "Clinic-Pass-2026"})
    assert (status, data["code"]) == (400, "wrong_identity_provider")


def test_our_staff_tokens_count_only_on_a_wecom_stage(api, clinics, wecom):
    from chalicelib import auth
    from chalicelib.store import sessions as store

    account = store.staff_by_wecom("demo-dental", "nobody")
    assert account is None
    tokens = auth.issue_staff_tokens("demo-dental", "some-subject", "x", "admin")
    status, data = api.get("/clinic", token=tokens["access_token"])
    assert (status, data["code"]) == (401, "invalid_token")


def test_a_patient_token_is_no_staff_token(api, wecom_stage, new_patient):
    token, _ = new_patient()
    status, data = api.get("/clinic", token=token)
    assert status == 403
    # a refresh of ours must be a staff one
    status, login = api.post("/auth/wechat/login", {"clinic_id": "demo-dental", "code": "wx-bob"})
    status, data = api.post("/auth/staff/refresh", {"refresh_token": login["refresh_token"]})
    assert (status, data["code"]) == (401, "invalid_token")


def test_one_member_signs_in_as_one_account_per_clinic(api, wecom_stage):
    from chalicelib.errors import Conflict
    from chalicelib.services import staff_accounts

    with pytest.raises(Conflict):
        staff_accounts.create("admin.dd", "", "demo-dental", "admin")
    with pytest.raises(Conflict):
        staff_accounts.link_wecom("demo-dental", "desk.dd", "admin.dd")
