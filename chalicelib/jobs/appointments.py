"""The no-show sweep (EventBridge, every 5 minutes): bookings still booked whose slot ended more than
the grace period ago become no_show.

It reads only the sparse due index (a booking leaves it when it is arrived, cancelled or missed), so
its cost follows the bookings that end, not the patients. A sweep that dies halfway is safe to run
again: each change is conditional on the booking being still booked.
"""

from __future__ import annotations

from chalicelib.observability import logger


def mark_no_shows() -> dict[str, int]:
    from chalicelib.services.appointments import mark_no_shows as mark
    from chalicelib.store import clinics

    marked = 0
    for clinic_id in clinics.all_clinic_ids():
        while True:  # page by page, until a page comes back short
            done = mark(clinic_id, limit=100)
            marked += done
            if done < 100:
                break
    if marked:
        logger.info("no-shows marked", extra={"marked": marked})
    return {"marked": marked}
