"""Ledger entries and the balance update that goes with them: the building blocks every points
write (check-in, share, visit, referral, redemption, expiry, experiment incentive) puts in its
one transaction or plan. The ledger's rules are at the top of store/points.py."""

from __future__ import annotations

from typing import NamedTuple
from collections.abc import Sequence

from pynamodb.expressions.update import Action

from chalicelib.store import keys
from chalicelib.store import plan as plans
from chalicelib.store.models import LedgerItem, PatientItem

# What a ledger step's condition means: the entry's deterministic id is not taken yet.
ENTRY_NEW = "ledger entry not written yet"


class LedgerEntry(NamedTuple):
    """One entry of a patient's ledger: never edited; a reversal is another entry."""

    entry_id: str
    points: int
    reason: str
    at: str
    ref: str | None = None
    note: str | None = None  # staff's reason for an adjustment or reversal
    staff: str | None = None  # who made it


def ledger_item(pk: str, entry_id: str, points: int, reason: str, at: str, ref: str | None = None) -> LedgerItem:
    """An entry with a deterministic id: written with attribute_not_exists, a retry never credits twice."""
    return LedgerItem(pk, keys.ledger_sk(entry_id), entry_id=entry_id, points=points, reason=reason, at=at, ref=ref)


def entry_of(item: LedgerItem) -> LedgerEntry:
    return LedgerEntry(entry_id=item.entry_id, points=int(item.points), reason=item.reason, at=item.at, ref=item.ref,
                       note=item.note, staff=item.staff)


def entry_put(clinic_id: str, patient_id: str, entry: LedgerEntry, label: str = ENTRY_NEW,
              refused: Exception | None = None) -> plans.Step:
    """The entry, written only if its id is free (a retry never credits twice)."""
    item = LedgerItem(keys.patient_pk(clinic_id, patient_id), keys.ledger_sk(entry.entry_id), entry_id=entry.entry_id,
                      points=entry.points, reason=entry.reason, at=entry.at, ref=entry.ref, note=entry.note,
                      staff=entry.staff)
    return plans.put(item, label, LedgerItem.sk.does_not_exist(), refused)


def credit_actions(points: int, extra: Sequence[Action] | None = None) -> list[Action]:
    """The patient item's update for `points` (earned_total counts credits only), plus `extra`."""
    actions: list[Action] = [PatientItem.balance.add(points)]
    if points > 0:
        actions.append(PatientItem.earned_total.add(points))
    return actions + list(extra or [])
