"""The audit trail's storage: append-only items, one partition per clinic and clinic-local day.

- event: pk=<clinic>#AUDIT#<day> sk=<UTC time>#<event id>, written once with a condition that the
  key is new (a second write of the same key is refused, never an overwrite) and never updated;
  `expires_at` (the table's TTL attribute) ends it after the configured retention
- a patient's events: the same items in gsi1 under <clinic>#AUDITP#<patient> / <UTC time>#<event id>

Nothing here updates or deletes an audit item: the only write is `append`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from pynamodb.exceptions import PutError

from chalicelib.errors import BadRequest, Conflict
from chalicelib.store import db, keys
from chalicelib.store.models import AuditItem, bind
from chalicelib.store.schema import GSI1


class AuditEvent(NamedTuple):
    """One audited action: who, when, which patient, from where, why."""

    clinic_id: str
    event_id: str
    at: str  # UTC
    day: str  # clinic-local
    action: str
    actor: str
    actor_role: str
    patient_id: str | None = None
    reason: str | None = None
    detail: dict[str, Any] | None = None
    source_ip: str | None = None
    user_agent: str | None = None


class AuditExists(Conflict):
    """An audit item with this key is already stored: the trail is never overwritten."""


def append(event: AuditEvent, expires_at: int) -> None:
    """Write the event once; an item already under its key is left as it is and refused."""
    bind()
    item = AuditItem(keys.audit_day_pk(event.clinic_id, event.day), keys.audit_sk(event.at, event.event_id),
                     event_id=event.event_id, at=event.at, day=event.day, action=event.action, actor=event.actor,
                     actor_role=event.actor_role, patient_id=event.patient_id, reason=event.reason,
                     detail=event.detail, source_ip=event.source_ip, user_agent=event.user_agent,
                     expires_at=expires_at)
    if event.patient_id:
        item.gsi1pk = keys.audit_patient_pk(event.clinic_id, event.patient_id)
        item.gsi1sk = keys.audit_sk(event.at, event.event_id)
    try:
        item.save(condition=AuditItem.pk.does_not_exist())
    except PutError as exc:
        if db.condition_failed(exc):
            raise AuditExists("an audit event with this key exists; the trail is never overwritten",
                              code="audit_event_exists") from exc
        raise


_FIELDS = AuditEvent._fields


def _event(clinic_id: str, raw: dict[str, Any]) -> AuditEvent:
    plain = db.plain_item(raw)
    if isinstance(plain.get("detail"), str):  # a JSONAttribute: the raw item holds it as JSON text
        import json

        plain["detail"] = json.loads(plain["detail"])
    plain["clinic_id"] = clinic_id
    values: dict[str, Any] = {name: plain.get(name) for name in _FIELDS}
    return AuditEvent(**values)


def _filtered(params: dict[str, Any], actor: str | None) -> dict[str, Any]:
    if actor:
        params["FilterExpression"] = "actor = :actor"
        params["ExpressionAttributeValues"][":actor"] = {"S": actor}
    return params


# A page over many empty days reads at most this many day partitions, then answers with what it
# found and a cursor to go on (a short page is not the last one while a cursor comes back).
MAX_DAYS_PER_PAGE = 31


def day_page(clinic_id: str, days: list[str], actor: str | None, limit: int, cursor: str | None,
             scope: str) -> tuple[list[AuditEvent], str | None]:
    """Events of these days (newest day first), newest first, optionally of one actor, by signed cursor."""
    start = db.decode_cursor(cursor, scope)
    index, last_key = 0, None
    if start:
        if start.get("day") not in days:
            raise BadRequest("cursor is not valid for this query", code="invalid_cursor", field="cursor")
        index, last_key = days.index(start["day"]), start.get("key")
    found: list[AuditEvent] = []
    reads = 0
    while index < len(days) and len(found) < limit and reads < MAX_DAYS_PER_PAGE:
        params = _filtered({
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": keys.audit_day_pk(clinic_id, days[index])}},
            "ScanIndexForward": False, "Limit": limit - len(found),
        }, actor)
        if last_key:
            params["ExclusiveStartKey"] = last_key
        page = db.query_raw(**params)
        reads += 1
        found.extend(_event(clinic_id, item) for item in page.get("Items", []))
        last_key = page.get("LastEvaluatedKey")
        if not last_key:
            index += 1
    more = index < len(days)
    return found, db.encode_cursor({"day": days[index], "key": last_key} if more else None, scope)


def patient_page(clinic_id: str, patient_id: str, first_at: str, end_at: str, actor: str | None, limit: int,
                 cursor: str | None, scope: str) -> tuple[list[AuditEvent], str | None]:
    """One patient's events with first_at <= time < end_at, newest first, by signed cursor (gsi1)."""
    params = _filtered({
        "IndexName": GSI1,
        "KeyConditionExpression": "gsi1pk = :pk AND gsi1sk BETWEEN :first AND :end",
        "ExpressionAttributeValues": {":pk": {"S": keys.audit_patient_pk(clinic_id, patient_id)},
                                      ":first": {"S": first_at}, ":end": {"S": end_at}},
        "ScanIndexForward": False, "Limit": limit,
    }, actor)
    start = db.decode_cursor(cursor, scope)
    if start:
        params["ExclusiveStartKey"] = start
    found: list[AuditEvent] = []
    while True:
        page = db.query_raw(**params)
        found.extend(_event(clinic_id, item) for item in page.get("Items", []))
        last = page.get("LastEvaluatedKey")
        if not last or len(found) >= limit:
            return found[:limit], db.encode_cursor(last, scope)
        params = {**params, "ExclusiveStartKey": last, "Limit": limit - len(found)}
