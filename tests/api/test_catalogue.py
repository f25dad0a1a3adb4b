"""A clinic's catalogue: seeded with today's lists, edited by its admin, and read by every check
of a condition, department, persona, check-in type or exam flag."""

from datetime import timedelta

from tests.conftest import patient_record


def section(api, token, name):
    status, body = api.get("/clinic/catalogue", token=token)
    assert status == 200, body
    return body[name]


def with_entry(api, token, name, entry):
    return section(api, token, name) + [entry]


def test_a_new_clinic_has_todays_lists_with_chinese_labels(api, staff_token):
    staff = staff_token(role="front_desk")
    status, body = api.get("/clinic/catalogue", token=staff)
    assert status == 200, body
    labels = {row["code"]: row["label"] for row in body["conditions"]}
    assert labels["hypertension"] == "高血压" and labels["eczema"] == "湿疹"
    assert {row["code"] for row in body["personas"]} == {"anxious", "knowledge_seeking", "social"}
    bp = next(row for row in body["checkin_types"] if row["code"] == "blood_pressure")
    assert bp["input"] == "blood_pressure" and bp["unit"] == "mmHg"
    clinic = api.get("/clinic", token=staff)[1]
    assert clinic["catalogue"] == body  # the shell learns every label from its one read


def test_an_admin_adds_a_department_and_a_visit_may_name_it(api, staff_token, new_patient):
    admin = staff_token()
    _, patient_id = new_patient()
    visit = {"visit_date": "2026-02-28", "department": "ophthalmology"}
    status, body = api.post(f"/patients/{patient_id}/visits", visit, token=admin)
    assert status == 400 and body["code"] == "unknown_department"
    entries = with_entry(api, admin, "departments",
                         {"code": "ophthalmology", "label": "眼科", "label_en": "Ophthalmology"})
    status, body = api.put("/clinic/catalogue/departments", {"entries": entries}, token=admin)
    assert status == 200, body
    assert {"code": "ophthalmology", "label": "眼科", "label_en": "Ophthalmology", "active": True} in body["departments"]
    status, body = api.post(f"/patients/{patient_id}/visits", visit, token=admin)
    assert status == 201, body


def test_only_admins_edit_and_other_clinics_are_untouched(api, staff_token):
    entries = with_entry(api, staff_token(), "personas", {"code": "busy", "label": "忙碌型", "label_en": "Busy"})
    status, body = api.put("/clinic/catalogue/personas", {"entries": entries}, token=staff_token(role="front_desk"))
    assert status == 403
    assert api.put("/clinic/catalogue/personas", {"entries": entries}, token=staff_token())[0] == 200
    other = section(api, staff_token("other-clinic"), "personas")
    assert "busy" not in {row["code"] for row in other}


def test_an_entry_in_use_is_deactivated_not_removed_and_old_records_keep_it(api, staff_token, new_patient):
    admin = staff_token()
    _, patient_id = new_patient(persona_tags=["anxious"])
    entries = [row for row in section(api, admin, "personas") if row["code"] != "anxious"]
    status, body = api.put("/clinic/catalogue/personas", {"entries": entries}, token=admin)
    assert status == 400 and body["code"] == "catalogue_entry_removed"
    entries = [{**row, "active": row["code"] != "anxious"} for row in section(api, admin, "personas")]
    assert api.put("/clinic/catalogue/personas", {"entries": entries}, token=admin)[0] == 200
    status, body = api.put(f"/patients/{patient_id}/attributes", {"persona_tags": ["anxious"]}, token=admin)
    assert status == 400 and body["code"] == "unknown_persona"  # no longer offered
    status, patient = api.get(f"/patients/{patient_id}", token=admin)
    assert status == 200 and patient["patient"]["persona_tags"] == ["anxious"]  # the old record is intact


