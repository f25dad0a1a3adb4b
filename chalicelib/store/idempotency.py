"""Stored first answers of writes sent with an Idempotency-Key.

Two ways, chosen by the route:
- Writes that are one transaction (check-in, redemption, visit) put the record inside that same
  TransactWriteItems (`transact_put`), so the answer and the effect land together or not at all.
  A twin that runs at the same time fails on the record's condition and is answered with the
  record (store.db raises RequestInProgress; the route replays what is stored).
- Other writes claim the key first (`claim`: a conditional put of a record with no answer that
  holds for CLAIM_SECONDS), run, then store their answer over the claim (`record`), or give
  the claim back when they fail (`release`). A twin that arrives while the claim holds gets
  409 `request_in_progress`; one that arrives after gets the stored answer.
Records expire after a day. A stored answer may hold personal data in clear (a registered patient's
name, an invited colleague's temporary password), so it is kept sealed with the clinic's data key,
like every personal field (docs/architecture.md): a table dump shows none of it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Protocol

from pynamodb.exceptions import DoesNotExist, PutError

if TYPE_CHECKING:  # the jobs import this module; they need no token code
    from chalicelib.auth import Principal
from chalicelib import crypto
from chalicelib.domain.clock import clock
from chalicelib.errors import Conflict, RequestInProgress
from chalicelib.store import db, keyring, keys
from chalicelib.store import plan as plans
from chalicelib.store.models import IdempotencyItem, bind

TTL_SECONDS = 24 * 3600
# Longer than the API function may run (29 s): a claim left by a request that died frees itself.
CLAIM_SECONDS = 60


class IdempotencyKey(Protocol):
    """An Idempotency-Key in force for one call (the route's `Idem`): the scope it is stored
    under, the hash of the request, and whether this call claimed it or recorded its answer."""

    @property
    def key(self) -> str: ...
    @property
    def scope(self) -> str: ...
    @property
    def request_hash(self) -> str: ...
    claimed: bool
    recorded: bool


def partition(principal: "Principal") -> str:
    if principal.patient_id:
        return keys.patient_pk(principal.clinic_id, principal.patient_id)
    return keys.staff_pk(principal.clinic_id, principal.subject)


def _sort_key(idem: IdempotencyKey) -> str:
    return keys.idempotency_sk(idem.scope, idem.key)


def _now() -> int:
    return int(clock.now().timestamp())


def _key(clinic_id: str) -> bytes:
    return keyring.data_key(clinic_id)


def _sealed(clinic_id: str, reply: dict[str, Any] | None) -> dict[str, Any]:
    if not reply:
        return {}
    return {"sealed": crypto.encrypt(_key(clinic_id), clinic_id, json.dumps(reply, ensure_ascii=False, default=str))}


def _opened(clinic_id: str, response: dict[str, Any]) -> dict[str, Any]:
    if isinstance(response, dict) and set(response) == {"sealed"}:
        opened: dict[str, Any] = json.loads(crypto.decrypt(_key(clinic_id), clinic_id, response["sealed"]))
        return opened
    return response  # an answer stored before answers were sealed


def _item(principal: "Principal", idem: IdempotencyKey, status: int | None = None,
          reply: dict[str, Any] | None = None) -> IdempotencyItem:
    return IdempotencyItem(
        partition(principal),
        _sort_key(idem),
        status=status or 200,
        response=_sealed(principal.clinic_id, reply),
        request_hash=idem.request_hash,
        expires_at=_now() + TTL_SECONDS,
    )


def _in_progress(item: IdempotencyItem) -> bool:
    return item.claimed_until is not None and item.claimed_until >= _now()


def lookup(principal: "Principal", idem: IdempotencyKey) -> tuple[int, dict[str, Any]] | None:
    """The stored answer for this key, None if there is none (or only an abandoned claim).

    Raises Conflict when the key was used for another request, RequestInProgress while a twin
    holds the claim.
    """
    bind()
    try:
        item = IdempotencyItem.get(partition(principal), _sort_key(idem), consistent_read=True)
    except DoesNotExist:
        return None
    if item.expires_at < clock.now().timestamp():
        return None
    if item.request_hash != idem.request_hash:
        raise Conflict("this Idempotency-Key was used for a different request", code="idempotency_key_reused")
    if item.claimed_until is not None:
        if _in_progress(item):
            raise RequestInProgress("a request with this Idempotency-Key is being handled, try again shortly")
        return None
    return int(item.status), _opened(principal.clinic_id, item.response)


def claim(principal: "Principal", idem: IdempotencyKey) -> None:
    """Take the key for this request, or raise RequestInProgress if a twin has it (or answered)."""
    bind()
    item = _item(principal, idem)
    item.claimed_until = _now() + CLAIM_SECONDS
    free = IdempotencyItem.sk.does_not_exist() | (IdempotencyItem.claimed_until < _now()) | (
        IdempotencyItem.expires_at < _now())
    try:
        item.save(condition=free)
    except PutError as exc:
        if not db.condition_failed(exc):
            raise
        raise RequestInProgress("a request with this Idempotency-Key is being handled, try again shortly") from exc
    idem.claimed = True


def record(principal: "Principal", idem: IdempotencyKey, status: int, reply: dict[str, Any] | None) -> None:
    """Store the answer (over this request's claim, if it made one)."""
    bind()
    condition = IdempotencyItem.sk.does_not_exist()
    if getattr(idem, "claimed", False):
        condition = condition | (IdempotencyItem.claimed_until.exists()
                                 & (IdempotencyItem.request_hash == idem.request_hash))
    with db.unless_condition_fails():  # refused: a concurrent twin recorded first, and its answer stands
        _item(principal, idem, status, reply).save(condition=condition)


def release(principal: "Principal", idem: IdempotencyKey) -> None:
    """Give back this request's claim after it failed, so a corrected retry may run."""
    bind()
    with db.unless_condition_fails():  # refused: the claim expired and another request holds the key
        IdempotencyItem(partition(principal), _sort_key(idem)).delete(
            condition=IdempotencyItem.claimed_until.exists() & (IdempotencyItem.request_hash == idem.request_hash))


def transact_put(transaction: db.Transaction, principal: "Principal | None", idem: IdempotencyKey, status: int,
                 reply: dict[str, Any] | None) -> None:
    """Add the record to a write transaction; the transaction fails if the key was used meanwhile.

    The writes that take an optional key take the caller with it; a key without one is a bug."""
    if principal is None:
        raise TypeError("an Idempotency-Key is stored under its caller")
    if getattr(idem, "claimed", False):
        raise RuntimeError("this route claims its key before running; its service must not record in a transaction")
    transaction.save(_item(principal, idem, status, reply), condition=IdempotencyItem.sk.does_not_exist(),
                     label=db.IDEMPOTENCY_LABEL)
    idem.recorded = True


def record_in(plan: plans.Plan, principal: "Principal | None", idem: IdempotencyKey, status: int,
              reply: dict[str, Any] | None) -> None:
    """Add the record of this answer to a write plan (as `transact_put` does to a transaction):
    the answer and the effect land together or not at all, and a twin fails with
    RequestInProgress. The key counts as recorded once the plan has committed."""
    if principal is None:
        raise TypeError("an Idempotency-Key is stored under its caller")
    if getattr(idem, "claimed", False):
        raise RuntimeError("this route claims its key before running; its service must not record in a transaction")
    plan.add(plans.put(_item(principal, idem, status, reply), db.IDEMPOTENCY_LABEL,
                       IdempotencyItem.sk.does_not_exist()))

    def recorded() -> None:
        idem.recorded = True

    plan.on_commit(recorded)
