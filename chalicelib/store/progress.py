"""A patient's progress items (sort keys `PROG#...`): challenge enrolments, assigned tasks."""

from __future__ import annotations

from typing import Any

from chalicelib.store import db, keys

PREFIX = "PROG#"


def items(clinic_id: str, patient_id: str) -> list[dict[str, Any]]:
    """All progress items of one patient, in one Query of their partition (consistent)."""
    return db.query_partition(keys.patient_pk(clinic_id, patient_id), PREFIX, consistent=True)
