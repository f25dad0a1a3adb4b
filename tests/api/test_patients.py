"""Registering, encryption at rest, consent, export and erasure."""

from tests.conftest import patient_record, wx_code


def _raw_dump() -> str:
    from chalicelib.aws import client
    from chalicelib.config import settings

    pages = client("dynamodb").get_paginator("scan").paginate(TableName=settings().table_name)
    return str([page["Items"] for page in pages])


def test_name_and_phone_are_never_stored_in_clear(api, new_patient):
    import io
    import logging

    from chalicelib.observability import logger

    sink = io.StringIO()
    handler = logging.StreamHandler(sink)
    handler.setFormatter(logger.registered_formatter)
    logger.addHandler(handler)
    old_level = logger.log_level
    logger.setLevel("DEBUG")
    try:
        token, _ = new_patient(name="enc", phone="13912345678")
        api.get("/me/export", token=token)
    finally:
        logger.setLevel(old_level)
        logger.removeHandler(handler)
    dump = _raw_dump()
    assert "张小红" not in dump
    assert "13912345678" not in dump and "12345678" not in dump
    assert "张**" in dump  # the masked form is all a dump shows
    logs = sink.getvalue()
    assert "patient registered" in logs  # the logs were captured, and they hold no name or phone
    assert "13912345678" not in logs and "张小红" not in logs


def test_same_phone_cannot_register_twice_in_a_clinic(api, new_patient):
    new_patient(name="p1", phone="13700000001")
    status, login = api.post("/auth/wechat/login", {"clinic_id": "demo-dental", "code": wx_code("p2")})
    status, err = api.post("/me/register", patient_record(phone="+86 137-0000-0001"), token=login["access_token"])
    assert status == 409 and err["code"] == "phone_registered" and err["field"] == "phone"
    # the failed attempt left nothing behind: the visitor can register with another phone
    status, _ = api.post("/me/register", patient_record(phone="13700000002"), token=login["access_token"])
    assert status == 201


def test_register_refuses_fields_a_client_may_not_set(api, clinics):
    status, login = api.post("/auth/wechat/login", {"clinic_id": "demo-dental", "code": wx_code("sneaky")})
    token = login["access_token"]
    status, err = api.post("/me/register", patient_record(balance=9999), token=token)
    assert status == 400 and err["code"] == "unknown_field" and err["field"] == "balance"
    status, err = api.post("/me/register", patient_record(clinic_id="other-clinic"), token=token)
    assert status == 400 and err["field"] == "clinic_id"
    status, err = api.post("/me/register", patient_record(phone="12ab"), token=token)
    assert status == 400 and err["field"] == "phone"
    status, err = api.post("/me/register", patient_record(conditions=["flu"]), token=token)
    assert status == 400 and err["code"] == "unknown_condition"
    status, err = api.post("/me/register", patient_record(consents={"spam": True}), token=token)
    assert status == 400 and err["field"] == "consents"
    status, err = api.call("POST", "/me/register", raw=b"{not json", token=token)
    assert status == 400 and err["code"] == "invalid_json"


def test_consent_update_withdraw_and_log(api, new_patient, staff_token):
    token, pid = new_patient(name="consent")
    status, data = api.put("/me/consents", {"consents": {"marketing": True}, "consent_version": "v1"}, token=token)
    assert status == 200 and data["consents"]["marketing"]["granted"] is True
    assert data["consents"]["marketing"]["version"] == "v1"
    status, data = api.post("/me/consents/withdraw", {}, token=token)
    assert status == 200
    assert all(state["granted"] is False for state in data["consents"].values())
    status, data = api.get("/me/consents", token=token)
    assert all(state["granted"] is False for state in data["consents"].values())
    status, detail = api.get(f"/patients/{pid}", token=staff_token())
    assert detail["consents"]["service"]["granted"] is False
    assert len(detail["consent_log"]) >= 3 + 1 + 3  # registration, the grant, the withdrawals
    status, err = api.put("/me/consents", {"consents": {}, "consent_version": "v1"}, token=token)
    assert status == 400
    # only a version whose texts are kept can be agreed to, and every kept version can be read again
    status, err = api.put("/me/consents", {"consents": {"marketing": True}, "consent_version": "v9"}, token=token)
    assert status == 400 and err["field"] == "consent_version", err
    for caller in (token, staff_token()):
        status, texts = api.get("/consent-texts/v1", token=caller)
        assert status == 200 and texts["version"] == "v1"
        assert {p["purpose"] for p in texts["purposes"]} == {"service", "marketing", "analytics"}
        assert all(p["text"] for p in texts["purposes"])
    status, err = api.get("/consent-texts/v9", token=token)
    assert status == 404 and err["code"] == "consent_version_not_found"


