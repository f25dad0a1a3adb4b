"""The table's stream handler (DynamoDB Streams event source): every change to the table passes
through here once or more, and each consumer keeps what it derives from the changes current.

Consumers take one change (chalicelib.store.changes.Change) at a time. Each must be idempotent by
the change's `event_id` (a record can arrive again after a retry) and order-independent (records of
different items, in different shards, arrive in any order): it applies the difference between the
record's old and new image, never a value read elsewhere at processing time.

Powertools' BatchProcessor reports the failed records; for a stream, Lambda resumes the shard from
the first of them, so the records after a failure are handled again, which idempotency makes safe.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from chalicelib.observability import logger
from chalicelib.store.changes import Change, from_record

if TYPE_CHECKING:  # types only
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)

Consumer = Callable[[Change], None]


def consumers() -> list[Consumer]:
    """What the stream feeds, in the order each change is passed to them."""
    from chalicelib.services import kpi_counters
    from chalicelib.services.risk_summaries import on_change as risk_summary

    return [kpi_counters.apply, risk_summary]


def apply(change: Change) -> None:
    for consume in consumers():
        consume(change)


def _record_handler(record: DynamoDBRecord) -> None:
    apply(from_record(record.raw_event))


def handle(event: dict, context=None) -> PartialItemFailureResponse:
    reply = process_partial_response(event=event, record_handler=_record_handler, processor=processor,
                                     context=context)
    if reply.get("batchItemFailures"):
        logger.warning("stream records failed", extra={"failed": len(reply["batchItemFailures"]),
                                                       "records": len(event.get("Records") or [])})
    return reply
