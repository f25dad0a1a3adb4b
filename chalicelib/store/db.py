"""Shared storage plumbing: the PynamoDB connection, transactions, raw partition reads and cursors."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from contextlib import contextmanager
from functools import lru_cache

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.config import settings
from chalicelib.errors import BadRequest
from chalicelib.store.models import bind


@lru_cache(maxsize=4)
def _connection(region: str, host: str | None) -> Connection:
    return Connection(region=region, host=host)


def connection() -> Connection:
    bind()
    conf = settings()
    return _connection(conf.region, conf.aws_endpoint)


def reset() -> None:
    _connection.cache_clear()


@contextmanager
def transaction():
    with TransactWrite(connection=connection()) as txn:
        yield txn


def cancellation_codes(exc: TransactWriteError) -> list[str | None]:
    reasons = getattr(exc, "cancellation_reasons", None) or []
    return [getattr(r, "code", None) if r is not None else None for r in reasons]


def query_raw(**params) -> dict:
    """One Query call with the low-level client (items stay in DynamoDB's typed JSON)."""
    return connection().client.query(TableName=settings().table_name, **params)


def query_partition(pk: str, prefix: str | None = None, *, descending: bool = False, limit: int | None = None,
                    consistent: bool = False) -> list[dict]:
    """All raw items of one partition (optionally of one sort-key prefix), page by page."""
    params: dict = {
        "KeyConditionExpression": "pk = :pk" + (" AND begins_with(sk, :prefix)" if prefix else ""),
        "ExpressionAttributeValues": {":pk": {"S": pk}, **({":prefix": {"S": prefix}} if prefix else {})},
        "ScanIndexForward": not descending,
        "ConsistentRead": consistent,
    }
    items: list[dict] = []
    while True:
        if limit:
            params["Limit"] = limit - len(items)
        page = query_raw(**params)
        items.extend(page.get("Items", []))
        start = page.get("LastEvaluatedKey")
        if not start or (limit and len(items) >= limit):
            return items
        params["ExclusiveStartKey"] = start


def _cursor_sig(payload: bytes) -> str:
    return hmac.new(settings().hash_secret.encode(), payload, hashlib.sha256).hexdigest()[:32]


def encode_cursor(last_key: dict | None, scope: str) -> str | None:
    """An opaque, signed page cursor bound to one query scope (clinic + query)."""
    if not last_key:
        return None
    payload = json.dumps({"k": last_key, "s": scope}, sort_keys=True, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=") + "." + _cursor_sig(payload)


def decode_cursor(cursor: str | None, scope: str) -> dict | None:
    if not cursor:
        return None
    try:
        body, sig = cursor.rsplit(".", 1)
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        data = json.loads(payload)
    except (ValueError, TypeError) as exc:
        raise BadRequest("cursor is not valid", code="invalid_cursor", field="cursor") from exc
    if not hmac.compare_digest(sig, _cursor_sig(payload)) or data.get("s") != scope:
        raise BadRequest("cursor is not valid for this query", code="invalid_cursor", field="cursor")
    return data["k"]
