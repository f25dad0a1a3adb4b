"""The clinic's KPI counters: pk=<clinic>#COUNTERS, sk=TOTAL or DAY#<clinic-local day>, each item
a flat map of counter names to numbers (chalicelib.domain.counters names them).

A stream record moves counters once: its ADDs go in one TransactWriteItems with a marker item
named by the record's event id (pk=<clinic>#STREAMEVT#<event id>, kept two days by the table's TTL, longer
than a stream keeps a record), put only if absent. A record seen again finds its marker and moves
nothing. The backfill of an existing clinic keeps its progress in pk=<clinic>#COUNTERS sk=STATE.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from chalicelib.config import settings
from chalicelib.store import db, keys

TOTAL_SK = "TOTAL"
DAY = "DAY#"
STATE_SK = "STATE"
MARKER_TTL_SECONDS = 2 * 86400
MAX_ITEMS = 100  # TransactWriteItems' limit (the marker is one of them)


def counters_pk(clinic_id: str) -> str:
    return f"{clinic_id}#COUNTERS"


def bucket_sk(bucket: str) -> str:
    return TOTAL_SK if bucket == "TOTAL" else DAY + bucket


def _client() -> Any:
    return db.connection().client


PROFILE, DUE, MESSAGE = "profile", "due", "message"
BACKFILL_PAGE = 200


# the stream records the counters read (chalicelib.store.schema.STREAM_SORT_KEYS holds the union)
SORT_KEYS = (keys.PROFILE_SK,)
SORT_KEY_PREFIXES = (keys.REVISIT_DUE, keys.OUTBOUND_JOB)


def counted_item(pk: str, sk: str) -> tuple[str, str] | None:
    """(clinic id, kind) of an item the counters count: a patient's profile or a requested revisit."""
    owner = keys.owner_of(pk)
    if owner is None:
        return None
    clinic_id = owner[0]
    if sk == keys.PROFILE_SK:
        return clinic_id, PROFILE
    if sk.startswith(keys.REVISIT_DUE):
        return clinic_id, DUE
    if sk.startswith(keys.OUTBOUND_JOB):
        return clinic_id, MESSAGE
    return None


def listed(clinic_id: str, profile: dict[str, Any] | None) -> dict[str, Any] | None:
    """The profile if it is on the clinic's patient list (an erased record is not)."""
    return profile if profile and profile.get("gsi1pk") == keys.patients_list_pk(clinic_id) else None


def _index_page(index_pk: str, scope: str, position: str | None) -> tuple[list[dict[str, Any]], str | None]:
    params: dict[str, Any] = {"IndexName": "gsi1", "KeyConditionExpression": "gsi1pk = :pk",
                              "ExpressionAttributeValues": {":pk": {"S": index_pk}}, "Limit": BACKFILL_PAGE}
    if position:
        params["ExclusiveStartKey"] = db.decode_cursor(position, scope)
    page = db.query_raw(**params)
    return [db.plain_item(item) for item in page.get("Items", [])], db.encode_cursor(page.get("LastEvaluatedKey"),
                                                                                      scope)


