"""Login flows and token checks (the wrong caller on every route: test_route_callers.py)."""

from tests.conftest import STAFF_PASSWORD, wx_code


def test_wechat_login_visitor_then_register_gets_patient_token(api, new_patient):
    status, data = api.post("/auth/wechat/login", {"clinic_id": "demo-dental", "code": wx_code("bob")})
    assert status == 200
    assert data["registered"] is False and data["patient_id"] is None
    assert "session_key" not in str(data)
    # a visitor cannot read patient routes
    status, err = api.get("/me", token=data["access_token"])
    assert status == 403 and err["code"] == "wrong_role"


def test_wechat_code_errors_are_4xx_with_codes(api, clinics):
    status, err = api.post("/auth/wechat/login", {"clinic_id": "demo-dental", "code": "garbage"})
    assert status == 401 and err["code"] == "invalid_wechat_code"
    code = wx_code("carol")
    assert api.post("/auth/wechat/login", {"clinic_id": "demo-dental", "code": code})[0] == 200
    status, err = api.post("/auth/wechat/login", {"clinic_id": "demo-dental", "code": code})
    assert status == 401 and err["code"] == "wechat_code_used"
    status, err = api.post("/auth/wechat/login", {"clinic_id": "no-such-clinic", "code": wx_code("x")})
    assert status == 404 and err["code"] == "clinic_not_found"
    status, err = api.post("/auth/wechat/login", {"clinic_id": "demo-dental"})
    assert status == 400 and err["field"] == "code"


def test_a_user_wechat_blocks_gets_a_403_with_its_own_code(api, clinics):
    """WeChat's risk control refusing a user (errcode 40226) is not a bad code the client can retry."""
    status, err = api.post("/auth/wechat/login", {"clinic_id": "demo-dental", "code": wx_code("blocked-eve")})
    assert status == 403 and err["code"] == "wechat_user_blocked" and err["field"] == "code"


def test_second_login_finds_the_record(api, new_patient):
    _, pid = new_patient(name="dora")
    status, data = api.post("/auth/wechat/login", {"clinic_id": "demo-dental", "code": wx_code("dora")})
    assert status == 200 and data["registered"] is True and data["patient_id"] == pid
    # the same WeChat user in another clinic is a different, unregistered visitor
    status, data = api.post("/auth/wechat/login", {"clinic_id": "other-clinic", "code": wx_code("dora")})
    assert data["registered"] is False


def test_refresh_rotates_and_rejects_access_tokens(api, new_patient):
    status, login = api.post("/auth/wechat/login", {"clinic_id": "demo-dental", "code": wx_code("erin")})
    status, data = api.post("/auth/refresh", {"refresh_token": login["refresh_token"]})
    assert status == 200 and data["access_token"]
    status, err = api.post("/auth/refresh", {"refresh_token": login["access_token"]})
    assert status == 401 and err["code"] == "invalid_token"


def test_patient_token_expires(api, new_patient, clock):
    token, _ = new_patient(name="fay")
    clock.advance(minutes=121)  # the tests' access tokens last two hours
    status, err = api.get("/me", token=token)
    assert status == 401 and err["code"] == "token_expired"


def test_staff_login(api, clinics):
    status, data = api.post("/auth/staff/login", {"username": "admin@demo-dental", "password": STAFF_PASSWORD})
    assert status == 200
    assert data["clinic_id"] == "demo-dental" and data["roles"] == ["admin"]
    status, err = api.post("/auth/staff/login", {"username": "admin@demo-dental", "password": "wrong-Pass-1"})
    assert status == 401 and err["code"] == "invalid_credentials"
    status, err = api.post("/auth/staff/login", {"username": "nobody", "password": "wrong-Pass-1"})
    assert status == 401 and err["code"] == "invalid_credentials"
    status, refreshed = api.post("/auth/staff/refresh", {"refresh_token": data["refresh_token"]})
    assert status == 200 and refreshed["clinic_id"] == "demo-dental"


def test_forged_staff_token_is_rejected(api, clinics):
    import jwt

    forged = jwt.encode({"sub": "x", "custom:clinic_id": "demo-dental", "cognito:groups": ["admin"]},
                        "a-guessed-secret-of-thirty-two-bytes!!", algorithm="HS256")
    status, err = api.get("/patients", token=forged)
    assert status == 401
