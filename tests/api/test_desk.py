"""The front desk: finding a patient by phone, hospital number or full name, codes sent to their
desk, the hospital number, and 扫码绑定 (a desk-registered patient links WeChat by a one-time code)."""

from datetime import timedelta

from tests.conftest import T0, patient_record, visitor_login


def _desk_register(api, token, key, **overrides):
    status, data = api.post("/patients", patient_record(**overrides), token=token, headers={"Idempotency-Key": key})
    assert status == 201, data
    return data["patient"]


def _raw_dump(replays: bool = False) -> str:
    """Every item of the table as stored, the stored answers of Idempotency-Keys included (POST
    /patients answers the name in clear; the replay store keeps it sealed)."""
    from chalicelib.aws import client
    from chalicelib.config import settings

    pages = client("dynamodb").get_paginator("scan").paginate(TableName=settings().table_name)
    dump = str([page["Items"] for page in pages])
    assert not replays or "IDEM#" in dump  # the registrations' stored answers are in the dump searched
    return dump


def test_the_desk_finds_a_patient_by_phone_hospital_number_and_full_name(api, staff_token):
    clerk = staff_token("demo-dental", "front_desk")
    first = _desk_register(api, clerk, "k1", name="王建国", phone="13800002001", hospital_no="zy-2024 0117")
    second = _desk_register(api, clerk, "k2", name="王建国", phone="13800002002", birth_year=1950)
    assert first["hospital_no"] == "ZY20240117" and first["wechat_linked"] is False
    assert second["hospital_no"] is None

    status, found = api.get("/patients/search?q=138-0000-2001", token=clerk)
    assert status == 200, found
    assert found["kind"] == "patients" and found["code"] is None and found["more"] is False
    assert [(r["patient_id"], r["matched_by"]) for r in found["items"]] == [(first["patient_id"], "phone")]
    row = found["items"][0]
    assert row["name_masked"] == "王**" and row["phone_masked"] == "138****2001"
    assert row["hospital_no_masked"] == "******0117" and row["wechat_linked"] is False

    status, found = api.get("/patients/search?q=%2B86%2013800002002", token=clerk)  # "+86 13800002002"
    assert [r["patient_id"] for r in found["items"]] == [second["patient_id"]]

    # a full name, typed with or without the space: both patients of that name, masked
    for typed in ("王建国", "%E7%8E%8B%20%E5%BB%BA%E5%9B%BD"):
        status, found = api.get(f"/patients/search?q={typed}", token=clerk)
        assert status == 200, found
        assert sorted(r["patient_id"] for r in found["items"]) == sorted([first["patient_id"], second["patient_id"]])
        assert {r["matched_by"] for r in found["items"]} == {"name"}
        assert {r["birth_year"] for r in found["items"]} == {1988, 1950}

    # the hospital number in any case, with or without its dash
    status, found = api.get("/patients/search?q=ZY20240117", token=clerk)
    assert [(r["patient_id"], r["matched_by"]) for r in found["items"]] == [(first["patient_id"], "hospital_no")]
    status, found = api.get("/patients/search?q=zy-20240117", token=clerk)
    assert [r["patient_id"] for r in found["items"]] == [first["patient_id"]]

    # part of a name, an unknown phone, another clinic: nothing
    for typed in ("王", "13800009999", "王建"):
        status, found = api.get(f"/patients/search?q={typed}", token=clerk)
        assert status == 200 and found["items"] == [], (typed, found)
    status, found = api.get("/patients/search?q=王建国", token=staff_token("other-clinic", "admin"))
    assert status == 200 and found["items"] == []

    status, err = api.get("/patients/search?q=", token=clerk)
    assert status == 400 and err["field"] == "q"


