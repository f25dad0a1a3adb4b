"""Segments through the API: rules, incremental membership, flips by time, resumable builds, export."""

from datetime import timedelta

import pytest

from tests.conftest import T0, patient_record, wx_code

THREE_IN_7 = {"segment_id": "active-3-in-7", "name": "7天打卡3次", "rule": {"field": "checkins", "days": 7, "gte": 3}}


def login(api, name: str, clinic_id: str = "demo-dental") -> str:
    status, data = api.post("/auth/wechat/login", {"clinic_id": clinic_id, "code": wx_code(name)})
    assert status == 200 and data["registered"], data
    return data["access_token"]


def checkin(api, token, clock):
    from chalicelib.domain.clock import iso

    status, data = api.post("/me/checkins", {"type": "glucose", "value": 5.5, "client_time": iso(clock.now())},
                            token=token)
    assert status == 201, data
    return data


def build_now(clock):
    """Run the build job once the definitions cache window has passed."""
    from tests.test_helpers import build_segments

    clock.advance(seconds=61)
    return build_segments()


def register(clinic_id: str, n: int, **overrides) -> str:
    from chalicelib.api.models import PatientRecord
    from chalicelib.services.patients import register as service_register

    record = PatientRecord.model_validate(patient_record(phone=f"1390000{n:04d}", **overrides))
    return service_register(clinic_id, record).patient_id


def segment_ids(api, token, patient_id):
    status, data = api.get(f"/patients/{patient_id}/segments", token=token)
    assert status == 200, data
    return {s["segment_id"] for s in data["segments"]}


def test_new_clinic_has_the_default_segments_and_sees_only_its_own(api, staff_token):
    admin = staff_token()
    status, data = api.get("/segments", token=admin)
    assert status == 200
    ids = {s["segment_id"]: s for s in data["items"]}
    assert set(ids) == {"silent-180", "postpartum-anxious", "postpartum-knowledge", "postpartum-social"}
    assert all(s["status"] == "ready" and s["members"] == 0 for s in ids.values())
    assert ids["silent-180"]["rule"] == {"field": "silent_days", "gt": 180} and ids["silent-180"]["time_relative"]
    assert ids["postpartum-anxious"]["content_path"]["steps"][0]["kind"] == "audio"

    status, made = api.post("/segments", THREE_IN_7, token=admin)
    assert status == 201 and made["segment"]["status"] == "building"
    other = staff_token("other-clinic", "admin")
    assert THREE_IN_7["segment_id"] not in {s["segment_id"] for s in api.get("/segments", token=other)[1]["items"]}
    for path in ("/segments/active-3-in-7", "/segments/active-3-in-7/members", "/segments/active-3-in-7/export"):
        status, err = api.get(path, token=other)
        assert status == 404 and err["code"] == "segment_not_found", path
    status, err = api.put("/segments/active-3-in-7", {**THREE_IN_7, "segment_id": None} | {"name": "x"}, token=other)
    assert status in (400, 404)
    status, err = api.delete("/segments/active-3-in-7", token=other)
    assert status == 404
    # the older condition list keeps its route
    status, lapsed = api.get("/segments/lapsed?condition=eczema&days=30", token=admin)
    assert status == 200 and "cutoff" in lapsed


def test_wrong_callers(api, staff_token, new_patient):
    token, _ = new_patient(name="wrongseg")
    staff = staff_token("demo-dental", "front_desk")
    assert api.get("/segments", token=token)[1]["code"] == "wrong_role"
    assert api.get("/segments/silent-180/members", token=token)[1]["code"] == "wrong_role"
    for method, path in (("POST", "/segments"), ("PUT", "/segments/silent-180"), ("DELETE", "/segments/silent-180")):
        status, err = api.call(method, path, body=THREE_IN_7, token=staff)
        assert status == 403 and err["code"] == "wrong_role", (method, path)
    assert api.get("/segments/silent-180", token=staff)[0] == 200


