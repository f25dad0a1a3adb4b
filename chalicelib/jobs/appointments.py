"""The no-show sweep (EventBridge, every 5 minutes): bookings still booked whose slot ended more than
the grace period ago become no_show.

It reads only the sparse due index (a booking leaves it when it is arrived, cancelled or missed), so
its cost follows the bookings that end, not the patients. It runs clinic by clinic, one message of the schedule's fan-out each. A sweep that dies halfway is safe to run
again: each change is conditional on the booking being still booked.
"""

from __future__ import annotations

import time as wallclock

from chalicelib.observability import logger


def mark_clinic(clinic_id: str, cursor: dict | None = None, deadline: float | None = None) -> dict:
    """One clinic's no-show sweep (one message of the `mark_no_shows` fan-out, jobs/clinic_jobs.py).
    Past `deadline` (time.monotonic()) it stops between pages and returns a `cursor`: a marked booking
    leaves the index, so the continuation reads it again from the start (the cursor counts the passes)."""
    from chalicelib.services.appointments import mark_no_shows as mark

    marked = 0
    while True:  # page by page, until a page comes back short
        done = mark(clinic_id, limit=100)
        marked += done
        if done < 100:
            break
        if deadline is not None and wallclock.monotonic() > deadline:
            return {"marked": marked, "cursor": {"pass": int((cursor or {}).get("pass", 0)) + 1}}
    if marked:
        logger.info("no-shows marked", extra={"clinic_id": clinic_id, "marked": marked})
    return {"marked": marked, "cursor": None}
