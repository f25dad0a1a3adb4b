"""Masking, phone normalisation and the visit CSV parser."""

from datetime import date

import pytest

from chalicelib.domain.privacy import mask_name, mask_phone, normalise_phone
from chalicelib.domain.visit_csv import MAX_ROWS, parse_visits

DEPTS = ("dermatology", "dentistry")


def test_masking():
    assert mask_name("张小红") == "张**"
    assert mask_name("李") == "李*"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("12345") == "*****"


@pytest.mark.parametrize("raw", ["13812345678", "+86 138-1234-5678", "008613812345678", "8613812345678"])
def test_phone_normalisation(raw):
    assert normalise_phone(raw) == "13812345678"


def test_csv_good_and_bad_rows():
    text = ("\ufeffphone,visit_date,department,next_due_date,external_id\n"
            "13800000000,2026-01-02,dermatology,2026-02-02,A1\n"
            "13800000000,02/01/2026,dermatology,,A2\n"
            "13800000000,2026-01-02,surgery,,A3\n"
            ",2026-01-02,dentistry,,A4\n")
    rows, errors = parse_visits(text, DEPTS)
    assert [(r.line, r.visit_date, r.next_due_date) for r in rows] == [(2, date(2026, 1, 2), date(2026, 2, 2))]
    assert [(e.line, e.code, e.field) for e in errors] == [
        (3, "invalid_date", "visit_date"), (4, "unknown_department", "department"), (5, "missing_patient", "patient_id")]


def test_csv_missing_columns_and_row_limit():
    with pytest.raises(ValueError):
        parse_visits("phone,department\n1,dentistry\n", DEPTS)
    body = "phone,visit_date,department\n" + "1380000,2026-01-01,dentistry\n" * (MAX_ROWS + 3)
    rows, errors = parse_visits(body, DEPTS)
    assert len(rows) == MAX_ROWS and errors[-1].code == "too_many_rows"