def test_names_and_hospital_numbers_are_never_stored_or_logged_in_clear(api, staff_token):
    import io
    import logging

    from chalicelib.observability import logger

    sink = io.StringIO()
    handler = logging.StreamHandler(sink)
    handler.setFormatter(logger.registered_formatter)
    logger.addHandler(handler)
    old_level = logger.log_level
    logger.setLevel("DEBUG")
    clerk = staff_token("demo-dental", "front_desk")
    try:
        _desk_register(api, clerk, "k1", name="欧阳明月", phone="13800002101", hospital_no="MZ778899")
        assert len(api.get("/patients/search?q=欧阳明月", token=clerk)[1]["items"]) == 1
        assert len(api.get("/patients/search?q=MZ778899", token=clerk)[1]["items"]) == 1
    finally:
        logger.setLevel(old_level)
        logger.removeHandler(handler)
    dump = _raw_dump(replays=True)
    assert "欧阳明月" not in dump and "MZ778899" not in dump and "778899" not in dump
    logs = sink.getvalue()
    assert "desk search" in logs  # captured, and neither the text nor what it found in clear
    assert "欧阳明月" not in logs and "MZ778899" not in logs and "13800002101" not in logs


def test_a_voucher_or_redemption_code_sends_the_clerk_to_its_desk(api, new_patient, staff_token):
    from chalicelib.store import keys
    from chalicelib.store.challenges import CODE_SK
    from chalicelib.store.models import VoucherCodeItem, bind

    clerk = staff_token("demo-dental", "front_desk")
    token, pid = new_patient(name="rich", phone="13800002201")
    assert api.post(f"/patients/{pid}/points/adjustments", {"points": 200, "reason": "活动奖励"},
                    token=clerk)[0] == 201
    code = api.post("/me/redemptions", {"reward_id": "teeth-cleaning"}, token=token)[1]["redemption"]["code"]
    status, found = api.get(f"/patients/search?q={code.lower()}", token=clerk)
    assert status == 200, found
    assert found == {"kind": "redemption", "code": code, "items": [], "more": False}

    bind()
    VoucherCodeItem(keys.voucher_code_pk("demo-dental", "HJKM2345"), CODE_SK, patient_id=pid, voucher_id="v1").save()
    status, found = api.get("/patients/search?q=HJKM-2345", token=clerk)
    assert found["kind"] == "voucher" and found["code"] == "HJKM-2345"
    # another clinic's desk does not know either code
    status, found = api.get("/patients/search?q=HJKM2345", token=staff_token("other-clinic", "admin"))
    assert found["kind"] == "patients" and found["items"] == []
    # a code-shaped text that is no code is tried as a hospital number
    _desk_register(api, clerk, "k9", name="赵六", phone="13800002202", hospital_no="ABCD2345")
    status, found = api.get("/patients/search?q=ABCD2345", token=clerk)
    assert found["kind"] == "patients" and [r["matched_by"] for r in found["items"]] == ["hospital_no"]


def test_staff_set_change_and_remove_a_hospital_number_which_stays_unique(api, staff_token):
    clerk = staff_token("demo-dental", "front_desk")
    one = _desk_register(api, clerk, "k1", name="甲", phone="13800002301", hospital_no="A100")
    two = _desk_register(api, clerk, "k2", name="乙", phone="13800002302")

    status, err = api.post("/patients", patient_record(name="丙", phone="13800002303", hospital_no="a-100"),
                           token=clerk, headers={"Idempotency-Key": "k3"})
    assert status == 409 and err["code"] == "hospital_no_taken" and err["field"] == "hospital_no"
    status, err = api.put(f"/patients/{two['patient_id']}/hospital-no", {"hospital_no": "A100"}, token=clerk)
    assert status == 409 and err["code"] == "hospital_no_taken"
    status, err = api.put(f"/patients/{two['patient_id']}/hospital-no", {"hospital_no": "###"}, token=clerk)
    assert status == 400 and err["code"] == "invalid_hospital_no"

    status, moved = api.put(f"/patients/{one['patient_id']}/hospital-no", {"hospital_no": "B200"}, token=clerk)
    assert status == 200 and moved["patient"]["hospital_no"] == "B200", moved
    assert api.get("/patients/search?q=A100", token=clerk)[1]["items"] == []
    status, given = api.put(f"/patients/{two['patient_id']}/hospital-no", {"hospital_no": "A100"}, token=clerk)
    assert status == 200 and given["patient"]["hospital_no"] == "A100"
    assert [r["patient_id"] for r in api.get("/patients/search?q=a100", token=clerk)[1]["items"]] == [two["patient_id"]]
    status, detail = api.get(f"/patients/{one['patient_id']}", token=clerk)
    assert detail["patient"]["hospital_no"] == "B200"

    status, cleared = api.put(f"/patients/{one['patient_id']}/hospital-no", {"hospital_no": None}, token=clerk)
    assert status == 200 and cleared["patient"]["hospital_no"] is None
    assert api.get("/patients/search?q=B200", token=clerk)[1]["items"] == []
    status, err = api.put("/patients/nobody/hospital-no", {"hospital_no": "C1"}, token=clerk)
    assert status == 404 and err["code"] == "patient_not_found"


