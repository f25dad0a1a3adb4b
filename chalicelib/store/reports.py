"""Reads for reports: the patient list walk, revisit-due dates, the lapsed-patient segment, KPIs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

from pynamodb.exceptions import DoesNotExist

from chalicelib.store import db, keys
from chalicelib.store.models import ConditionItem, KpiItem, PatientItem, RecallJobItem, RevisitDueItem, bind

_ROW_ATTRIBUTES = ("patient_id", "conditions", "department", "last_visit_date", "last_checkin_date", "earned_total",
                   "redeemed_total", "reminders_received", "created_at", "referred_by", "exam_days",
                   "joined_challenges", "segments", "last_interaction_at")


def patient_rows(clinic_id: str) -> Iterator[dict[str, Any]]:
    bind()
    for item in PatientItem.by_gsi1.query(keys.patients_list_pk(clinic_id), page_size=500,
                                          attributes_to_get=list(_ROW_ATTRIBUTES)):
        yield {
            "patient_id": item.patient_id,
            "conditions": list(item.conditions or []),
            "department": item.department,
            "last_visit_date": item.last_visit_date,
            "last_checkin_date": item.last_checkin_date,
            "earned_total": int(item.earned_total or 0),
            "redeemed_total": int(item.redeemed_total or 0),
            "reminders_received": int(item.reminders_received or 0),
            "created_at": item.created_at,
            "referred_by": item.referred_by,
            "exam_days": list(item.exam_days or []),
            "joined_challenges": sorted(item.joined_challenges or ()),
            "segments": sorted(item.segments or ()),
            "last_interaction_at": item.last_interaction_at,
        }


def dues_between(clinic_id: str, first_day: str, last_day: str) -> list[dict[str, Any]]:
    bind()
    return [
        {"due_date": item.due_date, "status": item.status, "met_on": item.met_on,
         "patient_id": item.gsi1sk.split("#", 1)[1], "groups": item.groups.as_dict() if item.groups else None}
        for item in RevisitDueItem.by_gsi1.query(
            keys.due_dates_pk(clinic_id), RevisitDueItem.gsi1sk.between(first_day, last_day + "~"), page_size=500)
    ]


def due_patients(dues: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """What the per-challenge rates need of each patient with a requested revisit, from the groups
    the revisits carry (the latest requested revisit's): their conditions and joined challenges."""
    patients: dict[str, dict[str, Any]] = {}
    for due in sorted(dues, key=lambda d: d["due_date"]):
        groups = due.get("groups") or {}
        patients[due["patient_id"]] = {"conditions": list(groups.get("condition") or []),
                                       "joined_challenges": list(groups.get("challenge") or [])}
    return patients


class ConditionEntry(NamedTuple):
    """A patient in a condition's list, by the day of their last visit (None: never visited)."""

    patient_id: str
    name_masked: str
    last_visit_date: str | None


class Kpis(NamedTuple):
    """The dashboard's figures and charts, as the last refresh computed them."""

    generated_at: str
    kpis: dict[str, Any]
    charts: dict[str, Any]


def lapsed_page(clinic_id: str, condition: str, before_day: str, limit: int,
                cursor: str | None) -> tuple[list[ConditionEntry], str | None]:
    """Patients of a condition whose last visit is before a day (never-visited included), oldest first."""
    bind()
    scope = f"lapsed:{clinic_id}:{condition}:{before_day}"
    result = ConditionItem.by_gsi1.query(
        keys.condition_list_pk(clinic_id, condition), ConditionItem.gsi1sk < before_day,
        limit=limit, page_size=limit, last_evaluated_key=db.decode_cursor(cursor, scope),
    )
    items = [ConditionEntry(item.patient_id, item.name_masked, item.last_visit_date) for item in result]
    return items, db.encode_cursor(result.last_evaluated_key if len(items) == limit else None, scope)


def reminders_between(clinic_id: str, first_iso: str, last_iso: str) -> list[dict[str, Any]]:
    """Entries of the reminder log processed between two UTC times (sent, stopped or skipped)."""
    bind()
    return [
        {"patient_id": item.patient_id, "rule_id": item.rule_id, "kind": item.kind or "recall",
         "status": item.status, "processed_at": item.processed_at}
        for item in RecallJobItem.by_gsi1.query(
            keys.reminder_log_pk(clinic_id), RecallJobItem.gsi1sk.between(first_iso, last_iso + "~"), page_size=500)
    ]


def visit_days_since(clinic_id: str, patient_id: str, first_day: str) -> list[str]:
    """The days of a patient's visits on or after a day (one Query of the patient's VISIT# items)."""
    raw = db.query_raw(
        KeyConditionExpression="pk = :pk AND sk BETWEEN :lo AND :hi",
        ExpressionAttributeValues={":pk": {"S": keys.patient_pk(clinic_id, patient_id)},
                                   ":lo": {"S": keys.VISIT + first_day}, ":hi": {"S": keys.VISIT + "~"}},
        ProjectionExpression="visit_date",
    )
    return [item["visit_date"]["S"] for item in raw.get("Items", [])]


def save_day(clinic_id: str, day: str, generated_at: str, figures: dict[str, Any]) -> None:
    """The headline figures of one clinic-local day (rewritten by each refresh of that day)."""
    bind()
    KpiItem(keys.clinic_pk(clinic_id), keys.kpi_day_sk(day), generated_at=generated_at, kpis=figures, charts={}).save()


def days_since(clinic_id: str, first_day: str) -> list[dict[str, Any]]:
    """The daily headline figures from a day on, oldest first (one Query, at most a few months)."""
    raw = db.query_raw(
        KeyConditionExpression="pk = :pk AND sk BETWEEN :lo AND :hi",
        ExpressionAttributeValues={":pk": {"S": keys.clinic_pk(clinic_id)},
                                   ":lo": {"S": keys.kpi_day_sk(first_day)}, ":hi": {"S": keys.kpi_day_sk("~")}},
    )
    return [{"day": KpiItem.from_raw_data(item).sk[len(keys.KPI_DAY):], **KpiItem.from_raw_data(item).kpis}
            for item in raw.get("Items", [])]


def save_kpis(clinic_id: str, generated_at: str, kpis: dict[str, Any], charts: dict[str, Any]) -> None:
    bind()
    KpiItem(keys.clinic_pk(clinic_id), keys.KPI_CURRENT_SK, generated_at=generated_at, kpis=kpis, charts=charts).save()


def load_kpis(clinic_id: str) -> Kpis | None:
    bind()
    try:
        item = KpiItem.get(keys.clinic_pk(clinic_id), keys.KPI_CURRENT_SK)
    except DoesNotExist:
        return None
    return Kpis(item.generated_at, item.kpis, item.charts)
