"""Shared storage plumbing: the PynamoDB connection, transactions, raw partition reads and cursors."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.config import settings
from chalicelib.errors import BadRequest, NotFound, RequestInProgress
from chalicelib.store.models import bind

if TYPE_CHECKING:  # types only
    from pynamodb.models import _ModelFuture

_M = TypeVar("_M", bound=Model)


@lru_cache(maxsize=4)
def _connection(region: str, host: str | None) -> Connection:
    return Connection(region=region, host=host)


def connection() -> Connection:
    bind()
    conf = settings()
    return _connection(conf.region, conf.aws_endpoint)


def reset() -> None:
    _connection.cache_clear()


class Cancelled(Exception):
    """A write transaction was cancelled; `failed` maps each failing item's label to DynamoDB's reason."""

    def __init__(self, failed: dict[str, str]):
        super().__init__(f"transaction cancelled: {failed}")
        self.failed = failed

    def conditional(self, label: str) -> bool:
        return self.failed.get(label) == "ConditionalCheckFailed"

    @property
    def retryable(self) -> bool:
        """Cancelled only because concurrent transactions touched the same items: nothing was
        written and the same call may succeed again."""
        return bool(self.failed) and set(self.failed.values()) <= {"TransactionConflict", "ThrottlingError"}


class Writable(Protocol):
    """What `Transaction.add` puts or updates: a `Write`, or anything with its fields.

    Multi-item use cases are write plans now (store/plan.py); `Write` remains for the writes
    that are not plans yet."""

    @property
    def item(self) -> Model: ...
    @property
    def label(self) -> str: ...
    @property
    def actions(self) -> Sequence[Action] | None: ...
    @property
    def condition(self) -> Condition | None: ...


@dataclass
class Write:
    """One item for another operation's transaction: put it (actions None) or update it."""

    item: Model
    label: str
    actions: Sequence[Action] | None = None
    condition: Condition | None = None


class Transaction:
    """Wraps PynamoDB's TransactWrite, remembering a label per item.

    PynamoDB sends condition checks, deletes, puts and updates in that order, whatever the
    order of the calls, so the labels are kept per kind and joined the same way.
    """

    def __init__(self, txn: TransactWrite):
        self._txn = txn
        self._labels: dict[str, list[str]] = {"check": [], "delete": [], "put": [], "update": []}

    def save(self, model: Model, condition: Condition | None = None, label: str = "put") -> None:
        self._txn.save(model, condition=condition)
        self._labels["put"].append(label)

    def update(self, model: Model, actions: Sequence[Action], condition: Condition | None = None,
               label: str = "update") -> None:
        self._txn.update(model, actions=list(actions), condition=condition)
        self._labels["update"].append(label)

    def delete(self, model: Model, condition: Condition | None = None, label: str = "delete") -> None:
        self._txn.delete(model, condition=condition)
        self._labels["delete"].append(label)

    def check(self, model_cls: type[Model], hash_key: str, range_key: str | None, condition: Condition,
              label: str = "check") -> None:
        self._txn.condition_check(model_cls, hash_key, range_key=range_key, condition=condition)
        self._labels["check"].append(label)

    def add(self, write: Writable) -> None:
        """Put or update one `Write` (or anything with its fields)."""
        if write.actions is None:
            self.save(write.item, condition=write.condition, label=write.label)
        else:
            self.update(write.item, actions=write.actions, condition=write.condition, label=write.label)

    def ordered(self) -> list[str]:
        return self._labels["check"] + self._labels["delete"] + self._labels["put"] + self._labels["update"]


# The label of a stored answer to an Idempotency-Key (store.idempotency.transact_put).
IDEMPOTENCY_LABEL = "idem"
# The label of the check that the patient's record exists (`require_profile`).
PROFILE_LABEL = "profile-exists"


