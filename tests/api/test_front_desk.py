"""The front desk's reads and imports: a patient's lists page by cursor, the consent log says who,
CSV imports look patients up in batches and preview what they would record."""

from datetime import timedelta

from tests.conftest import T0


def _walk(api, path, token, limit=2):
    """Every item of a paged route, following next_cursor; returns (items, pages)."""
    items, pages, cursor = [], 0, None
    while True:
        sep = "&" if "?" in path else "?"
        status, page = api.get(f"{path}{sep}limit={limit}" + (f"&cursor={cursor}" if cursor else ""), token=token)
        assert status == 200, page
        pages += 1
        items += page.get("items", page.get("entries"))
        cursor = page["next_cursor"]
        if not cursor:
            return items, pages


def test_a_patients_visits_checkins_and_ledger_page_by_cursor(api, new_patient, staff_token, clock, monkeypatch):
    token, pid = new_patient()
    staff = staff_token("demo-dental", "front_desk")
    for n in range(5):
        assert api.post(f"/patients/{pid}/visits", {"visit_date": f"2026-0{n + 1}-10", "department": "dermatology"},
                        token=staff)[0] == 201
    for n in range(5):
        clock.set(T0 + timedelta(minutes=n))
        assert api.post("/me/checkins", {"type": "glucose", "value": 6.1, "client_time": (T0 + timedelta(minutes=n))
                                         .isoformat().replace("+00:00", "Z")}, token=token)[0] == 201
        assert api.post(f"/patients/{pid}/points/adjustments", {"points": 5, "reason": f"活动{n}"}, token=staff)[0] == 201
    visits, pages = _walk(api, f"/patients/{pid}/visits", staff)
    assert [v["visit_date"] for v in visits] == [f"2026-0{n}-10" for n in (5, 4, 3, 2, 1)] and pages == 3
    checkins, pages = _walk(api, f"/patients/{pid}/checkins", staff)
    assert len({c["checkin_id"] for c in checkins}) == 5 and pages == 3
    entries, pages = _walk(api, f"/patients/{pid}/points", staff)
    assert len({e["entry_id"] for e in entries}) == len(entries) >= 5 and pages >= 3
    status, first = api.get(f"/patients/{pid}/points?limit=2", token=staff)
    assert len(first["entries"]) == 2 and first["next_cursor"]
    # a cursor is bound to its list and its patient
    status, visits_page = api.get(f"/patients/{pid}/visits?limit=2", token=staff)
    status, err = api.get(f"/patients/{pid}/checkins?cursor={visits_page['next_cursor']}", token=staff)
    assert status == 400 and err["code"] == "invalid_cursor"
    # another clinic's staff cannot read them
    other = staff_token("other-clinic", "front_desk")
    for path in ("visits", "checkins", "points"):
        assert api.get(f"/patients/{pid}/{path}", token=other)[0] == 404
    # the patient's detail carries only the first page of each history (newest first)
    monkeypatch.setattr("chalicelib.services.patients.DETAIL_ROWS", 3)
    detail = api.get(f"/patients/{pid}", token=staff)[1]
    assert [v["visit_date"] for v in detail["visits"]] == ["2026-05-10", "2026-04-10", "2026-03-10"]
    assert [c["checkin_id"] for c in detail["checkins"]] == [c["checkin_id"] for c in checkins[:3]]
    assert [e["entry_id"] for e in detail["ledger"]] == [e["entry_id"] for e in entries[:3]]


def test_the_consent_log_says_who_made_each_change(api, new_patient, staff_token):
    token, pid = new_patient()
    staff = staff_token("demo-dental", "front_desk")
    assert api.put("/me/consents", {"consents": {"marketing": True}, "consent_version": "v1"}, token=token)[0] == 200
    status, desk = api.post("/patients", {
        "name": "王前台", "phone": "13700009999", "conditions": ["eczema"], "department": "dermatology",
        "consents": {"service": True, "marketing": False, "analytics": False}, "consent_version": "v1"}, token=staff)
    assert status == 201, desk
    log = api.get(f"/patients/{pid}", token=staff)[1]["consent_log"]
    assert {e["by"] for e in log} == {"patient"}
    assert any(e["purpose"] == "marketing" and e["granted"] and e["version"] == "v1" for e in log)
    desk_log = api.get(f"/patients/{desk['patient']['patient_id']}", token=staff)[1]["consent_log"]
    assert desk_log and {e["by"] for e in desk_log} == {"staff:front_desk@demo-dental"}


CSV = """patient_id,phone,visit_date,department,next_due_date,external_id
,13800001111,2026-03-01,dermatology,2026-04-01,H-1
{pid2},,2026-03-05,dentistry,,H-2
,13999999999,2026-03-05,dentistry,,H-3
nobody,,2026-03-05,dentistry,,H-4
,13800001111,2027-03-05,dentistry,,H-5
{long},,2026-03-05,dentistry,,H-6
"""


