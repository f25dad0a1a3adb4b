"""The reminder sender (SQS handler): deliver each queued recall job once, if still wanted.

Powertools BatchProcessor reports failed records only, so SQS retries those alone and sends
them to the dead-letter queue after the configured receives.
"""

from __future__ import annotations

import json

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chalicelib.channels import inbox
from chalicelib.domain.clock import clock, iso
from chalicelib.domain.rules import nickname, render_template
from chalicelib.errors import NotFound
from chalicelib.observability import count, logger
from chalicelib.services.patients import decrypted, has_consent
from chalicelib.store import clinics, patients, recall

processor = BatchProcessor(event_type=EventType.SQS)


def deliver(clinic_id: str, pk: str, sk: str) -> str:
    """Deliver one job; returns what happened (sent, already_done, stopped, skipped_no_consent ...)."""
    job = recall.get_job(pk, sk)
    if job is None or not job.due_pk:
        return "already_done"
    now = iso(clock.now())
    try:
        patient = patients.get(clinic_id, job.patient_id, consistent=True)
    except NotFound:
        return "patient_gone"
    if patient.last_visit_date and patient.last_visit_date >= job.anchor_date:
        recall.close_job(job, "stopped", now, clinic_id)
        return "stopped"
    rule_items = {item.rule_id: item for item in clinics.recall_rules(clinic_id)}
    rule_item = rule_items.get(job.rule_id)
    if rule_item is None or not rule_item.active:
        recall.close_job(job, "stopped", now, clinic_id)
        return "stopped"
    if not has_consent(patient, rule_item.purpose):
        recall.close_job(job, "skipped_no_consent", now, clinic_id)
        return "skipped_no_consent"
    clinic = clinics.get(clinic_id)
    text = render_template(rule_item.template, nickname=nickname(decrypted(patient)["name"], patient.sex),
                           clinic=clinic.name)
    delivered = inbox.deliver(clinic_id, job, patient, title=clinic.name, body=text, purpose=rule_item.purpose, at=now)
    return "sent" if delivered else "already_done"


def _record_handler(record: SQSRecord) -> None:
    body = json.loads(record.body)
    outcome = deliver(body["clinic_id"], body["pk"], body["sk"])
    if outcome == "sent":
        count("RemindersSent")
    logger.info("reminder processed", extra={"clinic_id": body["clinic_id"], "outcome": outcome})


def handle(event: dict, context=None) -> dict:
    return process_partial_response(event=event, record_handler=_record_handler, processor=processor, context=context)