@pytest.mark.parametrize("rule,code,field", [
    ({"all": [{"any": [{"all": [{"any": [{"field": "silent_days", "gt": 1}]}]}]}]}, "rule_too_deep",
     "rule.all.0.any.0.all.0"),
    ({"field": "persona", "in": ["grumpy"]}, "unknown_value", "rule.in"),
    ({"field": "condition", "in": ["gout"]}, "unknown_value", "rule.in"),
    ({"field": "silent_days", "gt": 30, "lt": 10}, "invalid_range", "rule"),
    ({"field": "checkins", "gte": 3}, "checkin_window", "rule.days"),
    ({"field": "silent_days"}, "invalid_bounds", "rule"),
    ({"field": "risk_score", "gte": 2}, "invalid_bounds", "rule.gte"),
    ({"all": []}, "invalid_input", None),
    ({"field": "silent_days", "gt": "soon"}, "invalid_input", None),
    ({"field": "silent_days", "gt": 3, "sql": "drop"}, "unknown_field", None),
])
def test_rules_are_validated_with_codes(api, staff_token, rule, code, field):
    status, err = api.post("/segments", {"name": "x", "rule": rule}, token=staff_token())
    assert status == 400, err
    assert err["code"] == code
    if field:
        assert err["field"] == field
    assert len(api.get("/segments", token=staff_token())[1]["items"]) == 4  # nothing written


def test_reserved_and_duplicate_ids(api, staff_token):
    admin = staff_token()
    status, err = api.post("/segments", {**THREE_IN_7, "segment_id": "lapsed"}, token=admin)
    assert status == 400 and err["code"] == "reserved_id"
    assert api.post("/segments", THREE_IN_7, token=admin)[0] == 201
    status, err = api.post("/segments", THREE_IN_7, token=admin)
    assert status == 409 and err["code"] == "segment_exists"


def test_a_third_checkin_in_7_days_joins_in_the_same_request_in_one_write_call(api, staff_token, new_patient, clock):
    from chalicelib.store import db

    admin = staff_token()
    api.post("/segments", THREE_IN_7, token=admin)
    token, patient_id = new_patient(name="tri")
    build_now(clock)
    assert api.get("/segments/active-3-in-7", token=admin)[1]["segment"]["status"] == "ready"
    for day in range(2):
        checkin(api, token, clock)
        clock.advance(days=1)
        token = login(api, "tri")
    assert "active-3-in-7" not in segment_ids(api, admin, patient_id)

    writes = []

    def count(model=None, **kwargs):
        if model.name in ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"):
            writes.append(model.name)

    client = db.connection().client
    client.meta.events.register("before-call.dynamodb", count)
    try:
        checkin(api, token, clock)
    finally:
        client.meta.events.unregister("before-call.dynamodb", count)
    assert writes == ["TransactWriteItems"]
    assert "active-3-in-7" in segment_ids(api, admin, patient_id)
    status, page = api.get("/segments/active-3-in-7/members", token=admin)
    assert [m["patient_id"] for m in page["items"]] == [patient_id]
    assert page["items"][0]["name_masked"] == "张**" and "phone" not in str(page)
    assert api.get("/segments/active-3-in-7", token=admin)[1]["segment"]["members"] == 1

    # no new check-in: seven days after the first of the three it leaves the window, and the flip
    # job takes the patient out
    from tests.test_helpers import refresh_segments

    clock.advance(days=4)
    assert refresh_segments()["due"] == 0
    assert "active-3-in-7" in segment_ids(api, admin, patient_id)
    clock.advance(days=1)
    assert refresh_segments()["due"] == 1
    assert "active-3-in-7" not in segment_ids(api, admin, patient_id)
    assert api.get("/segments/active-3-in-7/members", token=admin)[1]["items"] == []


