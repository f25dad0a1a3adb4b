"""Points expiry (schedule): expire what is left of each lot past its expiry day, clinic by clinic.

It reads only lots that still hold points and whose day has passed (gsi1 `<clinic>#LOTEXP`), so
its cost follows what expires, not the number of patients. It runs clinic by clinic, one message
of the schedule's fan-out each. Each lot expires in one transaction
with its ledger entry; running it twice expires nothing twice.
"""

from __future__ import annotations

import time as wallclock

from chalicelib.domain.clock import clock, iso, local_date
from chalicelib.observability import count, logger
from chalicelib.store import clinics, lots


def expire_clinic(clinic_id: str, cursor: dict | None = None, deadline: float | None = None) -> dict:
    """One clinic's expiry (one message of the `expire_points` fan-out, chalicelib/jobs/clinic_jobs.py).
    Past `deadline` (time.monotonic()) it stops and returns a `cursor`: an expired lot leaves the
    index, so the continuation reads it again from the start (the cursor only counts the passes)."""
    now = clock.now()
    totals: dict = {"lots": 0, "points": 0, "cursor": None}
    clinic = clinics.get(clinic_id)
    for lot in lots.due_lots(clinic_id, local_date(now, clinic.tz)):
        if totals["lots"] and deadline is not None and wallclock.monotonic() > deadline:
            totals["cursor"] = {"pass": int((cursor or {}).get("pass", 0)) + 1}
            break
        expired = lots.expire(lot, clinic_id, iso(now))
        if expired:
            totals["lots"] += 1
            totals["points"] += expired
    count("PointsExpired", totals["points"])
    logger.info("points expiry done", extra={"clinic_id": clinic_id, **totals})
    return totals
