"""Staff accounts from the site: an admin invites, re-roles, disables and enables colleagues; an
invited colleague's first sign-in chooses a new password; the platform's operator creates clinics."""

from tests.conftest import STAFF_PASSWORD
from tests.test_helpers import staff_sign_in


def test_an_admin_invites_a_colleague_who_chooses_a_password_at_first_sign_in(api, clinics, staff_token):
    admin = staff_token("demo-dental", "admin")
    status, invited = api.post("/staff", {"username": "xiaoli@demo-dental", "role": "health_manager"}, token=admin)
    assert status == 201, invited
    temporary = invited["temporary_password"]
    assert invited["role"] == "health_manager" and invited["status"] == "active" and len(temporary) >= 10
    # the temporary password alone does not sign in
    status, err = staff_sign_in(api, "xiaoli@demo-dental", temporary)
    assert status == 409 and err["code"] == "new_password_required"
    status, err = api.post("/auth/staff/new-password", {"username": "xiaoli@demo-dental", "password": "wrong-one-1A",
                                                        "new_password": "Chosen-Pass-42"})
    assert status == 401 and err["code"] == "invalid_credentials"
    status, err = api.post("/auth/staff/new-password", {"username": "xiaoli@demo-dental", "password": temporary,
                                                        "new_password": "short"})
    assert status == 400
    status, session = api.post("/auth/staff/new-password", {"username": "xiaoli@demo-dental", "password": temporary,
                                                            "new_password": "Chosen-Pass-42"})
    assert status == 200 and session["roles"] == ["health_manager"], session
    assert api.get("/followups/due", token=session["id_token"])[0] == 200
    status, again = staff_sign_in(api, "xiaoli@demo-dental", "Chosen-Pass-42")
    assert status == 200, again
    listed = api.get("/staff", token=admin)[1]["items"]
    row = next(r for r in listed if r["username"] == "xiaoli@demo-dental")
    assert row["role"] == "health_manager" and row["updated_by"] == "admin@demo-dental"
    assert "temporary_password" not in row
    # the same username twice is refused
    status, err = api.post("/staff", {"username": "xiaoli@demo-dental", "role": "front_desk"}, token=admin)
    assert status == 409 and err["code"] == "username_taken"
    # the invitation is in the audit trail, with who made it and the role given
    status, trail = api.get("/audit", token=admin)
    assert status == 200, trail
    invites = [e for e in trail["items"] if e["action"] == "staff_invite"]
    assert [(e["actor"], e["detail"]) for e in invites] == [
        ("admin@demo-dental", {"username": "xiaoli@demo-dental", "role": "health_manager"})], invites
    # the first sign-in, through the new password, is a sign-in like any other
    assert [e["actor_role"] for e in trail["items"] if e["action"] == "sign_in" and e["actor"] == "xiaoli@demo-dental"] \
        == ["health_manager", "health_manager"]


def test_a_role_change_and_a_disable_end_the_colleagues_sessions(api, clinics, staff_token):
    admin = staff_token("demo-dental", "admin")
    desk = staff_token("demo-dental", "front_desk")
    assert api.get("/patients", token=desk)[0] == 200
    status, changed = api.put("/staff/front_desk@demo-dental/role", {"role": "analyst"}, token=admin)
    assert status == 200 and changed["role"] == "analyst"
    status, err = api.get("/patients", token=desk)
    assert status == 401 and err["code"] in ("role_changed", "session_revoked")
    status, session = staff_sign_in(api, "front_desk@demo-dental", STAFF_PASSWORD)
    assert status == 200 and session["roles"] == ["analyst"]
    analyst = session["id_token"]
    assert api.get("/dashboard", token=analyst)[0] == 200
    assert api.get("/patients", token=analyst)[1]["code"] == "wrong_role"
    status, disabled = api.post("/staff/front_desk@demo-dental/disable", token=admin)
    assert status == 200 and disabled["status"] == "disabled"
    assert api.get("/dashboard", token=analyst)[0] == 401
    assert staff_sign_in(api, "front_desk@demo-dental", STAFF_PASSWORD)[0] == 401
    status, enabled = api.post("/staff/front_desk@demo-dental/enable", token=admin)
    assert status == 200 and enabled["status"] == "active"
    assert staff_sign_in(api, "front_desk@demo-dental", STAFF_PASSWORD)[0] == 200