def test_silence_over_180_days_flips_by_the_due_index_and_a_checkin_ends_it(api, staff_token, new_patient, clock):
    from tests.test_helpers import refresh_segments

    admin = staff_token()
    _, patient_id = new_patient(name="quiet")
    status, data = api.get(f"/patients/{patient_id}/segments", token=admin)
    assert data["segments"] == [] and data["next_change_at"] == "2027-05-19T16:00:00Z"  # 00:00 on day 181, Shanghai

    clock.set(T0 + timedelta(days=180))
    assert refresh_segments()["due"] == 0
    assert "silent-180" not in segment_ids(api, admin, patient_id)
    clock.set(T0 + timedelta(days=180, hours=14, minutes=5))  # 00:05 on day 181 in Shanghai
    assert refresh_segments()["due"] == 1
    assert "silent-180" in segment_ids(api, admin, patient_id)
    assert api.get(f"/patients/{patient_id}/segments", token=admin)[1]["next_change_at"] is None
    assert refresh_segments()["due"] == 0  # nothing due any more: the index holds only what will flip

    checkin(api, login(api, "quiet"), clock)
    assert "silent-180" not in segment_ids(api, admin, patient_id)
    csv_status, _ = api.get("/segments/silent-180/export", token=admin)
    assert csv_status == 200


