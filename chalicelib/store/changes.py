"""A change to the table as its stream reports it: one record of DynamoDB Streams (view type
NEW_AND_OLD_IMAGES), with its images as plain Python values.

Records arrive at least once and, across shards, out of order. Whatever consumes them works on the
difference between the old and the new image of one record, so that applying the same records in
any order gives the same result, and makes each record's effect idempotent by its `event_id`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from chalicelib.store import keys, schema
from chalicelib.store.db import plain_item


def image(raw: dict[str, Any] | None) -> dict[str, Any] | None:
    """A stream image (DynamoDB JSON) as plain values, as the raw reads give them (db.plain_item)."""
    return plain_item(raw) if raw else None


@dataclass(frozen=True)
class Change:
    event_id: str
    event_name: str  # INSERT, MODIFY or REMOVE
    pk: str
    sk: str
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    at: datetime  # when the change was made (the record's approximate creation time)
    sequence: str = ""

    def value(self, name: str, default: Any = None) -> Any:
        """The attribute after the change, or before it for a removal."""
        source = self.new if self.new is not None else self.old
        return (source or {}).get(name, default)

    def before(self, name: str, default: Any = None) -> Any:
        return (self.old or {}).get(name, default)

    def after(self, name: str, default: Any = None) -> Any:
        return (self.new or {}).get(name, default)

    def changed(self, name: str) -> bool:
        return bool(self.before(name) != self.after(name))

    @property
    def owner(self) -> tuple[str, str] | None:
        """(clinic, patient) when the changed item is in a patient's partition."""
        return keys.owner_of(self.pk)


def from_record(record: dict[str, Any]) -> Change:
    """One record of a Lambda DynamoDB Streams event (or of GetRecords, whose shape is the same)."""
    body = record["dynamodb"]
    keys = image(body.get("Keys")) or {}
    created = body.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        at = created if created.tzinfo else created.replace(tzinfo=timezone.utc)
    else:
        at = datetime.fromtimestamp(float(created or 0), tz=timezone.utc)
    return Change(event_id=record["eventID"], event_name=record["eventName"], pk=str(keys.get("pk", "")),
                  sk=str(keys.get("sk", "")), old=image(body.get("OldImage")), new=image(body.get("NewImage")),
                  at=at.astimezone(timezone.utc), sequence=str(body.get("SequenceNumber", "")))


def read_by_consumers(change: Change) -> bool:
    """Whether the change is one the stream's consumers read: what the event source mapping's filter
    lets through (schema.STREAM_SORT_KEYS), for a trigger without the filter."""
    return schema.streamed(change.sk)