@contextmanager
def transaction() -> Iterator[Transaction]:
    """One TransactWriteItems call; raises `Cancelled` naming the items whose conditions failed.

    When the item that fails is the stored answer of an Idempotency-Key, a twin of this request
    has committed (or is committing) first, whatever else failed with it: that raises
    `RequestInProgress`, and the route answers with the twin's stored reply.
    """
    txn = TransactWrite(connection=connection())
    labelled = Transaction(txn)
    try:
        with txn:
            yield labelled
    except TransactWriteError as exc:
        reasons = getattr(exc, "cancellation_reasons", None) or []
        failed = {
            label: reason.code
            for label, reason in zip(labelled.ordered(), reasons)
            if reason is not None and getattr(reason, "code", None) not in (None, "None")
        }
        if not failed:
            raise
        if IDEMPOTENCY_LABEL in failed:
            raise RequestInProgress("a request with this Idempotency-Key is being handled",
                                    code="request_in_progress") from exc
        if failed.get(PROFILE_LABEL) == "ConditionalCheckFailed":
            raise NotFound("this patient record no longer exists", code="patient_not_found") from exc
        raise Cancelled(failed) from exc


def require_profile(txn: Transaction, patient_pk: str) -> None:
    """Join a check that the patient's record exists to a transaction: a write racing the
    patient's erasure fails instead of leaving an item in the erased partition."""
    from chalicelib.store.models import PatientItem

    txn.check(PatientItem, patient_pk, "PROFILE", PatientItem.pk.exists(), label=PROFILE_LABEL)


def query_raw(**params: Any) -> dict[str, Any]:
    """One Query call with the low-level client (items stay in DynamoDB's typed JSON)."""
    reply: dict[str, Any] = connection().client.query(TableName=settings().table_name, **params)
    return reply


def resolved(future: _ModelFuture[_M]) -> _M | None:
    """The item a TransactGet future holds, or None when the item does not exist."""
    try:
        return future.get()
    except Exception:  # noqa: BLE001 (pynamodb raises a DoesNotExist-like error for a missing item)
        return None


def query_pages(**params: Any) -> Iterator[dict[str, Any]]:
    """Each page of one Query (query_raw), following LastEvaluatedKey until the last."""
    while True:
        page = query_raw(**params)
        yield page
        start = page.get("LastEvaluatedKey")
        if not start:
            return
        params = {**params, "ExclusiveStartKey": start}


def query_partition(pk: str, prefix: str | None = None, *, descending: bool = False, limit: int | None = None,
                    consistent: bool = False) -> list[dict[str, Any]]:
    """All raw items of one partition (optionally of one sort-key prefix), page by page."""
    params: dict[str, Any] = {
        "KeyConditionExpression": "pk = :pk" + (" AND begins_with(sk, :prefix)" if prefix else ""),
        "ExpressionAttributeValues": {":pk": {"S": pk}, **({":prefix": {"S": prefix}} if prefix else {})},
        "ScanIndexForward": not descending,
        "ConsistentRead": consistent,
    }
    items: list[dict[str, Any]] = []
    while True:
        if limit:
            params["Limit"] = limit - len(items)
        page = query_raw(**params)
        items.extend(page.get("Items", []))
        start = page.get("LastEvaluatedKey")
        if not start or (limit and len(items) >= limit):
            return items
        params["ExclusiveStartKey"] = start


def plain_value(value: dict[str, Any]) -> Any:
    """One attribute of a raw item (DynamoDB's typed JSON) as a plain value: whole numbers as
    int, other numbers as float, maps and lists taken apart, NULL as None, the rest as it is."""
    (kind, inner), = value.items()
    if kind == "N":
        return float(inner) if "." in inner or "e" in inner.lower() else int(inner)
    if kind == "M":
        return {k: plain_value(v) for k, v in inner.items()}
    if kind == "L":
        return [plain_value(v) for v in inner]
    if kind == "NULL":
        return None
    return inner


def plain_item(item: dict[str, Any]) -> dict[str, Any]:
    """A raw item as plain values (see plain_value)."""
    return {name: plain_value(value) for name, value in item.items()}


def _cursor_sig(payload: bytes) -> str:
    return hmac.new(settings().hash_secret.encode(), payload, hashlib.sha256).hexdigest()[:32]


