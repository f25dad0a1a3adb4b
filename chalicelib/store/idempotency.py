"""Stored first answers of writes sent with an Idempotency-Key.

Writes that are one transaction (check-in, redemption, visit) put the record inside that
same TransactWriteItems (`transact_put`), so the answer and the effect land together or not
at all. Other writes record their answer after success (`record`). Records expire after a day.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pynamodb.exceptions import DoesNotExist, PutError

if TYPE_CHECKING:  # the jobs import this module; they need no token code
    from chalicelib.auth import Principal
from chalicelib.domain.clock import clock
from chalicelib.errors import Conflict
from chalicelib.store import keys
from chalicelib.store.models import IdempotencyItem, bind

TTL_SECONDS = 24 * 3600


def partition(principal: "Principal") -> str:
    if principal.patient_id:
        return keys.patient_pk(principal.clinic_id, principal.patient_id)
    return keys.staff_pk(principal.clinic_id, principal.subject)


def _item(principal: "Principal", idem, status: int | None = None, reply=None) -> IdempotencyItem:
    return IdempotencyItem(
        partition(principal),
        f"IDEM#{idem.scope}#{idem.key}",
        status=status or 200,
        response=reply if reply is not None else {},
        request_hash=idem.request_hash,
        expires_at=int(clock.now().timestamp()) + TTL_SECONDS,
    )


def lookup(principal: "Principal", idem) -> tuple[int, dict] | None:
    bind()
    try:
        item = IdempotencyItem.get(partition(principal), f"IDEM#{idem.scope}#{idem.key}", consistent_read=True)
    except DoesNotExist:
        return None
    if item.expires_at < clock.now().timestamp():
        return None
    if item.request_hash != idem.request_hash:
        raise Conflict("this Idempotency-Key was used for a different request", code="idempotency_key_reused")
    return int(item.status), item.response


def record(principal: "Principal", idem, status: int, reply) -> None:
    bind()
    try:
        _item(principal, idem, status, reply).save(condition=IdempotencyItem.sk.does_not_exist())
    except PutError:
        pass  # a concurrent twin recorded first; its answer stands


def transact_put(transaction, principal: "Principal", idem, status: int, reply) -> None:
    """Add the record to a write transaction; the transaction fails if the key was used meanwhile."""
    transaction.save(_item(principal, idem, status, reply), condition=IdempotencyItem.sk.does_not_exist(),
                     label="idem")
    idem.recorded = True
