"""The table's stream handler (DynamoDB Streams event source): every change to the table passes
through here once or more, and each consumer keeps what it derives from the changes current.

Consumers take one change (chalicelib.store.changes.Change) at a time. Each must be idempotent by
the change's `event_id` (a record can arrive again after a retry) and order-independent (records of
different items, in different shards, arrive in any order): it applies the difference between the
record's old and new image, never a value read elsewhere at processing time.

The event source mapping hands on only the changes of the items the consumers read (its filter
criteria: chalicelib.store.schema.STREAM_SORT_KEYS), so the consumers' own writes do not come back.

Powertools' BatchProcessor reports the failed records; for a stream, Lambda resumes the shard from
the first of them, so the records after a failure are handled again, which idempotency makes safe.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from chalicelib.observability import logger
from chalicelib.store.changes import Change, from_record, read_by_consumers

if TYPE_CHECKING:  # types only
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)

Consumer = Callable[[Change], None]


def consumers() -> list[Consumer]:
    """What the stream feeds, in the order each change is passed to them."""
    from chalicelib.services import kpi_counters
    from chalicelib.services.risk_summaries import on_change as risk_summary

    return [kpi_counters.apply, risk_summary]


def sort_keys_read() -> tuple[set[str], set[str]]:
    """The sort keys and sort key prefixes whose changes the consumers read: what the event source
    mapping's filter (chalicelib.store.schema.stream_filter_pattern) must let through."""
    from chalicelib.domain import risk_summary
    from chalicelib.store import counters

    return (set(counters.SORT_KEYS) | set(risk_summary.SORT_KEYS),
            set(counters.SORT_KEY_PREFIXES) | set(risk_summary.SORT_KEY_PREFIXES))


def apply(change: Change) -> None:
    for consume in consumers():
        consume(change)


def _record_handler(record: DynamoDBRecord) -> None:
    change = from_record(record.raw_event)
    if read_by_consumers(change):
        apply(change)


def handle(event: dict, context=None) -> PartialItemFailureResponse:
    reply = process_partial_response(event=event, record_handler=_record_handler, processor=processor,
                                     context=context)
    if reply.get("batchItemFailures"):
        logger.warning("stream records failed", extra={"failed": len(reply["batchItemFailures"]),
                                                       "records": len(event.get("Records") or [])})
    return reply