def test_an_erased_patient_is_no_longer_found_and_frees_the_hospital_number(api, new_patient, staff_token):
    clerk = staff_token("demo-dental", "front_desk")
    token, pid = new_patient(name="gone", full_name="钱七", phone="13800002401")
    assert api.put(f"/patients/{pid}/hospital-no", {"hospital_no": "Q7"}, token=clerk)[0] == 200
    assert len(api.get("/patients/search?q=钱七", token=clerk)[1]["items"]) == 1
    assert api.delete("/me", token=token)[0] == 200
    assert api.get("/patients/search?q=钱七", token=clerk)[1]["items"] == []
    assert api.get("/patients/search?q=Q7", token=clerk)[1]["items"] == []
    assert "#NAME#" not in _raw_dump() and "#HNO#" not in _raw_dump()


def test_the_registration_form_has_the_conditions_and_consent_texts(api, staff_token):
    status, form = api.get("/desk/registration-form", token=staff_token("demo-dental", "front_desk"))
    assert status == 200, form
    assert form["consent"]["version"] and {p["purpose"] for p in form["consent"]["purposes"]} >= {"service"}
    assert {c["condition"] for c in form["conditions"]} >= {"eczema"} and "dermatology" in form["departments"]


# -- 扫码绑定 ----------------------------------------------------------------------------------------

def _bind_code(api, clerk, pid, key="b1"):
    status, made = api.post(f"/patients/{pid}/bind-codes", token=clerk, headers={"Idempotency-Key": key})
    assert status == 201, made
    return made


def test_a_desk_registered_patient_links_wechat_with_the_code_once(api, staff_token):
    clerk = staff_token("demo-dental", "front_desk")
    patient = _desk_register(api, clerk, "k1", name="孙八", phone="13800002501")
    made = _bind_code(api, clerk, patient["patient_id"])
    assert made["code"].startswith("demo-dental.") and made["path"] == f"packages/bind/index?code={made['code']}"
    assert made["expires_at"] == (T0 + timedelta(minutes=10)).isoformat().replace("+00:00", "Z") or made["expires_at"]
    assert made["code"] not in _raw_dump()  # only its keyed hash is stored

    visitor = visitor_login(api, name="sunba")
    status, bound = api.post("/me/bind", {"code": made["code"]}, token=visitor)
    assert status == 200, bound
    assert bound["registered"] is True and bound["patient_id"] == patient["patient_id"]
    assert bound["patient"]["name"] == "孙八" and bound["patient"]["phone"] == "13800002501"
    status, me = api.get("/me", token=bound["access_token"])
    assert status == 200 and me["patient"]["patient_id"] == patient["patient_id"]
    detail = api.get(f"/patients/{patient['patient_id']}", token=clerk)[1]
    assert detail["patient"]["wechat_linked"] is True

    # the next WeChat login of that account opens the patient's session
    from tests.conftest import wx_code

    status, login = api.post("/auth/wechat/login", {"clinic_id": "demo-dental", "code": wx_code("sunba")})
    assert status == 200 and login["registered"] is True and login["patient_id"] == patient["patient_id"]

    # used once: a second visitor is refused, and the linked patient gets no new code
    status, err = api.post("/me/bind", {"code": made["code"]}, token=visitor_login(api, name="other"))
    assert status == 409 and err["code"] == "bind_code_used"
    status, err = api.post(f"/patients/{patient['patient_id']}/bind-codes", token=clerk,
                           headers={"Idempotency-Key": "b2"})
    assert status == 409 and err["code"] == "patient_already_linked"