def test_nobody_locks_the_clinic_out_or_reaches_another_clinics_staff(api, clinics, staff_token):
    admin = staff_token("demo-dental", "admin")
    status, err = api.put("/staff/admin@demo-dental/role", {"role": "front_desk"}, token=admin)
    assert status == 409 and err["code"] == "own_account"
    status, err = api.post("/staff/admin@demo-dental/disable", token=admin)
    assert status == 409 and err["code"] == "own_account"
    # a second admin cannot demote the clinic's last other admin either once it is the only one
    status, invited = api.post("/staff", {"username": "boss2@demo-dental", "role": "admin"}, token=admin)
    assert status == 201
    session = api.post("/auth/staff/new-password", {"username": "boss2@demo-dental",
                                                    "password": invited["temporary_password"],
                                                    "new_password": "Second-Boss-77"})[1]
    assert api.post("/staff/admin@demo-dental/disable", token=session["id_token"])[0] == 200
    status, err = api.put("/staff/boss2@demo-dental/role", {"role": "analyst"}, token=session["id_token"])
    assert status == 409 and err["code"] == "own_account"
    # another clinic's account is not found; an unknown role is refused
    status, err = api.post("/staff/admin@other-clinic/disable", token=session["id_token"])
    assert status == 404 and err["code"] == "account_not_found"
    status, err = api.put("/staff/health_manager@demo-dental/role", {"role": "operator"}, token=session["id_token"])
    assert status == 400
    listed = {r["username"] for r in api.get("/staff", token=session["id_token"])[1]["items"]}
    assert "admin@other-clinic" not in listed and "operator@platform" not in listed
    assert {"front_desk@demo-dental", "health_manager@demo-dental", "analyst@demo-dental"} <= listed


def test_the_platform_operator_creates_a_clinic_with_its_first_admin(api, clinics, staff_token):
    operator = staff_token("platform", "operator")
    status, created = api.post("/clinics", {"clinic_id": "west-eye", "name": "西城眼科", "tz": "Asia/Urumqi",
                                            "conditions": ["hypertension", "diabetes"],
                                            "admin_username": "boss@west-eye"}, token=operator)
    assert status == 201, created
    assert created["clinic"] == {"clinic_id": "west-eye", "name": "西城眼科"}
    session = api.post("/auth/staff/new-password", {"username": "boss@west-eye",
                                                    "password": created["admin"]["temporary_password"],
                                                    "new_password": "West-Eye-Boss-1"})[1]
    status, clinic = api.get("/clinic", token=session["id_token"])
    assert status == 200 and clinic["name"] == "西城眼科" and clinic["tz"] == "Asia/Urumqi"
    ids = [c["clinic_id"] for c in api.get("/clinics", token=operator)[1]["items"]]
    assert {"demo-dental", "other-clinic", "west-eye"} <= set(ids) and "platform" not in ids
    # the operator reads no clinic's data, and clinic ids are checked
    assert api.get("/patients", token=operator)[1]["code"] == "wrong_role"
    for body, code in (({"clinic_id": "west-eye"}, "clinic_exists"), ({"clinic_id": "platform"}, "invalid_clinic_id"),
                       ({"conditions": ["flu"]}, "unknown_condition"), ({"tz": "Mars/Base"}, "invalid_tz")):
        request = {"clinic_id": "east-eye", "name": "东城眼科", "conditions": ["diabetes"],
                   "admin_username": "boss@east-eye", **body}
        status, err = api.post("/clinics", request, token=operator)
        assert status in (400, 409) and err["code"] == code, (body, err)
    assert api.post("/clinics", {"clinic_id": "x-y", "name": "n", "conditions": ["diabetes"],
                                 "admin_username": "a@b"}, token=staff_token("demo-dental", "admin"))[0] == 403