def test_resumable_build_killed_midway_gives_the_exact_membership(api, staff_token, clock, monkeypatch):
    from chalicelib.jobs import segments as jobs
    from chalicelib.store import segments as store

    admin = staff_token()
    ids = {}
    for n in range(7):
        tags = ["social"] if n % 2 == 0 else ["anxious"]
        ids[register("demo-dental", n, persona_tags=tags, district="朝阳" if n < 5 else "海淀")] = (tags, n)
        clock.advance(seconds=1)  # the patient list is in registration order: pages of two are (0, 1), (2, 3) ...
    expected = {pid for pid, (tags, n) in ids.items() if tags == ["social"] and n < 5}
    body = {"segment_id": "social-chaoyang", "name": "朝阳社交型",
            "rule": {"all": [{"field": "persona", "in": ["social"]}, {"field": "district", "in": ["朝阳"]}]}}
    assert api.post("/segments", body, token=admin)[0] == 201

    real = store.write_change
    calls = {"n": 0}

    def dies_on_the_second_write(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:  # patient 2, in the second page
            raise RuntimeError("killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(store, "write_change", dies_on_the_second_write)
    clock.advance(seconds=61)
    with pytest.raises(RuntimeError):
        jobs.build_clinic("demo-dental", page_size=2)
    status, seg = api.get("/segments/social-chaoyang", token=admin)
    progress = seg["segment"]["build"]
    assert seg["segment"]["status"] == "building" and progress["processed"] == 2 and progress["members_so_far"] == 1
    monkeypatch.setattr(store, "write_change", real)

    jobs.build_clinic("demo-dental", page_size=2, max_pages=1)  # one more page, then stop as if out of time
    mid = api.get("/segments/social-chaoyang", token=admin)[1]["segment"]
    assert mid["status"] == "building" and mid["build"]["processed"] == 4 and mid["build"]["members_so_far"] == 2
    jobs.build_clinic("demo-dental", page_size=2)
    done = api.get("/segments/social-chaoyang", token=admin)[1]["segment"]
    assert done["status"] == "ready" and done["build"]["processed"] == 7
    assert done["members"] == len(expected) == done["build"]["members_so_far"]
    listed = set()
    cursor = None
    while True:
        page = api.get("/segments/social-chaoyang/members?limit=2" + (f"&cursor={cursor}" if cursor else ""),
                       token=admin)[1]
        listed |= {m["patient_id"] for m in page["items"]}
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert listed == expected

    # export: CSV for Excel, masked names, no phones
    from chalice.test import Client  # noqa: F401  (the api fixture's client answers raw bodies)

    reply = api.client.http.get("/segments/social-chaoyang/export", headers={"Authorization": f"Bearer {admin}"})
    assert reply.status_code == 200 and reply.headers["Content-Type"].startswith("text/csv")
    text = reply.body.decode("utf-8")
    assert text.startswith("\ufeffpatient_id,name_masked,joined_on,segment\r\n")
    rows = text.strip().split("\r\n")[1:]
    assert {r.split(",")[0] for r in rows} == expected and all(",张**," in r for r in rows)
    assert "1390000" not in text and "张小红" not in text

    # an edit rebuilds; a delete hides it at once and the job takes the member items away
    body["rule"] = {"field": "persona", "in": ["anxious"]}
    edited = api.put("/segments/social-chaoyang", {k: v for k, v in body.items() if k != "segment_id"}, token=admin)
    assert edited[0] == 200 and edited[1]["segment"]["status"] == "building" and edited[1]["segment"]["version"] == 2
    build_now(clock)
    anxious = {pid for pid, (tags, _) in ids.items() if tags == ["anxious"]}
    assert api.get("/segments/social-chaoyang", token=admin)[1]["segment"]["members"] == len(anxious)
    assert api.delete("/segments/social-chaoyang", token=admin)[0] == 200
    assert api.get("/segments/social-chaoyang", token=admin)[0] == 404
    build_now(clock)
    from chalicelib.store import patients

    assert store.count_members("demo-dental", "social-chaoyang") == 0
    assert all("social-chaoyang" not in (patients.get("demo-dental", pid).segments or ()) for pid in ids)


def test_staff_edit_of_personas_moves_a_mother_between_persona_segments(api, staff_token, new_patient, clock):
    from chalicelib.services import segments as service
    from chalicelib.store import clinics
    from chalicelib.store import segments as store

    admin = staff_token("demo-dental", "front_desk")
    token, patient_id = new_patient(name="mum", conditions=["postpartum"], department="obstetrics",
                                    persona_tags=["anxious"])
    assert segment_ids(api, admin, patient_id) == {"postpartum-anxious"}
    status, data = api.put(f"/patients/{patient_id}/attributes", {"persona_tags": ["social", "knowledge_seeking"]},
                           token=admin)
    assert status == 200 and data["segments"] == ["postpartum-knowledge", "postpartum-social"]
    assert segment_ids(api, admin, patient_id) == {"postpartum-knowledge", "postpartum-social"}
    status, err = api.put(f"/patients/{patient_id}/attributes", {"persona_tags": ["grumpy"]}, token=admin)
    assert status == 400
    status, err = api.put("/patients/nobody/attributes", {"district": "朝阳"}, token=admin)
    assert status == 404

    # the content path's steps: health items carry the notice, added by the code
    clinic = clinics.get("demo-dental")
    anxious = store.get("demo-dental", "postpartum-anxious")
    step = service.compose_step(clinic, anxious, 0)
    assert step["body"].endswith("仅供参考，不构成医疗诊断") and step["link"].startswith("https://")
    # the name is filled in when the message is read or sent, never stored (docs/delivery.md)
    assert step["title"].startswith("{nickname}，")
    social = service.compose_step(clinic, store.get("demo-dental", "postpartum-social"), 0)
    assert "仅供参考" not in social["body"] and social["purpose"] == "marketing"
    plan = service.plan_first_step("demo-dental", anxious, patient_id, clock.now().date())
    assert plan["offset_days"] == 0 and plan["due_at"] == "2026-11-20T12:00:00Z"  # 20:00 in Shanghai


def test_content_path_definitions_are_validated(api, staff_token):
    admin = staff_token()
    path = {"cadence_days": 7, "steps": [{"kind": "audio", "title": "放松练习", "health": True}]}
    status, err = api.post("/segments", {"name": "x", "rule": {"field": "silent_days", "gt": 1},
                                         "content_path": path}, token=admin)
    assert status == 400 and err["code"] == "missing_url"
    path["steps"][0]["url"] = "https://content.example/a.mp3"
    path["steps"].append({"kind": "text", "title": "二", "offset_days": 0})
    path["steps"][0]["offset_days"] = 3
    status, err = api.post("/segments", {"name": "x", "rule": {"field": "silent_days", "gt": 1},
                                         "content_path": path}, token=admin)
    assert status == 400 and err["code"] == "invalid_content_path"
    path["steps"][1]["offset_days"] = 10
    status, data = api.post("/segments", {"name": "x", "rule": {"field": "silent_days", "gt": 1},
                                          "content_path": path}, token=admin)
    assert status == 201 and data["segment"]["content_path"]["steps"][1]["offset_days"] == 10