def test_an_expired_code_is_refused(api, staff_token, clock):
    clerk = staff_token("demo-dental", "front_desk")
    patient = _desk_register(api, clerk, "k1", name="周九", phone="13800002601")
    made = _bind_code(api, clerk, patient["patient_id"])
    clock.set(T0 + timedelta(minutes=10, seconds=1))
    visitor = visitor_login(api, name="zhoujiu")
    status, err = api.post("/me/bind", {"code": made["code"]}, token=visitor)
    assert status == 410 and err["code"] == "bind_code_expired", err
    fresh = _bind_code(api, clerk, patient["patient_id"], key="b2")  # a new code works
    clock.set(T0 + timedelta(minutes=19))
    status, bound = api.post("/me/bind", {"code": fresh["code"]}, token=visitor)
    assert status == 200, bound


def test_codes_of_another_clinic_and_unknown_codes_are_refused(api, staff_token):
    clerk = staff_token("demo-dental", "front_desk")
    patient = _desk_register(api, clerk, "k1", name="吴十", phone="13800002701")
    made = _bind_code(api, clerk, patient["patient_id"])
    status, err = api.post("/me/bind", {"code": made["code"]}, token=visitor_login(api, "other-clinic", "wu"))
    assert status == 403 and err["code"] == "bind_code_other_clinic"
    visitor = visitor_login(api, name="wu")
    forged = made["code"][:-4] + ("AAAA" if not made["code"].endswith("AAAA") else "BBBB")
    for code in (forged, "not-a-code", "other-clinic." + made["code"].split(".", 1)[1]):
        status, err = api.post("/me/bind", {"code": code}, token=visitor)
        assert status in (403, 404), (code, status, err)
    status, err = api.post("/me/bind", {"code": forged}, token=visitor)
    assert status == 404 and err["code"] == "bind_code_unknown"
    status, err = api.post("/patients/nobody/bind-codes", token=clerk, headers={"Idempotency-Key": "x"})
    assert status == 404 and err["code"] == "patient_not_found"
    status, err = api.post(f"/patients/{patient['patient_id']}/bind-codes", token=staff_token("other-clinic", "admin"),
                           headers={"Idempotency-Key": "y"})
    assert status == 404 and err["code"] == "patient_not_found"
    # the code still works at its own clinic
    assert api.post("/me/bind", {"code": made["code"]}, token=visitor)[0] == 200


def test_a_wechat_account_with_a_record_or_a_linked_patient_cannot_bind(api, new_patient, staff_token):
    clerk = staff_token("demo-dental", "front_desk")
    _, own_pid = new_patient(name="hasrecord", phone="13800002801")  # registered in the mini-program
    status, err = api.post(f"/patients/{own_pid}/bind-codes", token=clerk, headers={"Idempotency-Key": "a"})
    assert status == 409 and err["code"] == "patient_already_linked"

    desk_patient = _desk_register(api, clerk, "k1", name="郑一", phone="13800002802")
    made = _bind_code(api, clerk, desk_patient["patient_id"])
    # a WeChat account that has its own record: its visitor token is gone, its patient token is the wrong role
    from tests.conftest import wx_code

    login = api.post("/auth/wechat/login", {"clinic_id": "demo-dental", "code": wx_code("hasrecord")})[1]
    status, err = api.post("/me/bind", {"code": made["code"]}, token=login["access_token"])
    assert status == 403 and err["code"] == "wrong_role"
    # two codes for one patient: the first binding wins, the second is refused
    second = _bind_code(api, clerk, desk_patient["patient_id"], key="b2")
    assert api.post("/me/bind", {"code": made["code"]}, token=visitor_login(api, name="zheng"))[0] == 200
    status, err = api.post("/me/bind", {"code": second["code"]}, token=visitor_login(api, name="zheng2"))
    assert status == 409 and err["code"] == "patient_already_linked"