def profiles_page(clinic_id: str, position: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the clinic's patient list (whole profiles), for the backfill."""
    return _index_page(keys.patients_list_pk(clinic_id), f"counters:{clinic_id}", position)


def dues_page(clinic_id: str, position: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the clinic's requested revisits, for the backfill."""
    return _index_page(keys.due_dates_pk(clinic_id), f"counters-dues:{clinic_id}", position)


def messages_page(clinic_id: str, position: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the clinic's reminder log (processed messages), for the backfill."""
    return _index_page(keys.reminder_log_pk(clinic_id), f"counters-messages:{clinic_id}", position)


def set_converted(pk: str, sk: str, day: str) -> None:
    """Write the first visit after a sent message onto it (the backfill of messages sent before
    visits wrote it), if the message still exists."""
    from chalicelib.store.models import RecallJobItem

    with db.unless_condition_fails():
        RecallJobItem(pk, sk).update(actions=[RecallJobItem.converted_on.set(day)],
                                     condition=RecallJobItem.pk.exists() & RecallJobItem.converted_on.does_not_exist())


def _update(pk: str, sk: str, moves: Mapping[str, int]) -> dict[str, Any]:
    names = {f"#c{i}": name for i, name in enumerate(moves)}
    values = {f":c{i}": {"N": str(amount)} for i, amount in enumerate(moves.values())}
    return {"Update": {"TableName": settings().table_name, "Key": {"pk": {"S": pk}, "sk": {"S": sk}},
                       "UpdateExpression": "ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(moves))),
                       "ExpressionAttributeNames": names, "ExpressionAttributeValues": values}}


def _by_item(moves: Mapping[tuple[str, str], int]) -> dict[str, dict[str, int]]:
    items: dict[str, dict[str, int]] = {}
    for (bucket, name), amount in moves.items():
        items.setdefault(bucket_sk(bucket), {})[name] = amount
    return items


def apply_once(clinic_id: str, event_id: str, moves: Mapping[tuple[str, str], int]) -> bool:
    """Move the counters for one stream record, unless that record was applied before. Returns
    False when it was (the marker exists)."""
    if not moves:
        return True
    pk = counters_pk(clinic_id)
    items = _by_item(moves)
    if len(items) + 2 > MAX_ITEMS:
        raise ValueError(f"a record moves {len(items)} counter items; at most {MAX_ITEMS - 2} fit a transaction")
    marker = {"Put": {"TableName": settings().table_name,
                      "Item": {"pk": {"S": f"{clinic_id}#STREAMEVT#{event_id}"}, "sk": {"S": "EVENT"},
                               "clinic_id": {"S": clinic_id},
                               "expires_at": {"N": str(int(time.time()) + MARKER_TTL_SECONDS)}},
                      "ConditionExpression": "attribute_not_exists(pk)"}}
    # while a backfill rebuilds the clinic's counters, records are left to it (docs/kpis.md)
    live = {"ConditionCheck": {"TableName": settings().table_name,
                               "Key": {"pk": {"S": pk}, "sk": {"S": STATE_SK}},
                               "ConditionExpression": "attribute_not_exists(building)"}}
    try:
        _client().transact_write_items(
            TransactItems=[marker, live, *(_update(pk, sk, m) for sk, m in items.items())])
    except _client().exceptions.TransactionCanceledException as exc:
        reasons = exc.response.get("CancellationReasons") or []
        if any(r.get("Code") == "ConditionalCheckFailed" for r in reasons[:2]):
            return False
        raise
    return True


def add(clinic_id: str, moves: Mapping[tuple[str, str], int]) -> None:
    """Move counters without a marker (the backfill, which keeps its own progress): one
    UpdateItem per counter item."""
    pk = counters_pk(clinic_id)
    for sk, item_moves in _by_item(moves).items():
        _client().update_item(**_update(pk, sk, item_moves)["Update"])


def _numbers(raw: dict[str, Any]) -> dict[str, int]:
    return {name: int(value["N"]) for name, value in raw.items() if "N" in value and name != "expires_at"}


def totals(clinic_id: str) -> dict[str, int]:
    reply = _client().get_item(TableName=settings().table_name,
                               Key={"pk": {"S": counters_pk(clinic_id)}, "sk": {"S": TOTAL_SK}})
    return _numbers(reply.get("Item") or {})


def days(clinic_id: str, first: str, last: str) -> dict[str, dict[str, int]]:
    """The day items from `first` to `last` (clinic-local days): one Query, O(days)."""
    found: dict[str, dict[str, int]] = {}
    for page in db.query_pages(KeyConditionExpression="pk = :pk AND sk BETWEEN :lo AND :hi",
                               ExpressionAttributeValues={":pk": {"S": counters_pk(clinic_id)},
                                                          ":lo": {"S": DAY + first}, ":hi": {"S": DAY + last}}):
        for item in page.get("Items", []):
            found[item["sk"]["S"][len(DAY):]] = _numbers(item)
    return found


def clear(clinic_id: str) -> int:
    """Delete every counter item of a clinic but its backfill state (before a backfill from scratch)."""
    removed = 0
    for page in db.query_pages(KeyConditionExpression="pk = :pk",
                               ExpressionAttributeValues={":pk": {"S": counters_pk(clinic_id)}},
                               ProjectionExpression="pk, sk"):
        for item in page.get("Items", []):
            if item["sk"]["S"] == STATE_SK:
                continue
            _client().delete_item(TableName=settings().table_name, Key={"pk": item["pk"], "sk": item["sk"]})
            removed += 1
    return removed


def state(clinic_id: str) -> dict[str, Any]:
    reply = _client().get_item(TableName=settings().table_name, ConsistentRead=True,
                               Key={"pk": {"S": counters_pk(clinic_id)}, "sk": {"S": STATE_SK}})
    return db.plain_item(reply.get("Item") or {})


def save_state(clinic_id: str, *, building: bool, cursor: str | None = None, phase: str | None = None,
               at: str | None = None) -> None:
    """The backfill's progress; `building` set, the stream's records leave the counters alone."""
    item: dict[str, Any] = {"pk": {"S": counters_pk(clinic_id)}, "sk": {"S": STATE_SK}}
    if building:
        item["building"] = {"BOOL": True}
    for name, value in (("cursor", cursor), ("phase", phase), ("at", at)):
        if value is not None:
            item[name] = {"S": value}
    _client().put_item(TableName=settings().table_name, Item=item)
