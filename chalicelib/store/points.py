"""Check-ins, the points ledger, redemptions. Each write is one TransactWriteItems call.

A balance changes only in the transaction that writes its ledger entry. Ledger entries have
deterministic ids guarded by attribute_not_exists, so a retry never credits twice, and a
debit carries `balance >= cost`, so the balance never goes below zero.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from pynamodb.expressions.update import Action
from pynamodb.models import Model
from pynamodb.transactions import TransactGet

from chalicelib.errors import Conflict, InsufficientPoints
from chalicelib.store import db, idempotency, keys
from chalicelib.store.ledger import credit_actions, ledger_item
from chalicelib.store.models import (
    CheckInItem,
    DayMarkItem,
    LedgerItem,
    PatientItem,
    RedemptionItem,
    bind,
)

if TYPE_CHECKING:  # types only
    from pynamodb.models import _ModelFuture

    from chalicelib.auth import Principal
    from chalicelib.store.earning import Earning
    from chalicelib.store.models import BoardEntryItem, RewardItem
    from chalicelib.store.segments import Delete

_M = TypeVar("_M", bound=Model)


class CheckinEffect(db.Writable, Protocol):
    """A write joined to a check-in's transaction (services.progress.Effect)."""

    @property
    def points(self) -> int: ...
    @property
    def on_repeat(self) -> bool: ...


# Given the points a check-in credits: the profile's segment actions and the member writes.
Membership = Callable[[int], "tuple[list[Action], list[db.Write | Delete]]"]


def ledger_entry_id_for_checkin(checkin_type: str, day: str) -> str:
    return f"checkin:{checkin_type}:{day}"


def day_mark_sk(checkin_type: str, day: str) -> str:
    return f"DAYMARK#{checkin_type}#{day}"


def read_patient_and_mark(clinic_id: str, patient_id: str, mark_sk: str, board_sk: str | None = None
                          ) -> tuple[PatientItem | None, bool, BoardEntryItem | None]:
    """One TransactGetItems: the profile, whether the day's first check-in exists, and the month's board entry."""
    from chalicelib.store.models import BoardEntryItem, DayMarkItem

    bind()
    pk = keys.patient_pk(clinic_id, patient_id)
    with TransactGet(connection=db.connection()) as txn:
        patient_future = txn.get(PatientItem, pk, "PROFILE")
        entry_future = txn.get(DayMarkItem, pk, mark_sk)
        board_future = txn.get(BoardEntryItem, pk, board_sk) if board_sk else None
    board = _resolved(board_future) if board_future is not None else None
    return _resolved(patient_future), _resolved(entry_future) is not None, board


def read_board(pk: str, sk: str) -> BoardEntryItem | None:
    from chalicelib.store.models import BoardEntryItem

    bind()
    try:
        return BoardEntryItem.get(pk, sk, consistent_read=True)
    except BoardEntryItem.DoesNotExist:
        return None


def read_patient_and_reward(clinic_id: str, patient_id: str, reward_id: str
                            ) -> tuple[PatientItem | None, RewardItem | None]:
    """One TransactGetItems: the patient's profile and a reward of the clinic's catalogue."""
    from chalicelib.store.models import RewardItem

    bind()
    with TransactGet(connection=db.connection()) as txn:
        patient_future = txn.get(PatientItem, keys.patient_pk(clinic_id, patient_id), "PROFILE")
        reward_future = txn.get(RewardItem, keys.clinic_pk(clinic_id), f"REWARD#{reward_id}")
    return _resolved(patient_future), _resolved(reward_future)


def _resolved(future: _ModelFuture[_M]) -> _M | None:
    try:
        return future.get()
    except Exception:  # pynamodb raises DoesNotExist-like errors for missing items
        return None


PAYOUT_ATTEMPTS = 4