def encode_cursor(last_key: dict[str, Any] | None, scope: str) -> str | None:
    """An opaque, signed page cursor bound to one query scope (clinic + query)."""
    if not last_key:
        return None
    payload = json.dumps({"k": last_key, "s": scope}, sort_keys=True, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=") + "." + _cursor_sig(payload)


def decode_cursor(cursor: str | None, scope: str) -> dict[str, Any] | None:
    """The last key a signed cursor carries. The signature is checked before anything in the
    cursor is parsed, so a crafted cursor never reaches the JSON parser."""
    if not cursor:
        return None
    invalid = BadRequest("cursor is not valid", code="invalid_cursor", field="cursor")
    body, dot, sig = cursor.rpartition(".")
    if not dot:
        raise invalid
    try:
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (ValueError, TypeError) as exc:
        raise invalid from exc
    if not sig.isascii() or not hmac.compare_digest(sig, _cursor_sig(payload)):
        raise invalid
    data = json.loads(payload)
    if not isinstance(data, dict) or data.get("s") != scope or not isinstance(data.get("k"), dict):
        raise BadRequest("cursor is not valid for this query", code="invalid_cursor", field="cursor")
    last_key: dict[str, Any] = data["k"]
    return last_key


def condition_failed(exc: BaseException) -> bool:
    """Whether a PynamoDB write error is DynamoDB refusing the write's condition."""
    cause: str | None = getattr(exc, "cause_response_code", None) or getattr(
        getattr(exc, "cause", None), "response", {}).get("Error", {}).get("Code")
    return cause == "ConditionalCheckFailedException"


@contextmanager
def unless_condition_fails() -> Iterator[None]:
    """Run one conditional write whose refused condition means "nothing to do" (already done,
    already gone); any other failure is raised."""
    from pynamodb.exceptions import PynamoDBException

    try:
        yield
    except PynamoDBException as exc:
        if not condition_failed(exc):
            raise


def apply(writes: Iterable[Writable]) -> None:
    """Write these `Write`s in one transaction (raises `Cancelled`)."""
    with transaction() as txn:
        for write in writes:
            txn.add(write)


def partition_page(pk: str, prefix: str, scope: str, limit: int, cursor: str | None, *,
                   descending: bool = True) -> tuple[list[dict[str, Any]], str | None]:
    """One page of a partition's sort-key range (raw items) and the signed cursor of the next.

    One more item than the page is asked for, so a page that ends the range carries no cursor
    (no empty page at the end)."""
    params: dict[str, Any] = {
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
        "ExpressionAttributeValues": {":pk": {"S": pk}, ":prefix": {"S": prefix}},
        "ScanIndexForward": not descending,
        "Limit": limit + 1,
    }
    start = decode_cursor(cursor, scope)
    if start is not None:
        params["ExclusiveStartKey"] = {"pk": {"S": pk}, "sk": {"S": str(start.get("sk", ""))}}
    items: list[dict[str, Any]] = []
    for page in query_pages(**params):
        items.extend(page.get("Items", []))
        if len(items) > limit:
            break
    if len(items) <= limit:
        return items, None
    items = items[:limit]
    return items, encode_cursor({"sk": items[-1]["sk"]["S"]}, scope)


BATCH_GET_SIZE = 100  # DynamoDB's limit of keys per BatchGetItem


def batch_get(keys_: Iterable[tuple[str, str]], attributes: Sequence[str] | None = None,
              consistent: bool = False) -> dict[tuple[str, str], dict[str, Any]]:
    """The raw items of these (pk, sk) keys, read with BatchGetItem 100 keys at a time; keys
    DynamoDB leaves unprocessed (throttling, the 16 MB reply limit) are asked again until none
    is left. Missing items are absent from the answer."""
    import time

    wanted = list(dict.fromkeys(keys_))
    table = settings().table_name
    client = connection().client
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for start in range(0, len(wanted), BATCH_GET_SIZE):
        request: dict[str, Any] = {"Keys": [{"pk": {"S": pk}, "sk": {"S": sk}}
                                            for pk, sk in wanted[start:start + BATCH_GET_SIZE]],
                                   "ConsistentRead": consistent}
        if attributes:
            names = ["pk", "sk", *(a for a in attributes if a not in ("pk", "sk"))]
            request["ProjectionExpression"] = ", ".join(f"#a{n}" for n in range(len(names)))
            request["ExpressionAttributeNames"] = {f"#a{n}": name for n, name in enumerate(names)}
        pending: dict[str, Any] | None = {table: request}
        tries = 0
        while pending:
            reply = client.batch_get_item(RequestItems=pending)
            for item in reply.get("Responses", {}).get(table, []):
                found[(item["pk"]["S"], item["sk"]["S"])] = item
            pending = reply.get("UnprocessedKeys") or None
            if pending:
                tries += 1
                time.sleep(min(0.05 * 2 ** tries, 1.0))  # back off as the SDKs do before asking again
    return found
