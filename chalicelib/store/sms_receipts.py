"""SMS delivery receipts: written onto the delivery record of the message they report on (the
job's `deliveries`, the entry whose `provider_id` is the provider's serial number)."""

from __future__ import annotations

from pynamodb.exceptions import UpdateError

from chalicelib.store import db, keys
from chalicelib.store.models import RecallJobItem, bind


def record(clinic_id: str, patient_id: str, job_id: str, serial: str, delivered: bool, code: str | None,
           at: str | None) -> bool:
    """Mark the delivery `serial` of the job delivered or not; False when the job or the delivery
    is unknown (erased patient, someone else's serial). Recording the same receipt again is a no-op."""
    bind()
    try:
        item = RecallJobItem.get(keys.patient_pk(clinic_id, patient_id), job_id, consistent_read=True)
    except RecallJobItem.DoesNotExist:
        return False
    deliveries = [dict(d) for d in item.deliveries or []]
    entry = next((d for d in deliveries if d.get("provider_id") == serial), None)
    if entry is None:
        return False
    entry.update(receipt="delivered" if delivered else "undelivered", receipt_code=code, receipt_at=at)
    try:
        item.update(actions=[RecallJobItem.deliveries.set(deliveries)], condition=RecallJobItem.pk.exists())
    except UpdateError as exc:
        if db.condition_failed(exc):
            return False
        raise
    return True
