"""Visits, on-time revisits, CSV import, the lapsed-patient segment."""

from datetime import date

from tests.conftest import patient_record


def test_on_time_and_late_revisits(api, new_patient, staff_token):
    token, pid = new_patient()
    staff = staff_token("demo-dental", "front_desk")
    status, first = api.post(f"/patients/{pid}/visits", {"visit_date": "2026-05-01", "department": "dermatology",
                                                         "next_due_date": "2026-06-01"}, token=staff)
    assert status == 201 and first["points_awarded"] == 0 and not first["visit"]["on_time"]
    status, on_time = api.post(f"/patients/{pid}/visits", {"visit_date": "2026-06-05", "department": "dermatology",
                                                           "next_due_date": "2026-08-01"}, token=staff)
    assert on_time["visit"]["on_time"] and on_time["points_awarded"] == 10
    status, late = api.post(f"/patients/{pid}/visits", {"visit_date": "2026-09-20", "department": "dermatology"},
                            token=staff)
    assert not late["visit"]["on_time"] and late["points_awarded"] == 0
    status, mine = api.get("/me/visits", token=token)
    assert [v["visit_date"] for v in mine["items"]] == ["2026-09-20", "2026-06-05", "2026-05-01"]
    detail = api.get(f"/patients/{pid}", token=staff)[1]
    assert detail["patient"]["last_visit_date"] == "2026-09-20"
    assert detail["patient"]["balance"] == 10


def test_a_second_visit_on_the_latest_day_sets_the_next_revisit_but_an_older_one_does_not(api, new_patient,
                                                                                          staff_token):
    _, pid = new_patient()
    staff = staff_token("demo-dental", "front_desk")
    api.post(f"/patients/{pid}/visits", {"visit_date": "2026-10-01", "department": "dentistry"}, token=staff)
    status, _ = api.post(f"/patients/{pid}/visits", {"visit_date": "2026-10-01", "department": "dermatology",
                                                     "next_due_date": "2026-11-01"}, token=staff)
    assert status == 201
    assert api.get(f"/patients/{pid}", token=staff)[1]["patient"]["revisit_due_date"] == "2026-11-01"
    api.post(f"/patients/{pid}/visits", {"visit_date": "2026-09-01", "department": "dermatology",
                                         "next_due_date": "2026-09-20"}, token=staff)
    patient = api.get(f"/patients/{pid}", token=staff)[1]["patient"]
    assert patient["revisit_due_date"] == "2026-11-01" and patient["last_visit_date"] == "2026-10-01"


def test_visit_input_errors(api, new_patient, staff_token):
    _, pid = new_patient()
    staff = staff_token()
    status, err = api.post(f"/patients/{pid}/visits", {"visit_date": "2026-12-30", "department": "dermatology"},
                           token=staff)
    assert status == 400 and err["field"] == "visit_date"
    status, err = api.post(f"/patients/{pid}/visits", {"visit_date": "2026-10-01", "department": "dermatology",
                                                       "next_due_date": "2026-09-01"}, token=staff)
    assert status == 400 and err["field"] == "next_due_date"
    status, err = api.post(f"/patients/{pid}/visits", {"visit_date": "2026-10-01", "department": "astrology"},
                           token=staff)
    assert status == 400 and err["field"] == "department"
    status, err = api.post("/patients/nobody/visits", {"visit_date": "2026-10-01", "department": "dermatology"},
                           token=staff)
    assert status == 404


def test_visit_with_idempotency_key_is_recorded_once(api, new_patient, staff_token):
    _, pid = new_patient()
    staff = staff_token()
    body = {"visit_date": "2026-10-01", "department": "dermatology"}
    first = api.post(f"/patients/{pid}/visits", body, token=staff, headers={"Idempotency-Key": "v1"})
    again = api.post(f"/patients/{pid}/visits", body, token=staff, headers={"Idempotency-Key": "v1"})
    assert first == again and first[0] == 201
    assert len(api.get(f"/patients/{pid}", token=staff)[1]["visits"]) == 1


CSV = """patient_id,phone,visit_date,department,next_due_date,external_id
,13800001111,2026-03-01,dermatology,2026-04-01,H-1
,13800001111,2026-04-03,dermatology,,H-2
{pid2},,2026-03-05,dentistry,2026-09-05,H-3
,13999999999,2026-03-05,dentistry,,H-4
,13800001111,2026-13-01,dermatology,,H-5
,13800001111,2026-03-01,cardiology,,H-6
,,2026-03-01,dermatology,,H-7
,13800001111,2026-03-01,dermatology,2026-02-01,H-8
"""