def write_checkin(patient: PatientItem, checkin: CheckInItem, *, points: int, entry_id: str, at: str,
                  effects: Sequence[CheckinEffect] = (), earning: Earning | None = None,
                  principal: Principal | None = None,
                  idem: idempotency.IdempotencyKey | None = None,
                  reply_for: Callable[[bool, int, str | None], dict[str, Any]] | None = None,
                  membership: Membership | None = None) -> tuple[bool, int, str | None]:
    """Record a check-in in one transaction; pay the check-in rule when it is the first of its type that day.

    `effects` (streaks, tasks, badges) join the same transaction and their points join the one
    update of the patient item; `earning` adds the rule's period counters and the board entry.
    Returns (counted, points paid by the rule, the period whose limit stopped the payout). A
    check-in that loses a race with a same-day twin is written again without points or effects.
    `membership` (chalicelib.services.segments.CheckinMembership) gives, for the points credited,
    the segment attributes joined into the one profile update and the member items to write with it.
    """
    from chalicelib.store import earning as payouts

    limited: str | None = None
    if checkin.counted:
        pay = points
        for _ in range(PAYOUT_ATTEMPTS):
            if earning is not None:
                earning.points = pay
            credit = pay + sum(e.points for e in effects)
            segment_actions, segment_writes = membership(credit) if membership is not None else ([], [])
            try:
                with db.transaction() as txn:
                    txn.save(checkin)
                    txn.save(DayMarkItem(patient.pk, day_mark_sk(checkin.type, checkin.local_date),
                                         checkin_id=checkin.checkin_id),
                             condition=DayMarkItem.sk.does_not_exist(), label="first")
                    if pay:
                        txn.save(ledger_item(patient.pk, entry_id, pay, "checkin", at, checkin.checkin_id),
                                 condition=LedgerItem.sk.does_not_exist(), label="ledger")
                    txn.update(patient,
                               actions=credit_actions(credit, [PatientItem.last_checkin_date.set(checkin.local_date)]
                                                      + segment_actions),
                               condition=PatientItem.pk.exists())
                    if segment_writes:
                        from chalicelib.store.segments import add_to

                        add_to(txn, segment_writes)
                    for effect in effects:
                        txn.add(effect)
                    if earning is not None:
                        payouts.add(txn, patient, earning)
                    if idem is not None:
                        idempotency.transact_put(txn, principal, idem, 201,
                                                 reply_for(True, pay, limited) if reply_for else None)
                return True, pay, limited
            except db.Cancelled as exc:
                if exc.conditional("first") or exc.conditional("ledger"):
                    break
                period = payouts.limit_reached(exc) if earning is not None else None
                if period and pay and earning is not None:
                    pay, limited = 0, period
                    earning.limits = {}
                elif exc.conditional("board") and earning is not None:
                    earning.board = read_board(*payouts.board_key(patient.clinic_id, patient.patient_id, earning.day))
                elif any(e.label in exc.failed for e in effects):
                    # a twin check-in moved the same streak or task first: this one's view is stale
                    raise Conflict("this check-in raced another one, send it again", code="try_again") from exc
                else:
                    raise
                if idem is not None:
                    idem.recorded = False
        else:
            raise Conflict("the patient's points changed meanwhile, try again", code="try_again")
        checkin.counted = False
        if idem is not None:
            idem.recorded = False
    repeat = [e for e in effects if e.on_repeat]
    try:
        with db.transaction() as txn:
            txn.save(checkin)
            for effect in repeat:
                txn.add(effect)
            if idem is not None:
                idempotency.transact_put(txn, principal, idem, 201, reply_for(False, 0, None) if reply_for else None)
    except db.Cancelled as exc:
        if any(e.label in exc.failed for e in repeat):
            raise Conflict("this check-in raced another one, send it again", code="try_again") from exc
        raise
    return False, 0, None


def credit(patient: PatientItem, *, entry_id: str, points: int, reason: str, at: str, ref: str | None = None,
           earning: Earning | None = None, principal: Principal | None = None,
           idem: idempotency.IdempotencyKey | None = None,
           reply: dict[str, Any] | Callable[[int, str | None], dict[str, Any]] | None = None,
           ) -> tuple[bool, str | None]:
    """Pay points once per entry id, with the rule's counters and board entry when `earning` is given.

    Returns (paid, the period whose limit refused it). (False, None): that entry already exists.
    `reply` may be a function of (points paid, limited period) giving the stored answer.
    """
    from chalicelib.store import earning as payouts

    for _ in range(PAYOUT_ATTEMPTS):
        try:
            with db.transaction() as txn:
                txn.save(ledger_item(patient.pk, entry_id, points, reason, at, ref),
                         condition=LedgerItem.sk.does_not_exist(), label="ledger")
                # a credit is the patient's own act (a share): it counts as an interaction for segments
                txn.update(patient, actions=credit_actions(points, [PatientItem.last_interaction_at.set(at)]),
                           condition=PatientItem.pk.exists())
                if earning is not None:
                    payouts.add(txn, patient, earning)
                if idem is not None:
                    idempotency.transact_put(txn, principal, idem, 201, reply(points, None) if callable(reply) else reply)
            return True, None
        except db.Cancelled as exc:
            if exc.conditional("ledger"):
                return False, None
            period = payouts.limit_reached(exc) if earning is not None else None
            if period:
                return False, period
            if exc.conditional("board") and earning is not None:
                earning.board = read_board(*payouts.board_key(patient.clinic_id, patient.patient_id, earning.day))
                if idem is not None:
                    idem.recorded = False
                continue
            raise
    raise Conflict("the patient's points changed meanwhile, try again", code="try_again")


