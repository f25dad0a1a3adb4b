"""The daily risk run (schedule): per clinic, `chalicelib.services.risk.train_clinic` trains the
lapse model weekly on a sample of the patients' feature summaries, stores it (when adopted) with
the drop-out curves, and scores again the patients whose features changed or crossed a time
boundary; a clinic whose run returns a cursor goes on from it at the next call (its state item
keeps it). Then the uplift model from the reminders decided by chance
(chalicelib.services.uplift), which compares its ranking with the risk model's."""

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