def test_a_deactivated_condition_is_no_longer_offered_at_registration(api, staff_token):
    admin = staff_token()
    entries = [{**row, "active": row["code"] != "eczema"} for row in section(api, admin, "conditions")]
    assert api.put("/clinic/catalogue/conditions", {"entries": entries}, token=admin)[0] == 200
    assert "eczema" not in api.get("/clinic", token=admin)[1]["conditions"]
    status, body = api.post("/patients", patient_record(conditions=["eczema"]), token=admin)
    assert status == 400 and body["code"] == "unknown_condition"


def test_bad_edits_are_refused_with_the_field(api, staff_token):
    admin = staff_token()
    rows = section(api, admin, "conditions")
    twice = rows + [{"code": "asthma", "label": rows[0]["label"], "label_en": "Asthma"}]
    status, body = api.put("/clinic/catalogue/conditions", {"entries": twice}, token=admin)
    assert status == 400 and body["code"] == "duplicate_label"
    status, body = api.put("/clinic/catalogue/wards", {"entries": rows}, token=admin)
    assert status == 400 and body["code"] == "unknown_section"
    types = section(api, admin, "checkin_types")
    glucose_in_mg = [{**row, "unit": "mg/dL"} if row["code"] == "glucose" else row for row in types]
    status, body = api.put("/clinic/catalogue/checkin_types", {"entries": glucose_in_mg}, token=admin)
    assert status == 400 and body["code"] == "catalogue_built_in" and body["field"] == "entries.0.unit"
    upside_down = types + [{"code": "weight", "label": "体重", "label_en": "Weight", "unit": "kg", "low": 200,
                            "high": 20, "places": 1, "input": "number"}]
    status, body = api.put("/clinic/catalogue/checkin_types", {"entries": upside_down}, token=admin)
    assert status == 400 and body["code"] == "invalid_range"


def checkin(api, token, clock, **reading):
    body = {"client_time": (clock.now() - timedelta(minutes=1)).isoformat(), **reading}
    return api.post("/me/checkins", body, token=token)


def test_a_blood_pressure_reading_is_checked_against_the_clinics_range(api, staff_token, new_patient, clock):
    token, _ = new_patient()
    status, body = checkin(api, token, clock, type="blood_pressure", value=135, diastolic=85)
    assert status == 201, body
    assert body["checkin"]["value"] == 135 and body["checkin"]["diastolic"] == 85
    status, body = checkin(api, token, clock, type="blood_pressure", value=135)
    assert status == 400 and body["code"] == "invalid_reading" and body["field"] == "diastolic"
    status, body = checkin(api, token, clock, type="blood_pressure", value=300, diastolic=80)
    assert status == 400 and body["code"] == "invalid_reading" and body["field"] == "value"
    admin = staff_token()
    narrower = [{**row, "high": 200} if row["code"] == "blood_pressure" else row
                for row in section(api, admin, "checkin_types")]
    assert api.put("/clinic/catalogue/checkin_types", {"entries": narrower}, token=admin)[0] == 200
    status, body = checkin(api, token, clock, type="blood_pressure", value=210, diastolic=90)
    assert status == 400 and body["code"] == "invalid_reading"
    listed = api.get("/me/checkins", token=token)[1]["items"]
    assert listed[0]["diastolic"] == 85
    status, body = checkin(api, token, clock, type="glucose", value=6.2, diastolic=80)
    assert status == 400 and body["code"] == "invalid_reading" and body["field"] == "diastolic"


def test_a_clinics_own_check_in_type_is_accepted_once_added(api, staff_token, new_patient, clock):
    token, _ = new_patient()
    status, body = checkin(api, token, clock, type="weight", value=61.5)
    assert status == 400 and body["code"] == "unknown_checkin_type"
    admin = staff_token()
    entries = with_entry(api, admin, "checkin_types", {"code": "weight", "label": "体重", "label_en": "Weight",
                                                        "unit": "kg", "low": 20, "high": 250, "places": 1})
    assert api.put("/clinic/catalogue/checkin_types", {"entries": entries}, token=admin)[0] == 200
    status, body = checkin(api, token, clock, type="weight", value=61.5)
    assert status == 201, body
    status, body = checkin(api, token, clock, type="weight", value=300)
    assert status == 400 and body["code"] == "invalid_reading"


