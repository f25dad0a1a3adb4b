"""Segment jobs: flips of time-relative rules (patients in the due index only) and the first
build of a new or edited segment (a resumable walk of the patient list, page by page).

Both run clinic by clinic, one message of their schedule's fan-out each (jobs/clinic_jobs.py), and
both are safe to kill and run again: every write is decided from the patient's current
profile and guarded by its `seg_version`, and a build saves its cursor and counts only after
the page they describe is written.
"""

from __future__ import annotations

import time as wallclock

from chalicelib.domain.clock import clock, iso, local_date
from chalicelib.observability import count, logger
from chalicelib.services import segments as service
from chalicelib.store import clinics
from chalicelib.store import segments as store

PAGE_SIZE = 100


def refresh_clinic(clinic_id: str, cursor: dict | None = None, deadline: float | None = None,
                   page_size: int = PAGE_SIZE) -> dict:
    """Re-evaluate one clinic's patients whose next flip has come (due index `<clinic>#SEGDUE`; one
    message of the `refresh_segments` fan-out, jobs/clinic_jobs.py). Past `deadline`
    (time.monotonic()) it stops between pages and returns the index position as `cursor`, where the
    continuation starts."""
    now = clock.now()
    totals: dict = {"due": 0, "cursor": None}
    start = cursor
    while True:
        patient_ids, start = store.due_flips_page(clinic_id, iso(now), start, page_size)
        for patient_id in patient_ids:
            totals["due"] += 1
            service.reevaluate(clinic_id, patient_id)
        if not start:
            break
        if deadline is not None and wallclock.monotonic() > deadline:
            totals["cursor"] = start
            break
    count("SegmentFlipsEvaluated", totals["due"])
    logger.info("segment flips done", extra={"clinic_id": clinic_id, "due": totals["due"],
                                             "more": totals["cursor"] is not None})
    return totals


def build_clinic(clinic_id: str, cursor: dict | None = None, deadline: float | None = None,
                 page_size: int = PAGE_SIZE, max_pages: int | None = None) -> dict:
    """Run one clinic's open builds and clean-ups whose start time has come, resuming where the last
    run stopped (one message of the `build_segments` fan-out). A build saves its own cursor with
    the segment; when `deadline` (time.monotonic()) stops one, the returned `cursor` asks for a
    continuation, which resumes from the saved one (the cursor only counts the passes)."""
    now = clock.now()
    totals: dict = {"segments": 0, "pages": 0, "ready": 0, "removed": 0, "cursor": None}
    for segment_id in store.due_builds(clinic_id, iso(now)):
        item = store.for_build(clinic_id, segment_id)
        if item is None:
            continue
        totals["segments"] += 1
        budget = None if max_pages is None else max_pages - totals["pages"]
        if budget is not None and budget <= 0:
            break
        if deadline is not None and totals["pages"] and wallclock.monotonic() > deadline:
            totals["cursor"] = {"pass": int((cursor or {}).get("pass", 0)) + 1}
            break
        if item.status == "deleting":
            totals["removed"] += _clean_up(clinic_id, item)
            continue
        pages, done = build(clinic_id, item, page_size=page_size, max_pages=budget, deadline=deadline)
        totals["pages"] += pages
        totals["ready"] += 1 if done else 0
        if not done and deadline is not None and wallclock.monotonic() > deadline:
            totals["cursor"] = {"pass": int((cursor or {}).get("pass", 0)) + 1}
            break
    logger.info("segment builds done", extra={"clinic_id": clinic_id, **totals})
    return totals


def build(clinic_id: str, item: store.Segment, *, page_size: int = PAGE_SIZE, max_pages: int | None = None,
          deadline: float | None = None) -> tuple[int, bool]:
    """Walk the clinic's patients from the saved cursor; after each page save the cursor and counts.

    Each patient is evaluated against every live segment (so the walk also repairs anything
    stale), with the whole profile the patient list projects: no read per patient. Returns
    (pages done, whether the build finished).
    """
    clinic = clinics.get(clinic_id)
    now = clock.now()
    if not item.build_started_at:
        store.start_build(item, iso(now), item.total_estimate)
    definitions = store.definitions(clinic_id, fresh=True)
    if not any(d.segment_id == item.segment_id and int(d.version) == int(item.version) for d in definitions):
        return 0, False  # edited since this run read it; the next run builds the new version
    cursor = item.build_cursor
    processed, members = int(item.processed or 0), int(item.build_members or 0)
    pages = 0
    joined_on = local_date(now, clinic.tz).isoformat()
    while True:
        patients, next_cursor = store.patients_page(clinic_id, cursor, page_size)
        for patient in patients:
            change = service.decide(patient, definitions, now, clinic.tz)
            after = set(patient.segments or ())
            if not change.empty:
                if store.write_change(patient, change, iso(now), joined_on):
                    after = service.memberships_after(patient, change)
                    service.joined(clinic_id, patient.patient_id, change.joins, local_date(now, clinic.tz))
                else:  # an event changed this profile after the page was read: evaluate it afresh
                    after = service.reevaluate(clinic_id, patient.patient_id) or set()
            members += 1 if item.segment_id in after else 0
        processed += len(patients)
        pages += 1
        done = next_cursor is None
        if not store.save_progress(item, cursor=next_cursor, processed=processed, members=members, done=done,
                                   at=iso(clock.now())):
            return pages, False
        cursor = next_cursor
        if done:
            count("SegmentsBuilt")
            return pages, True
        if (max_pages is not None and pages >= max_pages) or (deadline is not None and wallclock.monotonic() > deadline):
            return pages, False


def _clean_up(clinic_id: str, item: store.Segment) -> int:
    """Take a deleted segment's member items away, then the segment itself."""
    removed = 0
    for member in list(store.all_members(clinic_id, item.segment_id)):
        store.remove_member(clinic_id, member.patient_id, item.segment_id)
        removed += 1
    store.remove(item)
    return removed
