"""The daily risk training (schedule): per clinic, train the lapse model from its own history,
store it with the drop-out curves, and score every patient (chalicelib.services.risk); then the
uplift model from the reminders decided by chance (chalicelib.services.uplift), which compares
its ranking with the fresh risk model's."""

from __future__ import annotations

from chalicelib.observability import logger
from chalicelib.store import clinics


def train_risk_models() -> dict:
    from chalicelib.services.risk import train_clinic

    done = {}
    for clinic_id in clinics.all_clinic_ids():
        try:
            done[clinic_id] = train_clinic(clinic_id)
        except Exception:  # one clinic's failure must not keep the others unscored
            logger.exception("risk training failed", extra={"clinic_id": clinic_id})
            done[clinic_id] = {"status": "failed"}
    logger.info("risk models trained", extra={"clinics": len(done)})
    train_uplift_models()
    return done


def train_uplift_models() -> dict:
    from chalicelib.services.uplift import train_clinic

    done = {}
    for clinic_id in clinics.all_clinic_ids():
        try:
            done[clinic_id] = train_clinic(clinic_id)
        except Exception:  # one clinic's failure must not keep the others' models from training
            logger.exception("uplift training failed", extra={"clinic_id": clinic_id})
            done[clinic_id] = {"status": "failed"}
    return done
