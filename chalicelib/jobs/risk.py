"""The daily risk run (schedule, fanned out one message per clinic): `chalicelib.services.risk.train_clinic`
trains the lapse model weekly on a sample of the patients' feature summaries, stores it (when
adopted) with the drop-out curves, and scores again the patients whose features changed or crossed
a time boundary; a clinic whose run returns a cursor goes on from it at the next call (its state
item keeps it). Then the uplift model from the reminders decided by chance
(chalicelib.services.uplift), which compares its ranking with the risk model's.

A run delivered twice is kept from running twice by its run record (chalicelib/jobs/clinic_jobs.py
guards this job).
"""

from __future__ import annotations


def train_clinic_models(clinic_id: str, cursor: str | None = None, deadline: float | None = None) -> dict:
    """One clinic's daily run: the risk model, then the uplift model. A risk run that stops at its
    budget (the invocation's `deadline`, time.monotonic()) returns a `cursor`, and the clinic job
    queue continues it; the uplift model trains once the risk run is done. A failure of either fails
    the clinic's message, which SQS retries alone (and parks after its receives)."""
    import time

    from chalicelib.services import uplift
    from chalicelib.services.risk import BUDGET_SECONDS, train_clinic

    budget = BUDGET_SECONDS if deadline is None else max(1.0, deadline - time.monotonic())
    risk = train_clinic(clinic_id, cursor, budget_seconds=budget)
    if risk.get("cursor"):
        return {"risk": risk, "cursor": risk["cursor"]}
    return {"risk": risk, "uplift": uplift.train_clinic(clinic_id)}
