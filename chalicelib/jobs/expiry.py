"""Points expiry (schedule): expire what is left of each lot past its expiry day, clinic by clinic.

It reads only lots that still hold points and whose day has passed (gsi1 `<clinic>#LOTEXP`), so
its cost follows what expires, not the number of patients. Each lot expires in one transaction
with its ledger entry; running it twice expires nothing twice.
"""

from __future__ import annotations

from chalicelib.domain.clock import clock, iso, local_date
from chalicelib.observability import count, logger
from chalicelib.store import clinics, lots


def expire_points() -> dict:
    now = clock.now()
    totals = {"lots": 0, "points": 0}
    for clinic_id in clinics.all_clinic_ids():
        clinic = clinics.get(clinic_id)
        for lot in lots.due_lots(clinic_id, local_date(now, clinic.tz)):
            expired = lots.expire(lot, clinic_id, iso(now))
            if expired:
                totals["lots"] += 1
                totals["points"] += expired
    count("PointsExpired", totals["points"])
    logger.info("points expiry done", extra=totals)
    return totals