def test_only_the_desk_makes_codes_and_only_a_visitor_binds(api, new_patient, staff_token):
    clerk = staff_token("demo-dental", "front_desk")
    patient = _desk_register(api, clerk, "k1", name="冯二", phone="13800002901")
    token, _ = new_patient(name="someone", phone="13800002902")
    status, err = api.post(f"/patients/{patient['patient_id']}/bind-codes", token=token)
    assert status == 403 and err["code"] == "wrong_role"
    status, err = api.post(f"/patients/{patient['patient_id']}/bind-codes", token=visitor_login(api, name="v"))
    assert status == 403 and err["code"] == "wrong_role"
    made = _bind_code(api, clerk, patient["patient_id"])
    status, err = api.post("/me/bind", {"code": made["code"]}, token=clerk)
    assert status == 403 and err["code"] == "wrong_role"
    status, err = api.post("/me/bind", {"code": made["code"]}, token=token)
    assert status == 403 and err["code"] == "wrong_role"
    status, err = api.get("/patients/search?q=冯二", token=token)
    assert status == 403 and err["code"] == "wrong_role"


def test_the_backfill_gives_records_made_before_name_lookups_theirs_once(api, staff_token):
    from chalicelib.jobs.lookups import backfill_names
    from chalicelib.store import keys
    from chalicelib.store.models import NameLookupItem, PatientItem, bind

    clerk = staff_token("demo-dental", "front_desk")
    old = [_desk_register(api, clerk, f"k{i}", name=f"老患者{i}", phone=f"1380000300{i}") for i in range(3)]
    bind()
    for p in old[:2]:  # as a record made before name lookups existed: no hash, no entry
        item = PatientItem.get(keys.patient_pk("demo-dental", p["patient_id"]), keys.PROFILE_SK)
        NameLookupItem(keys.name_lookup_pk("demo-dental", item.name_hash), p["patient_id"]).delete()
        item.update(actions=[PatientItem.name_hash.remove()])
    assert api.get("/patients/search?q=老患者0", token=clerk)[1]["items"] == []

    seen = []
    totals = backfill_names(["demo-dental"], limit=2, progress=lambda c, cursor, n: seen.append((cursor, n)))
    assert totals == {"clinics": 1, "given": 2}
    assert len(seen) >= 2 and seen[-1][0] is None  # page by page, to the end
    for i, p in enumerate(old):
        found = api.get(f"/patients/search?q=老患者{i}", token=clerk)[1]["items"]
        assert [r["patient_id"] for r in found] == [p["patient_id"]]
    assert backfill_names(["demo-dental"])["given"] == 0  # a rerun writes nothing
    # resumed at a cursor: the pages before it are not read again
    first_cursor = seen[0][0]
    assert backfill_names(start=("demo-dental", first_cursor), limit=2)["given"] == 0


def test_a_hospital_number_that_looks_like_a_mobile_is_found_when_no_phone_matches(api, staff_token):
    clerk = staff_token("demo-dental", "front_desk")
    patient = _desk_register(api, clerk, "k1", name="陈一", phone="13800003101", hospital_no="15500001234")
    status, found = api.get("/patients/search?q=15500001234", token=clerk)
    assert [(r["patient_id"], r["matched_by"]) for r in found["items"]] == [(patient["patient_id"], "hospital_no")]
    status, found = api.get("/patients/search?q=13800003101", token=clerk)
    assert [r["matched_by"] for r in found["items"]] == ["phone"]


def test_a_code_whose_patient_was_erased_leads_nowhere(api, staff_token):
    clerk = staff_token("demo-dental", "front_desk")
    patient = _desk_register(api, clerk, "k1", name="林二", phone="13800003201")
    made = _bind_code(api, clerk, patient["patient_id"])
    from chalicelib.services import patients
    from chalicelib.store import patients as store

    patients.erase(store.get("demo-dental", patient["patient_id"]))
    status, err = api.post("/me/bind", {"code": made["code"]}, token=visitor_login(api, name="lin"))
    assert status == 404 and err["code"] == "bind_code_unknown"