def test_csv_import_keeps_good_rows_and_reports_bad_ones_by_line(api, new_patient, staff_token):
    token1, pid1 = new_patient(name="csv1", phone="13800001111")
    _, pid2 = new_patient(name="csv2", phone="13800002222")
    staff = staff_token()
    text = CSV.format(pid2=pid2)
    status, data = api.post("/visits/import", raw=text.encode(), token=staff, content_type="text/csv")
    assert status == 200, data
    assert data["imported"] == 3 and data["duplicates"] == 0
    assert [(e["line"], e["code"]) for e in data["errors"]] == [
        (5, "patient_not_found"), (6, "invalid_date"), (7, "unknown_department"), (8, "missing_patient"),
        (9, "invalid_date")]
    # H-2 was on time for the due date set by H-1
    assert api.get("/me/points", token=token1)[1]["balance"] == 10
    # importing the same file again records nothing twice
    status, again = api.post("/visits/import", raw=text.encode(), token=staff, content_type="text/csv")
    assert again["imported"] == 0 and again["duplicates"] == 3
    assert len(api.get(f"/patients/{pid1}", token=staff)[1]["visits"]) == 2
    status, err = api.post("/visits/import", raw=b"name,age\nx,1\n", token=staff, content_type="text/csv")
    assert status == 400 and err["code"] == "invalid_csv"
    status, err = api.post("/visits/import", raw=b"\xff\xfe\x00", token=staff, content_type="text/csv")
    assert status == 400 and err["code"] == "invalid_encoding"


def test_lapsed_segment_by_condition_and_days(api, new_patient, staff_token):
    staff = staff_token()
    visits = {"a": "2026-01-10", "b": "2026-06-01", "c": "2026-11-01", "d": None}
    ids = {}
    for i, (name, day) in enumerate(visits.items()):
        _, ids[name] = new_patient(name=f"seg{name}", phone=f"1330000000{i}", conditions=["eczema"])
        if day:
            api.post(f"/patients/{ids[name]}/visits", {"visit_date": day, "department": "dermatology"}, token=staff)
    _, diabetic = new_patient(name="segdia", phone="13300000009", conditions=["diabetes"],
                              department="endocrinology")
    status, data = api.get("/segments/lapsed?condition=eczema&days=90", token=staff)
    assert status == 200
    got = [row["patient_id"] for row in data["items"]]
    assert got == [ids["d"], ids["a"], ids["b"]]  # never visited first, then oldest visit
    assert data["items"][1]["days_since"] == (date(2026, 11, 20) - date(2026, 1, 10)).days
    # paging through one at a time gives the same rows
    rows, cursor = [], None
    while True:
        path = "/segments/lapsed?condition=eczema&days=90&limit=1" + (f"&cursor={cursor}" if cursor else "")
        page = api.get(path, token=staff)[1]
        rows += [r["patient_id"] for r in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert rows == got
    # a cursor is bound to its query
    first = api.get("/segments/lapsed?condition=eczema&days=90&limit=1", token=staff)[1]
    status, err = api.get(f"/segments/lapsed?condition=eczema&days=30&limit=1&cursor={first['next_cursor']}",
                          token=staff)
    assert status == 400 and err["code"] == "invalid_cursor"
    status, err = api.get("/segments/lapsed?condition=flu&days=90", token=staff)
    assert status == 400 and err["code"] == "unknown_condition"
    status, err = api.get("/segments/lapsed?condition=eczema&days=-1", token=staff)
    assert status == 400 and err["field"] == "days"
    assert api.get("/segments/lapsed?condition=eczema&days=90", token=staff_token("other-clinic"))[1]["items"] == []


def test_staff_registration_with_consent_given_at_the_desk(api, staff_token):
    status, data = api.post("/patients", patient_record(phone="13200000000"), token=staff_token(),
                            headers={"Idempotency-Key": "desk-1"})
    again = api.post("/patients", patient_record(phone="13200000000"), token=staff_token(),
                     headers={"Idempotency-Key": "desk-1"})
    assert status == 201 and again[1] == data
