"""The visit and the exam CSV imports find each row's patient with one shared lookup
(services.import_owners.patients_of_rows): by id or by phone, 100 keys a BatchGetItem, rows naming
nobody reported by line and column."""

from __future__ import annotations

from datetime import date

from chalicelib.domain.exam_csv import ExamRow
from chalicelib.domain.visit_csv import VisitRow


def _visit(line, patient_id=None, phone=None):
    return VisitRow(line, patient_id, phone, date(2026, 3, 1), "dermatology", None, None)


def _exam(line, patient_id=None, phone=None):
    return ExamRow(line, patient_id, phone, date(2026, 3, 1), (), None)


def test_both_imports_resolve_their_rows_with_the_one_lookup(api, new_patient, staff_token, monkeypatch):
    from chalicelib.services import import_owners, tasks, visits

    _, pid = new_patient(name="own-a", phone="13800005555")
    calls = []
    real = import_owners.patients_of_rows

    def counted(clinic_id, rows, problems):
        calls.append(type(rows[0]).__name__)
        return real(clinic_id, rows, problems)

    monkeypatch.setattr(import_owners, "patients_of_rows", counted)
    seen = visits.import_csv("demo-dental", f"phone,visit_date,department\n13800005555,2026-03-01,dermatology\n",
                             None, dry_run=True)
    assert [r["patient_id"] for r in seen["preview"]] == [pid]
    seen = tasks.import_csv("demo-dental", f"patient_id,taken_on,flags\n{pid},2026-03-01,\n", None, dry_run=True)
    assert [r["patient_id"] for r in seen["preview"]] == [pid]
    assert calls == ["VisitRow", "ExamRow"]
    assert not hasattr(visits, "patients_of_rows") and not hasattr(tasks, "patients_of_rows")


def test_visit_and_exam_rows_find_the_same_patients_and_the_same_problems(api, new_patient):
    from chalicelib.services.import_owners import patients_of_rows

    _, pid1 = new_patient(name="own-b", phone="13800006666")
    _, pid2 = new_patient(name="own-c", phone="13800007777")
    named = [(2, pid1, None), (3, None, "138 0000 7777"), (4, "nobody", None), (5, None, "13900000000"),
             (6, "p" * 200, None), (7, pid2, None)]
    answers = []
    for make in (_visit, _exam):
        problems: list[dict] = []
        owners = patients_of_rows("demo-dental", [make(*r) for r in named], problems)
        answers.append((owners, [(p["line"], p["code"], p["field"]) for p in problems]))
    assert answers[0] == answers[1]
    owners, problems = answers[0]
    assert owners == {2: pid1, 3: pid2, 7: pid2}
    assert problems == [(4, "patient_not_found", "patient_id"), (5, "patient_not_found", "phone"),
                        (6, "patient_not_found", "patient_id")]
    # another clinic's staff find none of them
    problems = []
    assert patients_of_rows("other-clinic", [_visit(*r) for r in named], problems) == {}
    assert len(problems) == len(named)


def test_the_lookup_reads_a_hundred_keys_a_call_and_never_one_row_alone(api, new_patient, monkeypatch):
    from chalicelib.services.import_owners import patients_of_rows
    from chalicelib.store import db

    _, pid = new_patient(name="own-d", phone="13800008888")
    client = db.connection().client
    batches, singles = [], []
    real = client.batch_get_item
    monkeypatch.setattr(client, "batch_get_item", lambda RequestItems: (  # noqa: N803 (botocore's name)
        batches.append(sum(len(t["Keys"]) for t in RequestItems.values())) or real(RequestItems=RequestItems)))
    monkeypatch.setattr(client, "get_item", lambda **kw: singles.append(kw) or {})
    rows = [_visit(n + 2, phone=f"1370000{n:04d}") for n in range(250)]
    rows += [_visit(n + 252, patient_id=f"x{n}") for n in range(249)] + [_visit(501, patient_id=pid)]  # 250 ids
    rows += [_visit(502, phone="13800008888"), _visit(503, phone="13800008888")]  # the same phone: one key
    problems: list[dict] = []
    owners = patients_of_rows("demo-dental", rows, problems)
    assert owners == {501: pid, 502: pid, 503: pid}
    assert len(problems) == 499
    assert sorted(batches) == [50, 51, 100, 100, 100, 100] and singles == []
