"""Recorded anchor events (a visit, a remission, a surgery, a delivery, a package's end), so a
recall rule saved after them can count and plan the patients it reaches.

- anchor: pk=<clinic>#P#<patient> sk=ANCHOR#<anchor>#<date>#<scope>;
  gsi1 <clinic>#ANCHOR#<anchor> / <date>#<patient>#<scope>; TTL `expires_at`
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, NamedTuple

from chalicelib.store import db, keys
from chalicelib.store.models import AnchorItem, bind

# An anchor is kept while a rule's offset can still reach it (domain.rules.MAX_OFFSET_DAYS), and a month more.
KEEP_DAYS = 730 + 30


class AnchorRecord(NamedTuple):
    patient_id: str
    anchor: str
    day: date
    condition: str | None
    department: str | None
    conditions: tuple[str, ...]
    patient_department: str | None
    context: dict[str, Any] | None


class Profile(NamedTuple):
    """What the reach of a rule needs of a patient: the last visit and the consent map."""

    last_visit_date: str | None
    consents: dict[str, Any]


def anchor_item(clinic_id: str, patient_id: str, anchor: str, day: date, *, condition: str | None,
                department: str | None, conditions: Iterable[str], patient_department: str | None,
                context: dict[str, Any] | None) -> AnchorItem:
    """The item that keeps an anchor event (also what the demo seed writes in bulk)."""
    scope = condition or department or "-"
    expires = datetime.combine(day + timedelta(days=KEEP_DAYS), time(0), tzinfo=timezone.utc)
    return AnchorItem(keys.patient_pk(clinic_id, patient_id), keys.anchor_sk(anchor, day.isoformat(), scope),
                      gsi1pk=keys.anchors_pk(clinic_id, anchor),
                      gsi1sk=keys.anchor_sort(day.isoformat(), patient_id, scope),
                      patient_id=patient_id, anchor=anchor, anchor_date=day.isoformat(), condition=condition,
                      department=department, conditions=sorted(conditions) or None,
                      patient_department=patient_department, context=context or None,
                      expires_at=int(expires.timestamp()))


def record(clinic_id: str, patient_id: str, anchor: str, day: date, *, condition: str | None,
           department: str | None, conditions: Iterable[str], patient_department: str | None,
           context: dict[str, Any] | None) -> None:
    """Keep an anchor event (the same event again overwrites it with the same values)."""
    bind()
    anchor_item(clinic_id, patient_id, anchor, day, condition=condition, department=department,
                conditions=conditions, patient_department=patient_department, context=context).save()


def between(clinic_id: str, anchor: str, first: date, last: date) -> list[AnchorRecord]:
    """The clinic's recorded anchors of one kind from `first` to `last` (days, both included), page by page."""
    bind()
    condition = AnchorItem.gsi1sk.between(f"{first.isoformat()}#", f"{last.isoformat()}#\uffff")
    return [AnchorRecord(item.patient_id, item.anchor, date.fromisoformat(item.anchor_date), item.condition,
                         item.department, tuple(item.conditions or ()), item.patient_department, item.context)
            for item in AnchorItem.by_gsi1.query(keys.anchors_pk(clinic_id, anchor), condition, page_size=500)]


def profiles(clinic_id: str, patient_ids: Iterable[str]) -> dict[str, Profile]:
    """Last visit and consents of these patients (BatchGetItem, 100 a call); erased ones are absent."""
    found = db.batch_get([(keys.patient_pk(clinic_id, p), keys.PROFILE_SK) for p in patient_ids],
                         attributes=("patient_id", "last_visit_date", "consents"))
    out = {}
    for item in found.values():
        plain = db.plain_item(item)
        out[plain["patient_id"]] = Profile(plain.get("last_visit_date"), dict(plain.get("consents") or {}))
    return out


def planned_jobs(clinic_id: str, kind: str, source_id: str,
                 wanted: Iterable[tuple[str, str, int]]) -> set[tuple[str, str, int]]:
    """Which of these (patient, anchor date, offset) jobs of a source exist already, open or closed."""
    wanted = list(wanted)
    by_key = {(keys.patient_pk(clinic_id, p), keys.outbound_job_sk(kind, source_id, day, offset)): (p, day, offset)
              for p, day, offset in wanted}
    found = db.batch_get(by_key, attributes=("pk",))
    return {by_key[k] for k in found}
