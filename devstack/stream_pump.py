"""What Lambda's DynamoDB Streams event source mapping does, for the local stack and tests.

Reads every shard of the table's stream from where it last stopped, hands the records to the
handler in batches shaped as Lambda's stream events, and, when the handler reports a failed
record in `batchItemFailures`, stops that shard there: the next drain starts again at that record
(as the mapping retries a shard from its checkpoint), so a record is handled once or more, never
skipped. Records the mapping's filter criteria drop (chalicelib.store.schema.streamed) are passed
over as the mapping passes them over.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from chalicelib.aws import client
from chalicelib.config import settings
from chalicelib.store import schema

# stream ARN -> shard id -> the sequence number of the last record handled
_checkpoints: dict[str, dict[str, str]] = {}


def _streams() -> Any:
    conf = settings()
    if conf.aws_endpoint:
        return client("dynamodbstreams")
    import boto3

    # in-process moto matches the streams endpoint only with its trailing slash
    return boto3.client("dynamodbstreams", region_name=conf.region,
                        endpoint_url=f"https://streams.dynamodb.{conf.region}.amazonaws.com/")


def stream_arn() -> str | None:
    table = client("dynamodb").describe_table(TableName=settings().table_name)["Table"]
    return table.get("LatestStreamArn")


def _lambda_record(record: dict[str, Any], arn: str) -> dict[str, Any]:
    body = dict(record["dynamodb"])
    created = body.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        body["ApproximateCreationDateTime"] = created.timestamp()
    return {**record, "dynamodb": body, "eventSourceARN": arn}


def drain(handler: Callable[[dict[str, Any]], dict[str, Any]], *, batch_size: int = 100,
          max_batches: int = 10_000) -> dict[str, int]:
    """Hand every record not yet handled that the mapping's filter lets through (the sort keys of
    chalicelib.store.schema.STREAM_SORT_KEYS) to `handler`; returns how many were received, failed
    and filtered out."""
    arn = stream_arn()
    totals = {"received": 0, "failed": 0, "filtered": 0}
    if not arn:
        return totals
    streams = _streams()
    done = _checkpoints.setdefault(arn, {})
    shards = streams.describe_stream(StreamArn=arn)["StreamDescription"].get("Shards", [])
    batches = 0
    for shard in shards:
        shard_id = shard["ShardId"]
        if shard_id in done:
            start = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": done[shard_id]}
        else:
            start = {"ShardIteratorType": "TRIM_HORIZON"}
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard_id, **start)["ShardIterator"]
        while iterator and batches < max_batches:
            reply = streams.get_records(ShardIterator=iterator, Limit=batch_size)
            records = reply.get("Records", [])
            if not records:
                break
            batches += 1
            # the mapping's filter: records no consumer reads are dropped, as handled
            wanted = [r for r in records if schema.streamed(r["dynamodb"]["Keys"]["sk"]["S"])]
            result = (handler({"Records": [_lambda_record(r, arn) for r in wanted]}) or {}) if wanted else {}
            failures = [f["itemIdentifier"] for f in result.get("batchItemFailures", [])]
            totals["received"] += len(wanted)
            totals["filtered"] += len(records) - len(wanted)
            if failures:
                first = min(failures, key=int)
                handled = [r for r in records if int(r["dynamodb"]["SequenceNumber"]) < int(first)]
                if handled:
                    done[shard_id] = handled[-1]["dynamodb"]["SequenceNumber"]
                totals["failed"] += len([r for r in wanted if r not in handled])
                break  # the shard waits at its failed record until the next drain
            done[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]
            iterator = reply.get("NextShardIterator")
    return totals


def skip_to_latest() -> int:
    """Mark every record now in the stream as handled (after a snapshot restore: the restored
    table already holds what its records would build). Returns how many were skipped."""
    passed = drain(lambda event: {}, batch_size=1000)
    return passed["received"] + passed["filtered"]


def forget() -> None:
    """Start every stream from its beginning again (a fresh table)."""
    _checkpoints.clear()