def test_visit_import_looks_patients_up_in_batches_and_previews(api, new_patient, staff_token, monkeypatch):
    from chalicelib.store import db, patients

    _, pid1 = new_patient(name="imp1", phone="13800001111")
    _, pid2 = new_patient(name="imp2", phone="13800002222")
    staff = staff_token()

    def one_by_one(*args, **kwargs):
        raise AssertionError("an import row's patient was looked up on its own")

    monkeypatch.setattr(patients, "patient_by_unique", one_by_one)
    batches = []
    real = db.batch_get

    def counted(keys, *args, **kwargs):
        batches.append(list(keys))
        return real(batches[-1], *args, **kwargs)

    monkeypatch.setattr(db, "batch_get", counted)
    text = CSV.format(pid2=pid2, long="p" * 2000).encode()
    status, preview = api.post("/visits/import?dry_run=true", raw=text, token=staff, content_type="text/csv")
    assert status == 200, preview
    assert preview["dry_run"] is True and preview["imported"] == 0
    assert [(r["line"], r["patient_id"], r["date"]) for r in preview["preview"]] == [
        (2, pid1, "2026-03-01"), (3, pid2, "2026-03-05")]
    assert all(r["name_masked"] for r in preview["preview"])
    assert [(e["line"], e["code"], e["field"]) for e in preview["errors"]] == [
        (4, "patient_not_found", "phone"), (5, "patient_not_found", "patient_id"), (6, "invalid_date", "visit_date"),
        (7, "patient_not_found", "patient_id")]
    # nothing was written
    assert api.get(f"/patients/{pid1}", token=staff)[1]["visits"] == []
    status, done = api.post("/visits/import", raw=text, token=staff, content_type="text/csv")
    assert status == 200 and done["imported"] == 2 and done["errors"] == preview["errors"]
    # the same file again: the preview knows both rows are recorded already
    status, again = api.post("/visits/import?dry_run=true", raw=text, token=staff, content_type="text/csv")
    assert again["preview"] == [] and again["duplicates"] == 2
    assert batches and max(len(b) for b in batches) <= 100 * 3


def test_exam_import_preview_writes_nothing(api, new_patient, staff_token):
    _, pid = new_patient(name="exam1", phone="13800003333")
    staff = staff_token()
    text = f"patient_id,taken_on,flags,exam_id\n{pid},2026-11-01,high_bmi,R-1\nnobody,2026-11-01,,R-2\n".encode()
    status, preview = api.post("/exams/import?dry_run=true", raw=text, token=staff, content_type="text/csv")
    assert status == 200, preview
    assert [(r["line"], r["flags"], r["external_id"]) for r in preview["preview"]] == [(2, ["high_bmi"], "R-1")]
    assert [(e["line"], e["code"]) for e in preview["errors"]] == [(3, "patient_not_found")]
    assert api.get(f"/patients/{pid}/tasks", token=staff)[1]["exams"] == []
    status, done = api.post("/exams/import", raw=text, token=staff, content_type="text/csv")
    assert done["exams"] == 1


def test_batch_get_reads_more_than_a_hundred_keys_and_retries_unprocessed(aws, monkeypatch):
    from chalicelib.store import db

    client = db.connection().client
    calls = []
    real = client.batch_get_item

    def flaky(RequestItems):  # noqa: N803 (botocore's parameter name)
        calls.append(sum(len(t["Keys"]) for t in RequestItems.values()))
        reply = real(RequestItems=RequestItems)
        if len(calls) == 1:  # DynamoDB may leave keys unprocessed; they must be asked again
            table, request = next(iter(RequestItems.items()))
            reply["UnprocessedKeys"] = {table: {**request, "Keys": request["Keys"][:3]}}
        return reply

    monkeypatch.setattr(client, "batch_get_item", flaky)
    monkeypatch.setattr("time.sleep", lambda s: None)
    found = db.batch_get([(f"k#{n}", "S") for n in range(250)])
    assert found == {} and calls[:2] == [100, 3] and sum(calls) == 253


def test_visit_import_re_evaluates_each_patients_segments_once_after_their_rows(api, new_patient, staff_token,
                                                                                monkeypatch):
    from chalicelib.services import segments

    _, pid = new_patient(name="seg-imp", phone="13800004444")
    staff = staff_token()
    events = []
    real = segments.record_event
    monkeypatch.setattr(segments, "record_event", lambda clinic_id, patient_id, at=None: events.append(
        (patient_id, at)) or real(clinic_id, patient_id, at))
    text = ("phone,visit_date,department,external_id\n" + "".join(
        f"13800004444,2026-0{n}-10,dermatology,SEG-{n}\n" for n in (3, 5, 4))).encode()
    status, done = api.post("/visits/import", raw=text, token=staff, content_type="text/csv")
    assert status == 200 and done["imported"] == 3, done
    assert len(events) == 1 and events[0][0] == pid and events[0][1].date().isoformat() == "2026-05-10"
    assert api.get(f"/patients/{pid}", token=staff)[1]["patient"]["last_visit_date"] == "2026-05-10"
