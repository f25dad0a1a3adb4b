"""Ledger entries and the balance update that goes with them: the building blocks every points
write (check-in, share, visit, referral, redemption, expiry, experiment incentive) puts in its
one transaction. The ledger's rules are at the top of store/points.py."""

from __future__ import annotations

from collections.abc import Sequence

from pynamodb.expressions.update import Action

from chalicelib.store.models import LedgerItem, PatientItem


def ledger_item(pk: str, entry_id: str, points: int, reason: str, at: str, ref: str | None = None) -> LedgerItem:
    """An entry with a deterministic id: written with attribute_not_exists, a retry never credits twice."""
    return LedgerItem(pk, f"LEDGER#{entry_id}", entry_id=entry_id, points=points, reason=reason, at=at, ref=ref)


def credit_actions(points: int, extra: Sequence[Action] | None = None) -> list[Action]:
    """The patient item's update for `points` (earned_total counts credits only), plus `extra`."""
    actions: list[Action] = [PatientItem.balance.add(points)]
    if points > 0:
        actions.append(PatientItem.earned_total.add(points))
    return actions + list(extra or [])
