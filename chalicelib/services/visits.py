"""Recording visits (by staff or from a hospital CSV export), bookings and remissions.

A visit inside the window of a requested revisit date is an on-time revisit and earns the
clinic's on-time points. A visit or booking stops the recall reminders planned before it.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import date

from chalicelib.domain.clock import clock, iso, local_date
from chalicelib.domain.counters import due_groups
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


def _jobs_to_stop(clinic_id: str, patient_id: str, until_day: str, event: str = "visited",
                  jobs: list[recall.RecallJob] | None = None) -> list[recall.RecallJob]:
    from chalicelib.services.recall import jobs_to_stop

    return jobs_to_stop(clinic_id, patient_id, until_day, event, jobs)


def _converted_by(jobs: list[recall.RecallJob], visit_day: str, tz: str) -> list[recall.RecallJob]:
    """Messages sent to the patient that this visit converts (within 30 days after them), unless an
    earlier visit already did."""
    from chalicelib.domain.kpis import conversion_day, sent_day

    return [job for job in jobs
            if job.status == "sent" and job.processed_at
            and conversion_day(sent_day(job.processed_at, tz), [visit_day, *filter(None, [job.converted_on])])
            == visit_day != job.converted_on]


def record_visit(clinic_id: str, patient_id: str, *, visit_date: date, department: str,
                 next_due_date: date | None, recorded_by: str | None, source: str = "staff",
                 external_id: str | None = None, principal=None, idem=None, segment_event: bool = True) -> dict:
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
        visit_id = external_visit_id(source, external_id)
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
    jobs = recall.jobs_of(clinic_id, patient_id)
    # a second visit on the patient's latest day (dermatology after dental) may still set the next revisit day
    latest = newer or day == patient.last_visit_date
    change = visits.VisitWrite(
        patient=patient, visit=visit, new_last_visit=day if newer else None,
        new_revisit_due=visit.next_due_date if (visit.next_due_date and latest) else None,
        met_due=met, met_status=status,
        on_time_points=points_for(clinic.earning_rules, "revisit_on_time") if on_time else 0,
        stop_jobs=_jobs_to_stop(clinic_id, patient_id, day, jobs=jobs), now_iso=now,
        convert_jobs=_converted_by(jobs, day, clinic.tz),
        due_groups=due_groups({"patient_id": patient_id, "department": patient.department,
                               "conditions": patient.conditions, "segments": patient.segments,
                               "created_at": patient.created_at, "joined_challenges": patient.joined_challenges},
                              clinic_id),
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
    from chalicelib.services import segments

    # the visit is an interaction on its own day (an imported old visit does not make anyone recent);
    # an import re-evaluates each patient once, after all their rows (visit_moment)
    if segment_event:
        segments.record_event(clinic_id, patient_id, visit_moment(visit_date, clinic.tz))
    count("VisitsRecorded", source=source)
    return reply


def visit_moment(visit_date: date, tz: str):
    """When a visit counts as an interaction: noon of its day in the clinic, never later than now."""
    from datetime import time as wall

    from chalicelib.domain.clock import local_moment

    return min(clock.now(), local_moment(visit_date, wall(12), tz))


def external_visit_id(source: str, external_id: str) -> str:
    """The id of a visit known by an id outside Revisit (the hospital's visit number, a booking):
    the same visit seen again maps to the same id, so it is recorded once."""
    return "x" + hashlib.sha256(f"{source}:{external_id}".encode()).hexdigest()[:15]


def import_visit_id(external_id: str) -> str:
    """The id of an imported visit with the hospital's own number (as record_visit makes it for
    source "import"): a row seen again maps to the same visit."""
    return external_visit_id("import", external_id)


def import_csv(clinic_id: str, text: str, recorded_by: str | None, *, dry_run: bool = False) -> dict:
    """Import a visit export: good rows are recorded, bad rows come back with their line numbers.
    With `dry_run` nothing is written: the answer lists the rows that would be recorded."""
    try:
        from chalicelib.services import catalogue

        rows, errors = parse_visits(text, catalogue.get(clinic_id).codes("departments"))
    except ValueError as exc:
        raise BadRequest(str(exc), code="invalid_csv") from exc
    from chalicelib.services.import_owners import patients_of_rows

    imported = duplicates = 0
    problems = [e.as_dict() for e in errors]
    owners = patients_of_rows(clinic_id, rows, problems)
    today = local_date(clock.now(), clinics.get(clinic_id).tz)
    ready = []
    for row in rows:
        if row.line not in owners:
            continue
        if row.visit_date > today:
            problems.append({"line": row.line, "code": "invalid_date", "message": "visit_date is in the future",
                             "field": "visit_date"})
            continue
        ready.append(row)
    if dry_run:
        return _preview(clinic_id, ready, owners, problems)
    latest: dict[str, date] = {}  # each patient's latest visit recorded by this import
    for row in ready:
        patient_id = owners[row.line]
        try:
            record_visit(clinic_id, patient_id, visit_date=row.visit_date, department=row.department,
                         next_due_date=row.next_due_date, recorded_by=recorded_by, source="import",
                         external_id=row.external_id, segment_event=False)
            imported += 1
            latest[patient_id] = max(latest.get(patient_id, row.visit_date), row.visit_date)
        except AppError as err:
            if err.code == "visit_exists":
                duplicates += 1
                continue
            problems.append({"line": row.line, "code": err.code, "message": err.message, "field": err.field})
    if latest:
        from chalicelib.services import segments

        tz = clinics.get(clinic_id).tz
        for patient_id, day in latest.items():  # one segment re-evaluation per patient, not per row
            segments.record_event(clinic_id, patient_id, visit_moment(day, tz))
    problems.sort(key=lambda p: p["line"])
    return {"imported": imported, "duplicates": duplicates, "errors": problems}


def _preview(clinic_id: str, rows, owners: dict[int, str], problems: list[dict]) -> dict:
    """What an import of these rows would record, read in batches and written nowhere: the rows
    with their patient's masked name; rows whose visit is already recorded count as duplicates."""
    seen = visits.existing_visits(clinic_id, [(owners[r.line], r.visit_date.isoformat(), import_visit_id(r.external_id))
                                              for r in rows if r.external_id])
    names = patients.masked_names(clinic_id, set(owners.values()))
    preview, duplicates = [], 0
    for row in rows:
        patient_id = owners[row.line]
        if row.external_id and (patient_id, import_visit_id(row.external_id)) in seen:
            duplicates += 1
            continue
        preview.append({"line": row.line, "patient_id": patient_id, "name_masked": names.get(patient_id),
                        "date": row.visit_date.isoformat(), "department": row.department,
                        "next_due_date": row.next_due_date.isoformat() if row.next_due_date else None,
                        "external_id": row.external_id})
    problems.sort(key=lambda p: p["line"])
    return {"imported": 0, "duplicates": duplicates, "errors": problems, "dry_run": True, "preview": preview}


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
    """A booking stops the recall reminders planned before it (the patient is coming back).

    Every booking goes through here: a date typed by staff (POST /patients/{id}/bookings, a
    follow-up call's outcome) and a booked appointment (services.appointments, after its
    transaction), so both stop the same reminders and set the same `next_booking_date`."""
    patient = patients.get(clinic_id, patient_id)
    now = iso(clock.now())
    stopped = recall.stop_jobs(clinic_id, _jobs_to_stop(clinic_id, patient_id, day.isoformat(), "booked"), now,
                               reason="booked")
    # the latest booking is the one in force: the patient sees its day in the mini-program
    patients.update_profile(patient, {"next_booking_date": day.isoformat()})
    return {"booking_date": day.isoformat(), "reminders_stopped": stopped}
