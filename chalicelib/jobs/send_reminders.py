"""The reminder sender (SQS handler): deliver each queued outbound job once, if still wanted.

The delivery rules (consent, quiet hours, caps, channels) live in chalicelib.services.outbound.
Powertools BatchProcessor reports failed records only, so SQS retries those alone and sends
them to the dead-letter queue after the configured receives.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chalicelib.observability import count, logger

if TYPE_CHECKING:  # types only
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse

processor = BatchProcessor(event_type=EventType.SQS)


def deliver(message: dict) -> str:
    """Deliver the job a queue message names; returns what happened (sent, deferred, capped,
    stopped, skipped_no_consent ...)."""
    from chalicelib.services.outbound import deliver as run

    return run(message)


def _record_handler(record: SQSRecord) -> None:
    body = json.loads(record.body)
    outcome = deliver(body)
    if outcome == "sent":
        count("RemindersSent")
    logger.info("reminder processed", extra={"clinic_id": body["clinic_id"], "outcome": outcome})


def handle(event: dict, context=None) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=_record_handler, processor=processor, context=context)
