"""The patient each row of a CSV import names: the one lookup of the visit and the exam imports
(services.visits.import_csv, services.tasks.import_csv), read in batches."""

from __future__ import annotations

import re

from chalicelib import crypto
from chalicelib.domain.privacy import normalise_phone
from chalicelib.store import patients


PATIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def patients_of_rows(clinic_id: str, rows, problems: list[dict]) -> dict[int, str]:
    """Line -> patient id of the rows that name a patient of the clinic, by id or by phone (`rows`
    are either import's parsed rows: line, patient_id, phone). One BatchGetItem per 100 distinct
    phones (their uniqueness claims) and per 100 distinct ids (their records), instead of one read
    per row. A row naming nobody is reported into `problems`."""
    phone_of = {row.line: crypto.keyed_hash("phone", clinic_id, normalise_phone(row.phone or ""))
                for row in rows if not row.patient_id}
    by_phone = patients.ids_by_phone(clinic_id, set(phone_of.values()))
    named = {row.patient_id for row in rows if row.patient_id and PATIENT_ID.match(row.patient_id)}
    known = patients.existing_ids(clinic_id, named)
    found: dict[int, str] = {}
    for row in rows:
        patient_id = (row.patient_id if row.patient_id in known else None) if row.patient_id \
            else by_phone.get(phone_of[row.line])
        if patient_id:
            found[row.line] = patient_id
        elif row.patient_id:
            problems.append({"line": row.line, "code": "patient_not_found", "message": "no patient with this id",
                             "field": "patient_id"})
        else:
            problems.append({"line": row.line, "code": "patient_not_found", "message": "no patient with this phone",
                             "field": "phone"})
    return found