def test_a_new_exam_flag_takes_task_rules_and_exams(api, staff_token, new_patient):
    admin = staff_token()
    _, patient_id = new_patient()
    rule = {"tasks": []}
    status, body = api.put("/task-rules/fatty_liver", rule, token=admin)
    assert status == 404 and body["code"] == "unknown_flag"
    entries = with_entry(api, admin, "exam_flags", {"code": "fatty_liver", "label": "脂肪肝", "label_en": "Fatty liver"})
    assert api.put("/clinic/catalogue/exam_flags", {"entries": entries}, token=admin)[0] == 200
    status, body = api.put("/task-rules/fatty_liver", rule, token=admin)
    assert status == 200, body
    assert "fatty_liver" in api.get("/task-rules", token=admin)[1]["flags"]
    status, body = api.post(f"/patients/{patient_id}/exams", {"taken_on": "2026-02-28", "flags": ["fatty_liver"]},
                            token=admin)
    assert status == 201, body


def test_the_segment_builder_takes_chinese_labels(api, staff_token):
    admin = staff_token()
    rule = {"all": [{"field": "condition", "in": ["高血压"]}, {"field": "persona", "in": ["焦虑型"]}]}
    status, body = api.post("/segments", {"name": "高血压焦虑", "rule": rule}, token=admin)
    assert status == 201, body
    assert body["segment"]["rule"] == {"all": [{"field": "condition", "in": ["hypertension"]},
                                               {"field": "persona", "in": ["anxious"]}]}


def test_a_clinics_own_check_in_type_can_be_a_challenge_and_a_task(api, staff_token, new_patient, clock):
    admin = staff_token()
    challenge = {"challenge_id": "weigh-daily", "name": "每天称体重", "checkin_type": "weight", "days": 5,
                 "reward": {"type": "points", "points": 20}, "start_date": "2026-01-01", "end_date": "2026-12-31"}
    task = {"task_key": "weigh-in", "name": "每周称体重", "kind": "checkin", "checkin_type": "weight", "target": 3,
            "within_days": 14, "badge": {"badge_id": "scale", "name": "体重管理"}}
    status, body = api.post("/challenges", challenge, token=admin)
    assert status == 400 and body["code"] == "unknown_checkin_type" and body["field"] == "checkin_type"
    status, body = api.put("/task-rules/high_bmi", {"tasks": [task]}, token=admin)
    assert status == 400 and body["code"] == "unknown_checkin_type"
    entries = with_entry(api, admin, "checkin_types", {"code": "weight", "label": "体重", "label_en": "Weight",
                                                        "unit": "kg", "low": 20, "high": 250, "places": 1})
    assert api.put("/clinic/catalogue/checkin_types", {"entries": entries}, token=admin)[0] == 200
    status, body = api.post("/challenges", challenge, token=admin)
    assert status == 201, body
    assert api.put("/task-rules/high_bmi", {"tasks": [task]}, token=admin)[0] == 200
    token, _ = new_patient()
    assert api.post("/me/challenges/weigh-daily/join", token=token)[0] == 201
    assert checkin(api, token, clock, type="weight", value=61.5)[0] == 201
    mine = next(c for c in api.get("/me/challenges", token=token)[1]["items"] if c["challenge_id"] == "weigh-daily")
    assert mine["progress"]["current_streak"] == 1
    # a type the clinic since deactivated is refused for new terms
    off = [dict(e, active=False) if e["code"] == "weight" else e for e in section(api, admin, "checkin_types")]
    assert api.put("/clinic/catalogue/checkin_types", {"entries": off}, token=admin)[0] == 200
    status, body = api.put("/challenges/weigh-daily", {k: v for k, v in challenge.items() if k != "challenge_id"},
                           token=admin)
    assert status == 400 and body["code"] == "unknown_checkin_type"
