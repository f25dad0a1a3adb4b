"""The patient's own profile from the mini-program: PUT /me (nickname, birth year, district)."""

import json

from tests.api.test_delivery_privacy import strings, table_items

NICK = "小红豆豆"


def test_a_patient_changes_nickname_birth_year_and_district(api, new_patient):
    token, _ = new_patient()
    status, data = api.put("/me", {"nickname": NICK, "birth_year": 1990, "district": "海淀"}, token=token)
    assert status == 200, data
    assert data["patient"]["nickname"] == NICK
    assert data["patient"]["birth_year"] == 1990 and data["patient"]["district"] == "海淀"
    status, again = api.get("/me", token=token)
    assert again == data
    # a field left out keeps its value; null clears one
    status, data = api.put("/me", {"district": None}, token=token)
    assert status == 200 and data["patient"]["district"] is None and data["patient"]["nickname"] == NICK
    assert data["patient"]["birth_year"] == 1990


def test_the_nickname_is_neither_in_clear_in_the_table_nor_in_logs(api, new_patient, capsys, caplog):
    token, _ = new_patient()
    assert api.put("/me", {"nickname": NICK}, token=token)[0] == 200
    found = [(item["sk"]["S"], path) for item in table_items() for path, text in strings(item) if NICK in text]
    assert not found, found
    out = capsys.readouterr()
    assert NICK not in out.out + out.err + caplog.text


def test_bad_profile_edits_are_refused_with_a_code(api, new_patient):
    token, _ = new_patient()
    for body, code in (({"nickname": ""}, "invalid_input"), ({"nickname": "x" * 21}, "invalid_input"),
                       ({"birth_year": 1800}, "invalid_input"), ({"phone": "13800001111"}, "unknown_field"),
                       ({"balance": 100}, "unknown_field")):
        status, err = api.put("/me", body, token=token)
        assert status == 400 and err["code"] == code, (body, status, err)


def test_staff_cannot_edit_a_patients_own_profile(api, new_patient, staff_token):
    status, err = api.put("/me", {"nickname": NICK}, token=staff_token())
    assert status == 403 and err["code"] == "wrong_role"
    assert json.dumps(err)


def _record(**overrides):
    from tests.conftest import patient_record

    record = patient_record(**overrides)
    if "phone_code" in overrides and "phone" not in overrides:
        record.pop("phone")
    return record


def test_registration_with_a_wechat_phone_code_records_a_verified_phone(api):
    from tests.conftest import visitor_login

    token = visitor_login(api, name="phoneuser")
    status, data = api.post("/me/register", _record(phone_code="phone-13912345678"), token=token)
    assert status == 201, data
    assert data["patient"]["phone"] == "13912345678" and data["patient"]["phone_verified"] is True
    status, me = api.get("/me", token=data["access_token"])
    assert me["patient"]["phone_verified"] is True


def test_a_typed_phone_is_not_verified(api, new_patient):
    token, _ = new_patient()
    assert api.get("/me", token=token)[1]["patient"]["phone_verified"] is False


def test_phone_and_phone_code_exactly_one(api):
    from tests.conftest import visitor_login

    token = visitor_login(api, name="phoneuser2")
    both = _record(phone_code="phone-13912345679")
    both["phone"] = "13912345679"
    neither = _record()
    neither.pop("phone")
    for body in (both, neither):
        status, err = api.post("/me/register", body, token=token)
        assert status == 400 and err["code"] == "invalid_input", err


def test_an_unknown_or_used_phone_code_is_refused(api):
    from tests.conftest import visitor_login

    token = visitor_login(api, name="phoneuser3")
    status, err = api.post("/me/register", _record(phone_code="not-a-phone-code"), token=token)
    assert status == 400 and err["code"] == "invalid_phone_code" and err["field"] == "phone_code"
    assert api.post("/me/register", _record(phone_code="phone-13912340000"), token=token)[0] == 201
    again = visitor_login(api, name="phoneuser4")
    status, err = api.post("/me/register", _record(phone_code="phone-13912340000"), token=again)
    assert status == 400 and err["code"] == "invalid_phone_code"
