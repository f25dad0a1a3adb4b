"""Reads for reports: the patient list walk, revisit-due dates, the lapsed-patient segment, KPIs."""

from __future__ import annotations

from collections.abc import Iterator

from pynamodb.exceptions import DoesNotExist

from chalicelib.store import db, keys
from chalicelib.store.models import ConditionItem, KpiItem, PatientItem, RevisitDueItem, bind

_ROW_ATTRIBUTES = ("patient_id", "conditions", "last_visit_date", "last_checkin_date", "earned_total",
                   "redeemed_total", "reminders_received", "created_at", "referred_by", "exam_days")


def patient_rows(clinic_id: str) -> Iterator[dict]:
    bind()
    for item in PatientItem.by_gsi1.query(keys.patients_list_pk(clinic_id), page_size=500,
                                          attributes_to_get=list(_ROW_ATTRIBUTES)):
        yield {
            "patient_id": item.patient_id,
            "conditions": list(item.conditions or []),
            "last_visit_date": item.last_visit_date,
            "last_checkin_date": item.last_checkin_date,
            "earned_total": int(item.earned_total or 0),
            "redeemed_total": int(item.redeemed_total or 0),
            "reminders_received": int(item.reminders_received or 0),
            "created_at": item.created_at,
            "referred_by": item.referred_by,
            "exam_days": list(item.exam_days or []),
        }


def dues_between(clinic_id: str, first_day: str, last_day: str) -> list[dict]:
    bind()
    return [
        {"due_date": item.due_date, "status": item.status}
        for item in RevisitDueItem.by_gsi1.query(
            keys.due_dates_pk(clinic_id), RevisitDueItem.gsi1sk.between(first_day, last_day + "~"), page_size=500)
    ]


def lapsed_page(clinic_id: str, condition: str, before_day: str, limit: int,
                cursor: str | None) -> tuple[list[ConditionItem], str | None]:
    """Patients of a condition whose last visit is before a day (never-visited included), oldest first."""
    bind()
    scope = f"lapsed:{clinic_id}:{condition}:{before_day}"
    result = ConditionItem.by_gsi1.query(
        keys.condition_list_pk(clinic_id, condition), ConditionItem.gsi1sk < before_day,
        limit=limit, page_size=limit, last_evaluated_key=db.decode_cursor(cursor, scope),
    )
    items = list(result)
    return items, db.encode_cursor(result.last_evaluated_key if len(items) == limit else None, scope)


def save_kpis(clinic_id: str, generated_at: str, kpis: dict, charts: dict) -> None:
    bind()
    KpiItem(keys.clinic_pk(clinic_id), "KPI#CURRENT", generated_at=generated_at, kpis=kpis, charts=charts).save()


def load_kpis(clinic_id: str) -> KpiItem | None:
    bind()
    try:
        return KpiItem.get(keys.clinic_pk(clinic_id), "KPI#CURRENT")
    except DoesNotExist:
        return None
