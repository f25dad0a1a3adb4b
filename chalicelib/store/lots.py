"""Points lots: what a patient earned per clinic month, so points expire and the earliest go first.

A credit adds to the lot of its expiry date inside the credit's own transaction; a debit takes
from the earliest-expiring lots inside the debit's transaction, each conditional on the amount
it read. Balances from before lots existed have no lot: a debit takes what lots there are and the
rest from that untracked part (the balance condition still forbids going below zero).
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from pynamodb.expressions.update import Action

from chalicelib.domain import earning as rules
from chalicelib.store import db, keys
from chalicelib.store import plan as plans
from chalicelib.store.models import LedgerItem, PatientItem, PointsLotItem, bind
from chalicelib.store.records import Clinic, Patient, patient_pk

# What a debit's lot step means: the lot still holds what was read.
LOT_AS_READ = "lot"  # "lot:<expires on>": the lot still holds what was read
LOT_CREDIT = "lot"  # a credit adds to the lot unconditionally


class PointsLot(NamedTuple):
    """Points of one patient that expire together, with what is left of them."""

    expires_on: str
    remaining: int


class DueLot(NamedTuple):
    """A lot past its expiry day, with whose it is (the expiry job's read)."""

    patient_id: str
    expires_on: str
    remaining: int


class LotsChanged(plans.Refused):
    """A lot moved since it was read (another debit or the expiry job): read the lots again."""

    def __init__(self) -> None:
        super().__init__(LOT_AS_READ, "the patient's points lots changed meanwhile")


def term_months(clinic: Clinic) -> int:
    return int(clinic.points_expiry_months or rules.DEFAULT_EXPIRY_MONTHS)


def credit_steps(patient: Patient, amount: int, earned: date, months: int) -> list[plans.Step]:
    """Add `amount` to the lot that expires `months` after `earned` (none for nothing credited)."""
    if amount <= 0:
        return []
    expires = rules.expires_on(earned, months).isoformat()
    lot = PointsLotItem(patient_pk(patient), keys.lot_sk(expires))
    return [plans.update(lot, [
        PointsLotItem.remaining.add(amount), PointsLotItem.expires_on.set(expires),
        PointsLotItem.patient_id.set(patient.patient_id),
        PointsLotItem.gsi1pk.set(keys.lot_expiry_pk(patient.clinic_id)),
        PointsLotItem.gsi1sk.set(keys.lot_expiry_sort(expires, patient.patient_id)),
    ], LOT_CREDIT)]


def open_lots(clinic_id: str, patient_id: str) -> list[PointsLot]:
    """The patient's lots with points left, earliest first."""
    raw = db.query_partition(keys.patient_pk(clinic_id, patient_id), keys.LOT_PREFIX, consistent=True)
    lots = [PointsLot(item["expires_on"]["S"], int(item["remaining"]["N"])) for item in raw]
    return [lot for lot in lots if lot.remaining > 0]


def debit_steps(patient: Patient, lots: list[PointsLot], amount: int) -> list[plans.Step]:
    """Take `amount` from the earliest-expiring lots, each update conditional on what was read
    (refused: `LotsChanged`)."""
    remaining = {lot.expires_on: lot.remaining for lot in lots}
    steps: list[plans.Step] = []
    for expires, take in rules.plan_spending([(lot.expires_on, lot.remaining) for lot in lots], amount):
        lot = PointsLotItem(patient_pk(patient), keys.lot_sk(expires))
        actions: list[Action] = [PointsLotItem.remaining.add(-take)]
        if take == remaining[expires]:
            actions += [PointsLotItem.gsi1pk.remove(), PointsLotItem.gsi1sk.remove()]
        steps.append(plans.update(lot, actions, f"{LOT_AS_READ}:{expires}",
                                  PointsLotItem.remaining == remaining[expires], LotsChanged()))
    return steps


def due_lots(clinic_id: str, today: date) -> list[DueLot]:
    """Lots whose expiry day is before today, through gsi1 (only lots with points left are there)."""
    bind()
    return [DueLot(item.patient_id, item.expires_on, int(item.remaining)) for item in
            PointsLotItem.by_gsi1.query(keys.lot_expiry_pk(clinic_id), PointsLotItem.gsi1sk < today.isoformat(),
                                        page_size=200)]


def expire(due: DueLot, clinic_id: str, at: str) -> int:
    """Expire what is left of one lot: a ledger entry, the balance, the lot, in one transaction."""
    from chalicelib.store.ledger import ledger_item

    amount = due.remaining
    if amount <= 0:
        return 0
    pk = keys.patient_pk(clinic_id, due.patient_id)
    lot = PointsLotItem(pk, keys.lot_sk(due.expires_on))
    patient = PatientItem(pk, keys.PROFILE_SK)
    try:
        with db.transaction() as txn:
            txn.update(lot, actions=[PointsLotItem.remaining.set(0), PointsLotItem.gsi1pk.remove(),
                                     PointsLotItem.gsi1sk.remove()],
                       condition=PointsLotItem.remaining == amount, label="lot")
            txn.save(ledger_item(pk, f"expire:{due.expires_on}", -amount, "expiry", at, due.expires_on),
                     condition=LedgerItem.sk.does_not_exist(), label="ledger")
            txn.update(patient, actions=[PatientItem.balance.add(-amount)],
                       condition=PatientItem.balance >= amount, label="balance")
    except db.Cancelled as exc:
        if exc.conditional("lot") or exc.conditional("ledger"):
            return 0  # spent or expired meanwhile; the next run sees the lot as it is now
        raise
    return amount
