"""A patient's history read from their own partition: visits, check-ins, ledger, consents."""

from __future__ import annotations

from typing import Any

from chalicelib.store import db, keys
from chalicelib.store.models import CheckInItem, ConsentLogItem, LedgerItem, VisitItem
from chalicelib.store.visits import Visit, visit_of


def visits(clinic_id: str, patient_id: str, limit: int = 200) -> list[dict[str, Any]]:
    raw = db.query_partition(keys.patient_pk(clinic_id, patient_id), keys.VISIT, descending=True, limit=limit)
    return [visit_row(visit_of(clinic_id, patient_id, VisitItem.from_raw_data(item))) for item in raw]


def visit_row(visit: Visit) -> dict[str, Any]:
    return {"visit_id": visit.visit_id, "visit_date": visit.visit_date, "department": visit.department,
            "next_due_date": visit.next_due_date, "on_time": bool(visit.on_time), "source": visit.source}


def visits_page(clinic_id: str, patient_id: str, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]],
                                                                                          str | None]:
    """One page of the patient's visits, newest first, and the signed cursor of the next."""
    raw, next_cursor = db.partition_page(keys.patient_pk(clinic_id, patient_id), keys.VISIT,
                                         f"visits:{clinic_id}:{patient_id}", limit, cursor)
    return [visit_row(visit_of(clinic_id, patient_id, VisitItem.from_raw_data(item))) for item in raw], next_cursor


def _checkin_row(item: dict[str, Any]) -> dict[str, Any]:
    c = CheckInItem.from_raw_data(item)
    return {"checkin_id": c.checkin_id, "type": c.type, "value": float(c.value), "local_date": c.local_date,
            "client_time": c.client_time, "counted": bool(c.counted), **({"context": c.context} if c.context else {}),
            **({"diastolic": float(c.diastolic)} if c.diastolic is not None else {})}


def checkins(clinic_id: str, patient_id: str, limit: int = 200) -> list[dict[str, Any]]:
    raw = db.query_partition(keys.patient_pk(clinic_id, patient_id), keys.CHECKIN_PREFIX, descending=True,
                              limit=limit)
    return [_checkin_row(item) for item in raw]


def checkins_page(clinic_id: str, patient_id: str, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]],
                                                                                            str | None]:
    """One page of the patient's check-ins, newest first, and the signed cursor of the next."""
    raw, next_cursor = db.partition_page(keys.patient_pk(clinic_id, patient_id), keys.CHECKIN_PREFIX,
                                         f"checkins:{clinic_id}:{patient_id}", limit, cursor)
    return [_checkin_row(item) for item in raw], next_cursor


def ledger(clinic_id: str, patient_id: str) -> list[dict[str, Any]]:
    raw = db.query_partition(keys.patient_pk(clinic_id, patient_id), keys.LEDGER_PREFIX)
    entries = sorted((LedgerItem.from_raw_data(item) for item in raw), key=lambda e: (e.at, e.entry_id), reverse=True)
    return [{"entry_id": e.entry_id, "at": e.at, "points": int(e.points), "reason": e.reason,
             **({"note": e.note} if e.note else {}), **({"staff": e.staff} if e.staff else {})} for e in entries]


def ledger_page(clinic_id: str, patient_id: str, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]],
                                                                                          str | None]:
    """One page of the ledger, newest first. Ledger sort keys are entry ids (deterministic, for
    the no-double-credit condition), not times, so the partition's ledger range is read and
    ordered by time here; the cursor carries the last entry's (time, id), signed."""
    scope = f"ledger:{clinic_id}:{patient_id}"
    after = db.decode_cursor(cursor, scope)
    rows = ledger(clinic_id, patient_id)
    if after is not None:
        mark = (str(after.get("at", "")), str(after.get("id", "")))
        rows = [r for r in rows if (r["at"], r["entry_id"]) < mark]
    page = rows[:limit]
    more = len(rows) > limit
    return page, db.encode_cursor({"at": page[-1]["at"], "id": page[-1]["entry_id"]} if more else None, scope)


def consent_log(clinic_id: str, patient_id: str) -> list[dict[str, Any]]:
    raw = db.query_partition(keys.patient_pk(clinic_id, patient_id), keys.CONSENT_LOG, descending=True)
    return [{"purpose": c.purpose, "granted": bool(c.granted), "version": c.version, "at": c.at, "by": c.by}
            for c in (ConsentLogItem.from_raw_data(item) for item in raw)]
