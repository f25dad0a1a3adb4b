"""Parsing a hospital system's visit export (CSV): good rows out, bad rows reported by line.

Columns (header row required, order free): `patient_id` or `phone`, `visit_date`
(YYYY-MM-DD), `department`, optional `next_due_date` (YYYY-MM-DD) and `external_id`
(the hospital's own visit number; a row seen again with the same id is not imported twice).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from typing import Any, NamedTuple

MAX_ROWS = 5000


class VisitRow(NamedTuple):
    line: int
    patient_id: str | None
    phone: str | None
    visit_date: date
    department: str
    next_due_date: date | None
    external_id: str | None


class RowError(NamedTuple):
    line: int
    code: str
    message: str
    field: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "code": self.code, "message": self.message, "field": self.field}


def _day(text: str) -> date:
    return date.fromisoformat(text.strip())


class CsvFileError(ValueError):
    """The file as a whole cannot be read as CSV; `line` is where reading stopped."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line


def _records(reader: csv.DictReader[str]) -> Iterator[dict[str | Any, str | Any]]:
    """The reader's rows; a row the csv module cannot read ends the file as a CsvFileError."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise CsvFileError(str(exc), getattr(reader, "reader", reader).line_num or 1) from exc


def patient_rows(text: str, required: set[str], errors: list[RowError]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, row) for each data row naming a patient (`patient_id` or `phone`), cells stripped.

    Line ends may be LF, CRLF or a bare CR (spreadsheets on a Mac save CR alone). Rows without
    a patient and rows past MAX_ROWS are reported into `errors`; a file without the required
    columns, or one the csv module cannot read (a cell over its size limit), raises ValueError
    (CsvFileError with the line).
    """
    # newline=None reads every kind of line end as one, as the csv module asks of its input
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=None))
    try:
        fieldnames = reader.fieldnames
    except csv.Error as exc:
        raise CsvFileError(str(exc), 1) from exc
    headers = {h.strip() for h in (fieldnames or [])}
    missing = required - headers
    if missing or not ({"patient_id", "phone"} & headers):
        need = sorted(missing) or ["patient_id or phone"]
        raise ValueError(f"missing columns: {', '.join(need)}")
    for index, raw in enumerate(_records(reader)):
        line = reader.line_num  # the file's line where this row ends (the header is line 1)
        if index >= MAX_ROWS:
            errors.append(RowError(line, "too_many_rows", f"at most {MAX_ROWS} rows per file"))
            break
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k}
        if not row.get("patient_id") and not row.get("phone"):
            errors.append(RowError(line, "missing_patient", "patient_id or phone is required", "patient_id"))
            continue
        yield line, row


def parse_visits(text: str, departments: tuple[str, ...]) -> tuple[list[VisitRow], list[RowError]]:
    rows: list[VisitRow] = []
    errors: list[RowError] = []
    for line, row in patient_rows(text, {"visit_date", "department"}, errors):
        patient_id, phone = row.get("patient_id") or None, row.get("phone") or None
        try:
            visit_day = _day(row.get("visit_date", ""))
        except ValueError:
            errors.append(RowError(line, "invalid_date", "visit_date must be YYYY-MM-DD", "visit_date"))
            continue
        department = row.get("department", "")
        if department not in departments:
            errors.append(RowError(line, "unknown_department", f"unknown department {department!r}", "department"))
            continue
        due = None
        if row.get("next_due_date"):
            try:
                due = _day(row["next_due_date"])
            except ValueError:
                errors.append(RowError(line, "invalid_date", "next_due_date must be YYYY-MM-DD", "next_due_date"))
                continue
            if due <= visit_day:
                errors.append(RowError(line, "invalid_date", "next_due_date must follow visit_date", "next_due_date"))
                continue
        rows.append(VisitRow(line, patient_id, phone, visit_day, department, due, row.get("external_id") or None))
    return rows, errors
