"""The audit trail: who saw or changed what of a patient's personal data, when, from where and why.

Every other service records an event with one call, `record(principal, action, ...)`, before it
hands out decrypted data or after it changed something; the source IP and user agent come from the
request being handled (chalicelib.origin). Admins read the trail by day, patient or actor and export
it as CSV (itself audited). Nothing updates or deletes an event; each expires after the configured
retention (settings().audit_retention_days). See docs/audit.md.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

from chalicelib import origin
from chalicelib.config import settings
from chalicelib.domain.clock import clock, iso, local_date, local_moment
from chalicelib.errors import BadRequest
from chalicelib.observability import logger
from chalicelib.store import audit as store
from chalicelib.store import clinics

# The actions the trail records (docs/audit.md says when each is written).
VIEW_PATIENT = "view_patient"  # a staff view of a patient's decrypted personal data
REVEAL_PHONE = "reveal_phone"  # a patient's full phone number shown to call them, with the reason
EXPORT = "export"  # a list or a patient's data leaves the system (segment CSV, a patient's own export)
AUDIT_EXPORT = "audit_export"  # the audit trail itself exported as CSV
ERASE = "erase"  # a patient's record erased
CONSENT_CHANGE = "consent_change"  # a consent changed by staff on the patient's behalf
ROLE_CHANGE = "role_change"
STAFF_DISABLE = "staff_disable"
SIGN_IN = "sign_in"  # a staff sign-in that succeeded
STAFF_INVITE = "staff_invite"  # a staff account made (its role in the detail)
STAFF_ENABLE = "staff_enable"
CLINIC_CREATE = "clinic_create"  # a clinic made by the platform's operator (recorded in the new clinic)
# a household changed: founded, joined (and by whose invite), a carer set or ended, a dependant
# registered, a carer's check-in for a member, leaving (docs/households.md)
FAMILY_CHANGE = "family_change"
ACTIONS = (VIEW_PATIENT, REVEAL_PHONE, EXPORT, AUDIT_EXPORT, ERASE, CONSENT_CHANGE, ROLE_CHANGE, STAFF_DISABLE,
           SIGN_IN, STAFF_INVITE, STAFF_ENABLE, CLINIC_CREATE, FAMILY_CHANGE)

COMMAND_LINE = "command_line"  # the role of an operator acting from a command line (no request)
MAX_REASON = 200
MAX_PERIOD_DAYS = 366
DEFAULT_PERIOD_DAYS = 7


def _actor(principal) -> tuple[str, str]:
    """(who, role): a staff member by username, a patient by their id."""
    if principal.role in ("patient", "visitor"):
        return principal.patient_id or principal.subject, principal.role
    return principal.username or principal.subject, principal.role


def record(principal, action: str, patient_id: str | None = None, reason: str | None = None,
           detail: dict[str, Any] | None = None, *, clinic_id: str | None = None, actor: str | None = None) -> str:
    """Append one event and return its id. `principal` is the caller (staff or patient); None when
    the service knows the account by its username only (staff accounts, changed from a route or an
    operator's command), which then names `clinic_id` and `actor`: the route's caller with that
    username gives the role, else it is an operator's command. `detail` holds ids and counts
    only, never a name, phone or clinical value. A failure to record raises: the caller then does
    not hand out what it was about to."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    if principal is not None:
        who, role = _actor(principal)
        clinic_id = principal.clinic_id
    else:
        if not clinic_id:
            raise ValueError("an event without a caller names its clinic")
        caller = origin.current().caller  # a service called by a route names the account only
        if caller is not None and caller.clinic_id == clinic_id and actor and _actor(caller)[0] == actor:
            who, role = _actor(caller)
        else:
            who, role = actor or "unknown", COMMAND_LINE
    assert clinic_id is not None
    now = clock.now()
    where = origin.current()
    event = store.AuditEvent(
        clinic_id=clinic_id, event_id=uuid.uuid4().hex[:20], at=iso(now),
        day=local_date(now, _zone(clinic_id)).isoformat(), action=action, actor=who, actor_role=role,
        patient_id=patient_id, reason=(reason or None) and reason[:MAX_REASON], detail=detail or None,
        source_ip=where.source_ip, user_agent=where.user_agent)
    retention = int(settings().audit_retention_days)
    store.append(event, expires_at=int(now.timestamp()) + retention * 86400)
    logger.info("audited", extra={"action": action, "event_id": event.event_id})
    return event.event_id


def _zone(clinic_id: str) -> str:
    """The clinic's time zone; the platform's operators (no clinic record) use the default one."""
    from chalicelib.errors import NotFound

    try:
        return clinics.get(clinic_id).tz
    except NotFound:
        return settings().default_tz


def view(event: store.AuditEvent) -> dict:
    return {"event_id": event.event_id, "at": event.at, "day": event.day, "action": event.action,
            "actor": event.actor, "actor_role": event.actor_role, "patient_id": event.patient_id,
            "reason": event.reason, "detail": dict(event.detail or {}), "source_ip": event.source_ip,
            "user_agent": event.user_agent}


def _period(tz: str, first: date | None, last: date | None) -> tuple[date, date]:
    today = local_date(clock.now(), tz)
    last = min(last or today, today)  # nothing is recorded in the future
    first = first or (last - timedelta(days=DEFAULT_PERIOD_DAYS - 1))
    if first > last:
        raise BadRequest("from must not be after to", code="invalid_period", field="from")
    if (last - first).days >= MAX_PERIOD_DAYS:
        raise BadRequest(f"a period is at most {MAX_PERIOD_DAYS} days", code="period_too_long", field="to")
    return first, last


def page(clinic_id: str, *, first: date | None, last: date | None, patient_id: str | None, actor: str | None,
         limit: int, cursor: str | None) -> dict:
    """Events of a period of clinic-local days (default: the last seven), newest first, optionally
    of one patient and/or one actor, by cursor."""
    tz = clinics.get(clinic_id).tz
    first, last = _period(tz, first, last)
    scope = f"audit:{clinic_id}:{first}:{last}:{patient_id or ''}:{actor or ''}"
    if patient_id:
        start = iso(local_moment(first, time(0), tz))
        end = iso(local_moment(last + timedelta(days=1), time(0), tz))
        events, next_cursor = store.patient_page(clinic_id, patient_id, start, end, actor, limit, cursor, scope)
    else:
        days = [(last - timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]
        events, next_cursor = store.day_page(clinic_id, days, actor, limit, cursor, scope)
    from chalicelib.store import patients

    # the patient a row is about, by masked name (one batched read; an erased record has none)
    named = {e.patient_id for e in events if e.patient_id}
    names = patients.masked_names(clinic_id, named) if named else {}
    items = [{**view(e), "patient_name_masked": names.get(e.patient_id) if e.patient_id else None} for e in events]
    return {"from": first.isoformat(), "to": last.isoformat(), "items": items, "next_cursor": next_cursor}


CSV_COLUMNS = ("at", "day", "action", "actor", "actor_role", "patient_id", "reason", "source_ip", "user_agent",
               "detail", "event_id")
EXPORT_MAX_EVENTS = 20000  # one file; a longer trail is exported period by period


def export_csv(principal, *, first: date | None, last: date | None, patient_id: str | None,
               actor: str | None) -> str:
    """The events of a period as CSV for Excel (UTF-8 with BOM), newest first. The export is
    recorded before the file is made, so the trail shows it even if the download fails."""
    import json

    first, last = _period(clinics.get(principal.clinic_id).tz, first, last)  # a bad period is refused unrecorded
    record(principal, AUDIT_EXPORT, patient_id=patient_id,
           detail={"from": first.isoformat(), "to": last.isoformat(), **({"actor": actor} if actor else {})})
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    cursor, written = None, 0
    while written < EXPORT_MAX_EVENTS:
        found = page(principal.clinic_id, first=first, last=last, patient_id=patient_id, actor=actor,
                     limit=200, cursor=cursor)
        for row in found["items"]:
            row = {**row, "detail": json.dumps(row["detail"], ensure_ascii=False, sort_keys=True) if row["detail"] else ""}
            writer.writerow([_cell(row.get(name)) for name in CSV_COLUMNS])
            written += 1
        cursor = found["next_cursor"]
        if not cursor:
            break
    return out.getvalue()


def _cell(value: Any) -> str:
    """A CSV cell that a spreadsheet shows as text: a leading =, +, - or @ would start a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text