def post_entry(patient: PatientItem, entry: LedgerItem, *, earned_on: date, expiry_months: int,
               principal: Principal | None = None, idem: idempotency.IdempotencyKey | None = None, reply: dict[str,
               Any] | None = None) -> None:
    """Write a staff adjustment or reversal: the entry once, and the balance and lots with it.

    A debit carries `balance >= points`, so staff cannot push a balance below zero either.
    """
    from chalicelib.store import lots as points_lots

    amount = int(entry.points)
    actions = credit_actions(amount) if amount > 0 else [PatientItem.balance.add(amount)]
    condition = PatientItem.pk.exists() if amount > 0 else PatientItem.balance >= -amount
    for _ in range(PAYOUT_ATTEMPTS):
        try:
            with db.transaction() as txn:
                txn.save(entry, condition=LedgerItem.sk.does_not_exist(), label="ledger")
                txn.update(patient, actions=actions, condition=condition, label="balance")
                if amount > 0:
                    points_lots.add_credit(txn, patient, amount, earned_on, expiry_months)
                else:
                    open_lots = points_lots.open_lots(patient.clinic_id, patient.patient_id)
                    points_lots.add_debit(txn, patient, open_lots, -amount)
                if idem is not None:
                    idempotency.transact_put(txn, principal, idem, 201, reply)
            return
        except db.Cancelled as exc:
            if exc.conditional("ledger") or exc.conditional("idem"):
                raise Conflict("this entry was already made", code="entry_exists") from exc
            if exc.conditional("balance"):
                raise InsufficientPoints("the balance is too small for this debit", field="points") from exc
            if not points_lots.lots_changed(exc):
                raise
            if idem is not None:
                idem.recorded = False
    raise Conflict("the patient's points changed meanwhile, try again", code="try_again")


def get_entry(clinic_id: str, patient_id: str, entry_id: str) -> LedgerItem | None:
    bind()
    try:
        return LedgerItem.get(keys.patient_pk(clinic_id, patient_id), f"LEDGER#{entry_id}", consistent_read=True)
    except LedgerItem.DoesNotExist:
        return None


REDEEM_ATTEMPTS = 5


def redeem(patient: PatientItem, redemption: RedemptionItem, *, reward: RewardItem | None = None, at: str,
           principal: Principal | None = None, idem: idempotency.IdempotencyKey | None = None, reply: dict[str,
           Any] | None = None) -> None:
    """Debit the balance, write the ledger entry and the redemption, and take one of the reward's
    stock and of the patient's allowance when the reward keeps them, all in one transaction.

    Many patients racing for the last units of a reward conflict on the reward item; DynamoDB
    cancels all but one, and those are tried again (with jitter) until the stock says no.
    """
    import random
    import time

    from chalicelib.store import lots as points_lots
    from chalicelib.store.models import RewardItem, RewardUseItem

    cost = int(redemption.cost)
    entry_id = f"redeem:{redemption.redemption_id}"
    for attempt in range(REDEEM_ATTEMPTS):
        open_lots = points_lots.open_lots(patient.clinic_id, patient.patient_id)
        try:
            with db.transaction() as txn:
                points_lots.add_debit(txn, patient, open_lots, cost)
                txn.update(
                    patient,
                    actions=[PatientItem.balance.add(-cost), PatientItem.redeemed_total.add(cost),
                             PatientItem.last_interaction_at.set(at)],
                    condition=PatientItem.balance >= cost,
                    label="balance",
                )
                txn.save(ledger_item(patient.pk, entry_id, -cost, "redemption", at, redemption.reward_id),
                         condition=LedgerItem.sk.does_not_exist(), label="ledger")
                txn.save(redemption, condition=RedemptionItem.sk.does_not_exist(), label="redemption")
                if reward is not None and reward.stock is not None:
                    txn.update(reward, actions=[RewardItem.stock.add(-1)], condition=RewardItem.stock > 0,
                               label="stock")
                if reward is not None and reward.per_patient_limit is not None:
                    use = RewardUseItem(patient.pk, f"RLIMIT#{reward.reward_id}")
                    txn.update(use, actions=[RewardUseItem.count.add(1)],
                               condition=RewardUseItem.count.does_not_exist()
                               | (RewardUseItem.count < int(reward.per_patient_limit)),
                               label="allowance")
                if idem is not None:
                    idempotency.transact_put(txn, principal, idem, 201, reply)
            return
        except db.Cancelled as exc:
            if exc.conditional("ledger") or exc.conditional("redemption") or exc.conditional("idem"):
                raise Conflict("this redemption was already made", code="already_redeemed") from exc
            if exc.conditional("stock"):
                raise Conflict("this reward is out of stock", code="out_of_stock", field="reward_id") from exc
            if exc.conditional("allowance"):
                raise Conflict("the patient has redeemed this reward as often as allowed",
                               code="reward_limit_reached", field="reward_id") from exc
            if exc.conditional("balance"):
                raise InsufficientPoints("not enough points for this reward", field="reward_id") from exc
            if "TransactionConflict" not in exc.failed.values() and not points_lots.lots_changed(exc):
                raise
            if idem is not None:
                idem.recorded = False
            time.sleep(random.uniform(0.01, 0.05) * (2 ** attempt))
    raise Conflict("the reward is in high demand, try again", code="try_again", field="reward_id")
