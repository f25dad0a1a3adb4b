"""The one table's physical shape: keys and indexes, shared by the local bootstrap,
the CloudFormation template in infra/ and the PynamoDB models.

Single-table design: every partition key starts with the clinic (tenant) id, except the
small clinic registry the schedules iterate over. See docs/access-patterns.md.
"""

from __future__ import annotations

from typing import Any, TypedDict


GSI1 = "gsi1"  # overloaded: patient list, condition/last-visit, revisit-due dates, reminder log
DUE_INDEX = "due"  # sparse: only items with something due carry due_pk/due_sk

TABLE_KEYS = [("pk", "S"), ("sk", "S")]


class IndexShape(TypedDict):
    keys: list[tuple[str, str]]  # (attribute, type) of the hash key, then of the range key
    projection: str


INDEXES: dict[str, IndexShape] = {
    GSI1: {"keys": [("gsi1pk", "S"), ("gsi1sk", "S")], "projection": "ALL"},
    DUE_INDEX: {"keys": [("due_pk", "S"), ("due_sk", "S")], "projection": "KEYS_ONLY"},
}

TTL_ATTRIBUTE = "expires_at"
STREAM_VIEW_TYPE = "NEW_AND_OLD_IMAGES"

# The changes the stream's consumers read (chalicelib.jobs.changes): a patient's profile, requested
# revisits, messages, visits, check-ins, ledger entries, inbox messages and follow-up outcomes. The
# event source mapping hands the handler only records whose sort key is one of these (its filter
# criteria, infra/render.py), so the consumers' own writes (counters, markers, summaries) and the
# many changes no consumer reads never invoke it. Each consumer names what it reads
# (`SORT_KEYS`, `SORT_KEY_PREFIXES`); tests/unit/test_stream_filter.py holds these to their union.
STREAM_SORT_KEYS = ("PROFILE",)
STREAM_SORT_KEY_PREFIXES = ("DUE#", "OUT#", "VISIT#", "CHECKIN#", "LEDGER#", "INBOX#", "FUOUT#")


def streamed(sort_key: str) -> bool:
    """Whether a change of the item with this sort key reaches the stream handler."""
    return sort_key in STREAM_SORT_KEYS or sort_key.startswith(STREAM_SORT_KEY_PREFIXES)


def stream_filter_pattern() -> dict[str, Any]:
    """Lambda's event filter pattern for the stream's event source mapping (what `streamed` says)."""
    values: list[Any] = [*STREAM_SORT_KEYS, *({"prefix": prefix} for prefix in STREAM_SORT_KEY_PREFIXES)]
    return {"dynamodb": {"Keys": {"sk": {"S": values}}}}


def attribute_definitions() -> list[dict[str, Any]]:
    seen: dict[str, str] = dict(TABLE_KEYS)
    for index in INDEXES.values():
        seen.update(dict(index["keys"]))
    return [{"AttributeName": name, "AttributeType": kind} for name, kind in seen.items()]


def key_schema(keys: list[tuple[str, str]]) -> list[dict[str, Any]]:
    return [
        {"AttributeName": keys[0][0], "KeyType": "HASH"},
        {"AttributeName": keys[1][0], "KeyType": "RANGE"},
    ]


def global_secondary_indexes() -> list[dict[str, Any]]:
    return [
        {
            "IndexName": name,
            "KeySchema": key_schema(index["keys"]),
            "Projection": {"ProjectionType": index["projection"]},
        }
        for name, index in INDEXES.items()
    ]


def create_table_request(table_name: str) -> dict[str, Any]:
    """Arguments for DynamoDB CreateTable (on-demand billing)."""
    return {
        "TableName": table_name,
        "AttributeDefinitions": attribute_definitions(),
        "KeySchema": key_schema(TABLE_KEYS),
        "GlobalSecondaryIndexes": global_secondary_indexes(),
        "BillingMode": "PAY_PER_REQUEST",
        # the KPI counters (and what else derives from changes) read the table's stream: docs/kpis.md
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": STREAM_VIEW_TYPE},
    }
