"""Recording visits (by staff or from a hospital CSV export), bookings and remissions.

A visit inside the window of a requested revisit date is an on-time revisit and earns the
clinic's on-time points. A visit or booking stops the recall reminders planned before it.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import date

from chalicelib import crypto
from chalicelib.domain.clock import clock, iso, local_date
from chalicelib.domain.privacy import normalise_phone
from chalicelib.domain.rules import is_on_time, points_for
from chalicelib.domain.visit_csv import parse_visits
from chalicelib.errors import AppError, BadRequest, NotFound
from chalicelib.observability import count
from chalicelib.store import clinics, history, patients, recall, visits


def _met_due(pending, visit_day: date):
    """The earliest pending revisit request this visit answers (not one far in the future)."""
    from chalicelib.domain.rules import ON_TIME_WINDOW_DAYS

    for due in sorted(pending, key=lambda d: d.due_date):
        due_day = date.fromisoformat(due.due_date)
        if (due_day - visit_day).days <= ON_TIME_WINDOW_DAYS:
            return due, ("on_time" if is_on_time(visit_day, due_day) else "late")
    return None, None


def _jobs_to_stop(clinic_id: str, patient_id: str, until_day: str, event: str = "visited") -> list[recall.RecallJob]:
    from chalicelib.services.recall import jobs_to_stop

    return jobs_to_stop(clinic_id, patient_id, until_day, event)


def record_visit(clinic_id: str, patient_id: str, *, visit_date: date, department: str,
                 next_due_date: date | None, recorded_by: str | None, source: str = "staff",
                 external_id: str | None = None, principal=None, idem=None) -> dict:
    from chalicelib.services import catalogue

    clinic = clinics.get(clinic_id)
    catalogue.require(catalogue.of_clinic(clinic), "departments", [department], "department")
    today = local_date(clock.now(), clinic.tz)
    if visit_date > today:
        raise BadRequest("visit_date is in the future", code="invalid_date", field="visit_date")
    if next_due_date is not None and next_due_date <= visit_date:
        raise BadRequest("next_due_date must follow visit_date", code="invalid_date", field="next_due_date")
    patient = patients.get(clinic_id, patient_id, consistent=True)
    if external_id:
        visit_id = "x" + hashlib.sha256(f"{source}:{external_id}".encode()).hexdigest()[:15]
    elif idem is not None:
        visit_id = "k" + hashlib.sha256(f"{idem.scope}:{idem.key}".encode()).hexdigest()[:15]
    else:
        visit_id = uuid.uuid4().hex[:16]
    day = visit_date.isoformat()
    met, status = _met_due(visits.pending_dues(clinic_id, patient_id), visit_date)
    on_time = status == "on_time"
    now = iso(clock.now())
    visit = visits.new_visit(clinic_id, patient_id, visit_id=visit_id, visit_date=day, department=department,
                             next_due_date=next_due_date.isoformat() if next_due_date else None,
                             on_time=on_time, source=source, recorded_by=recorded_by, recorded_at=now)
    newer = patient.last_visit_date is None or day > patient.last_visit_date
    change = visits.VisitWrite(
        patient=patient, visit=visit, new_last_visit=day if newer else None,
        new_revisit_due=visit.next_due_date if (visit.next_due_date and newer) else None,
        met_due=met, met_status=status,
        on_time_points=points_for(clinic.earning_rules, "revisit_on_time") if on_time else 0,
        stop_jobs=_jobs_to_stop(clinic_id, patient_id, day), now_iso=now,
    )
    if change.on_time_points:
        from chalicelib.store import earning as payouts
        from chalicelib.store.points import read_board

        board = read_board(*payouts.board_key(clinic_id, patient_id, today))
        change.earning = payouts.plan(clinic, patient, "revisit_on_time", change.on_time_points, today, board)
    reply = {"visit": history.visit_row(visit), "points_awarded": change.on_time_points}
    visits.write_visit(change, principal=principal, idem=idem, reply=reply)
    if newer:  # a visit is an anchor: plan the rules anchored on visits (the stale ones are skipped)
        from chalicelib.services.recall import plan_for_anchor

        plan_for_anchor(clinic_id, patient_id, "visit", visit_date, department=department, patient=patient)
    from chalicelib.services import experiments

    experiments.on_visit(clinic, patient, day, visit_id)
    from datetime import time as wall

    from chalicelib.domain.clock import local_moment
    from chalicelib.services import segments

    # the visit is an interaction on its own day (an imported old visit does not make anyone recent)
    segments.record_event(clinic_id, patient_id, min(clock.now(), local_moment(visit_date, wall(12), clinic.tz)))
    count("VisitsRecorded", source=source)
    return reply


def patient_of_row(clinic_id: str, row, problems: list[dict]) -> str | None:
    """The patient an import row names by id or by phone; a phone nobody has is reported into `problems`."""
    if row.patient_id:
        return row.patient_id
    phone_hash = crypto.keyed_hash("phone", clinic_id, normalise_phone(row.phone or ""))
    patient_id = patients.by_phone(clinic_id, phone_hash)
    if not patient_id:
        problems.append({"line": row.line, "code": "patient_not_found", "message": "no patient with this phone",
                         "field": "phone"})
    return patient_id


def import_csv(clinic_id: str, text: str, recorded_by: str | None) -> dict:
    """Import a visit export: good rows are recorded, bad rows come back with their line numbers."""
    try:
        from chalicelib.services import catalogue

        rows, errors = parse_visits(text, catalogue.get(clinic_id).codes("departments"))
    except ValueError as exc:
        raise BadRequest(str(exc), code="invalid_csv") from exc
    imported = duplicates = 0
    problems = [e.as_dict() for e in errors]
    for row in rows:
        patient_id = patient_of_row(clinic_id, row, problems)
        if not patient_id:
            continue
        try:
            record_visit(clinic_id, patient_id, visit_date=row.visit_date, department=row.department,
                         next_due_date=row.next_due_date, recorded_by=recorded_by, source="import",
                         external_id=row.external_id)
            imported += 1
        except AppError as err:
            if err.code == "visit_exists":
                duplicates += 1
                continue
            problems.append({"line": row.line, "code": err.code, "message": err.message, "field": err.field})
    problems.sort(key=lambda p: p["line"])
    return {"imported": imported, "duplicates": duplicates, "errors": problems}


def record_remission(clinic_id: str, patient_id: str, condition: str, day: date) -> dict:
    """Plan the recall reminders anchored on a remission of this condition."""
    from chalicelib.services.recall import plan_for_anchor

    clinic = clinics.get(clinic_id)
    patient = patients.get(clinic_id, patient_id)
    if condition not in patient.conditions:
        raise BadRequest("the patient has no such condition", code="unknown_condition", field="condition")
    if day > local_date(clock.now(), clinic.tz):
        raise BadRequest("date is in the future", code="invalid_date", field="date")
    planned = plan_for_anchor(clinic_id, patient_id, "remission", day, condition=condition, patient=patient)
    if not planned:
        raise NotFound("no active recall rule for this condition", code="no_recall_rule", field="condition")
    return {"planned": planned}


def record_booking(clinic_id: str, patient_id: str, day: date) -> dict:
    """A booking stops the recall reminders planned before it (the patient is coming back)."""
    patient = patients.get(clinic_id, patient_id)
    now = iso(clock.now())
    stopped = recall.stop_jobs(clinic_id, _jobs_to_stop(clinic_id, patient_id, day.isoformat(), "booked"), now,
                               reason="booked")
    # the latest booking is the one in force: the patient sees its day in the mini-program
    patients.update_profile(patient, {"next_booking_date": day.isoformat()})
    return {"booking_date": day.isoformat(), "reminders_stopped": stopped}
