"""The daily risk training (schedule, fanned out one message per clinic): train the clinic's lapse
model from its own history, store it with the drop-out curves, and score every patient
(chalicelib.services.risk); then the uplift model from the reminders decided by chance
(chalicelib.services.uplift), which compares its ranking with the fresh risk model's.

A second run makes a new model version and scores again, so a message delivered twice is kept from
running twice by its run record (chalicelib/jobs/clinic_jobs.py guards this job).
"""

from __future__ import annotations


def train_clinic_models(clinic_id: str) -> dict:
    """One clinic's daily training: the risk model, then the uplift model. A failure of either
    fails the clinic's message, which SQS retries alone (and parks after its receives)."""
    from chalicelib.services import uplift
    from chalicelib.services.risk import train_clinic

    risk = train_clinic(clinic_id)
    return {"risk": risk, "uplift": uplift.train_clinic(clinic_id)}
