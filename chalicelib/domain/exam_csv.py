"""Parsing an exam-results export (CSV) into abnormal flags per patient: good rows out, bad rows by line.

Columns (header row required, order free): `patient_id` or `phone`, `taken_on` (YYYY-MM-DD),
`flags` (abnormal flags separated by `;`, may be empty for a normal exam) and optional
`exam_id` (the centre's own report number; a report seen again is not imported twice).
Values are not read: Revisit keeps the flags, the centre's system keeps the results.
"""

from __future__ import annotations

from typing import NamedTuple
import re
from datetime import date

from chalicelib.domain.visit_csv import RowError, patient_rows

EXAM_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class ExamRow(NamedTuple):
    line: int
    patient_id: str | None
    phone: str | None
    taken_on: date
    flags: tuple[str, ...]
    exam_id: str | None


def parse_exams(text: str, known_flags: tuple[str, ...]) -> tuple[list[ExamRow], list[RowError]]:
    rows: list[ExamRow] = []
    errors: list[RowError] = []
    for line, row in patient_rows(text, {"taken_on", "flags"}, errors):
        try:
            taken_on = date.fromisoformat(row.get("taken_on", ""))
        except ValueError:
            errors.append(RowError(line, "invalid_date", "taken_on must be YYYY-MM-DD", "taken_on"))
            continue
        flags = tuple(dict.fromkeys(f.strip() for f in row.get("flags", "").split(";") if f.strip()))
        unknown = [f for f in flags if f not in known_flags]
        if unknown:
            errors.append(RowError(line, "unknown_flag", f"unknown flag {unknown[0]!r}", "flags"))
            continue
        exam_id = row.get("exam_id") or None
        if exam_id is not None and not EXAM_ID.match(exam_id):
            errors.append(RowError(line, "invalid_exam_id", "exam_id: 1-64 letters, digits, '.', '_' or '-'",
                                   "exam_id"))
            continue
        rows.append(ExamRow(line, row.get("patient_id") or None, row.get("phone") or None, taken_on, flags, exam_id))
    return rows, errors
