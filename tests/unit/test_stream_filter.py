"""The stream's filter criteria: the event source mapping hands the handler exactly the changes its
consumers read, and none of the consumers' own writes (which would otherwise come back as records)."""

import json

import pytest
from moto.events.models import EventPattern, EventPatternParser

from chalicelib.jobs import changes
from chalicelib.store import keys, schema


def _record(sk: str) -> dict:
    return {"eventName": "MODIFY", "dynamodb": {"Keys": {"pk": {"S": "c1#P#p1"}, "sk": {"S": sk}},
                                                "SequenceNumber": "1"}}


def _lambda_lets_through(sk: str) -> bool:
    """The pattern as the service evaluates it (EventBridge's matcher, the same pattern language)."""
    raw = json.dumps(schema.stream_filter_pattern())
    return EventPattern(raw, EventPatternParser(raw).parse()).matches_event(_record(sk))


def test_the_filter_lets_through_what_the_consumers_read_and_no_more():
    exact, prefixes = changes.sort_keys_read()
    assert exact == set(schema.STREAM_SORT_KEYS)
    assert prefixes == set(schema.STREAM_SORT_KEY_PREFIXES)


READ = [keys.PROFILE_SK, f"{keys.REVISIT_DUE}2026-12-01#v1", f"{keys.OUTBOUND_JOB}r1#2026-12-01",
        "VISIT#2026-12-01#v1", "CHECKIN#2026-12-01T08:00:00Z#glucose", "LEDGER#2026-12-01T08:00:00Z#share:x",
        "INBOX#2026-12-01T08:00:00Z#m1", "FUOUT#2026-12-01#c1"]
# the consumers' own writes, and items of other partitions the counters and summaries never read
NOT_READ = ["TOTAL", "DAY#2026-12-01", "STATE", "EVENT", keys.RISK_SUMMARY_SK, "KPI#DAY#2026-12-01", "KPI#CURRENT",
            "CLINIC", "SESSION#abc", "PROFILEX", "XPROFILE", "due#lower"]


@pytest.mark.parametrize("sk", READ)
def test_a_change_the_consumers_read_reaches_the_handler(sk):
    assert schema.streamed(sk) and _lambda_lets_through(sk)


@pytest.mark.parametrize("sk", NOT_READ)
def test_a_change_no_consumer_reads_is_dropped_by_the_mapping(sk):
    assert not schema.streamed(sk) and not _lambda_lets_through(sk)


def test_the_handler_drops_what_the_filter_would_have_dropped(monkeypatch):
    seen: list[str] = []
    monkeypatch.setattr(changes, "apply", lambda change: seen.append(change.sk))
    event = {"Records": [{**_record(sk), "eventID": str(i), "eventSource": "aws:dynamodb",
                          "eventSourceARN": "arn:aws:dynamodb:ap-east-1:1:table/t/stream/s"}
                         for i, sk in enumerate(["TOTAL", keys.PROFILE_SK, "EVENT"])]}
    for i, record in enumerate(event["Records"]):
        record["dynamodb"]["ApproximateCreationDateTime"] = 1_700_000_000 + i
        record["dynamodb"]["SequenceNumber"] = str(i + 1)
    assert changes.handle(event) == {"batchItemFailures": []}
    assert seen == [keys.PROFILE_SK]
