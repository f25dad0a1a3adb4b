"""The import job handler (SQS): import each queued chunk of a CSV import job once.

One message names one chunk (clinic, job, chunk number); chalicelib.services.imports does the
work. Powertools BatchProcessor reports failed records only, so SQS retries those alone and
parks them in the dead-letter queue after the configured receives; a chunk delivered again after
it was done is skipped (its done marker), and its visits are refused as duplicates if two
deliveries run at once.

`requeue_imports` (EventBridge, every 5 minutes, fanned out one message per clinic) sends again the chunks of running jobs that
never reached the queue or that made no progress (chalicelib.services.imports.requeue); a rerun
is safe for the same reason.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chalicelib.observability import logger

if TYPE_CHECKING:  # types only
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse

processor = BatchProcessor(event_type=EventType.SQS)


def import_chunk(message: dict) -> str:
    from chalicelib.services.imports import import_chunk as run

    return run(message["clinic_id"], message["job_id"], int(message["chunk"]))


def requeue_clinic(clinic_id: str) -> dict[str, int]:
    """One clinic's requeue sweep (one message of the `requeue_imports` fan-out, jobs/clinic_jobs.py)."""
    from chalicelib.services.imports import requeue

    return requeue(clinic_id)


def _record_handler(record: SQSRecord) -> None:
    body = json.loads(record.body)
    outcome = import_chunk(body)
    logger.info("import chunk processed", extra={"clinic_id": body["clinic_id"], "job_id": body["job_id"],
                                                 "chunk": body["chunk"], "outcome": outcome})


def handle(event: dict, context=None) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=_record_handler, processor=processor, context=context)