def test_export_contains_the_patients_data(api, new_patient):
    token, pid = new_patient(name="exporter")
    api.post("/me/checkins", {"type": "glucose", "value": 6.1, "client_time": "2026-11-20T09:00:00+08:00"}, token=token)
    status, data = api.get("/me/export", token=token)
    assert status == 200
    assert data["profile"]["name"] == "张小红" and data["profile"]["phone"] == "13800001111"
    assert data["records"]["checkin"][0]["value"] == 6.1
    assert "consentlog" in data["records"] and "ledger" in data["records"]


def test_erasure_removes_everything_and_frees_phone_and_wechat(api, new_patient, staff_token):
    token, pid = new_patient(name="leaver", phone="13600000009")
    status, data = api.delete("/me", token=token)
    assert status == 200 and data["erased"] is True and data["items_removed"] > 3
    status, err = api.get("/me", token=token)
    assert status == 401 and err["code"] == "session_revoked"
    assert api.get(f"/patients/{pid}", token=staff_token())[0] == 404
    # nothing of the patient is left but the audit trail's events about them (the erasure itself),
    # which keep the bare id and never a name or number (docs/audit.md)
    from chalicelib.aws import client
    from chalicelib.config import settings

    items = [item for page in client("dynamodb").get_paginator("scan").paginate(TableName=settings().table_name)
             for item in page["Items"]]
    left = [item for item in items if pid in str(item)]
    assert left and all("#AUDIT#" in item["pk"]["S"] for item in left)
    assert {item["action"]["S"] for item in left} == {"erase"}
    assert not any(text in str(left) for text in ("张小红", "13600000009"))
    status, login = api.post("/auth/wechat/login", {"clinic_id": "demo-dental", "code": wx_code("leaver")})
    assert login["registered"] is False
    status, _ = api.post("/me/register", patient_record(phone="13600000009"), token=login["access_token"])
    assert status == 201


def test_staff_register_list_and_detail(api, staff_token, new_patient):
    token = staff_token()
    status, data = api.post("/patients", patient_record(name="王大明", phone="13500000000", sex="M"), token=token)
    assert status == 201 and data["patient"]["phone_masked"] == "135****0000"
    for i in range(4):
        new_patient(name=f"lister{i}", phone=f"1340000000{i}")
    status, page1 = api.get("/patients?limit=3", token=token)
    assert status == 200 and len(page1["items"]) == 3 and page1["next_cursor"]
    assert all("*" in row["name_masked"] for row in page1["items"])
    status, page2 = api.get(f"/patients?limit=3&cursor={page1['next_cursor']}", token=token)
    ids = [r["patient_id"] for r in page1["items"] + page2["items"]]
    assert len(ids) == len(set(ids)) == 5
    assert page2["next_cursor"] is None
    status, err = api.get("/patients?limit=3&cursor=forged.cursor", token=token)
    assert status == 400 and err["code"] == "invalid_cursor"
    status, err = api.get("/patients?limit=1000", token=token)
    assert status == 400 and err["field"] == "limit"


def test_staff_of_another_clinic_cannot_see_a_patient(api, staff_token, new_patient):
    _, pid = new_patient(name="private")
    other = staff_token("other-clinic")
    assert api.get(f"/patients/{pid}", token=other)[0] == 404
    assert pid not in str(api.get("/patients", token=other)[1])
    status, page = api.get("/patients?limit=1", token=staff_token())
    # a cursor of one clinic is refused in another
    api.post("/patients", patient_record(phone="13100000000"), token=staff_token())
    status, page = api.get("/patients?limit=1", token=staff_token())
    status, err = api.get(f"/patients?limit=1&cursor={page['next_cursor']}", token=other)
    assert status == 400 and err["code"] == "invalid_cursor"
