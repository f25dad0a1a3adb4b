"""What every payout by an earning rule adds to its transaction: the rule's period counters
(limits) and the patient's monthly leaderboard entry.

Both are items of the patient's own partition, so they join the payout's TransactWriteItems
without another write call. A counter refuses the payout once its period is full; the board
entry is set to the score read plus the points, conditional on the score read, so a concurrent
payout makes the transaction retry instead of losing points on the board.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from chalicelib.domain import earning as rules
from chalicelib.domain.clock import zone
from chalicelib.store import db, keys
from chalicelib.store.models import BoardEntryItem, ClinicItem, LimitCounterItem, PatientItem


@dataclass
class Earning:
    rule: str
    points: int  # paid by the rule; subject to its limits
    day: date  # clinic-local day of the payout
    tz: str
    limits: dict[str, int] = field(default_factory=dict)
    board: BoardEntryItem | None = None  # the month's entry as read (None: none yet)
    board_points: int | None = None  # points that rank on the board (default: `points` if the rule ranks)
    extra_credit: int = 0  # points credited beside the rule's in the same transaction (challenge rewards)
    expiry_months: int = 12

    @property
    def ranked_points(self) -> int:
        if self.board_points is not None:
            return self.board_points
        return self.points if self.rule in rules.BOARD_RULES else 0


def board_key(clinic_id: str, patient_id: str, day: date) -> tuple[str, str]:
    return keys.patient_pk(clinic_id, patient_id), f"LB#{rules.month_key(day)}"


def plan(clinic: ClinicItem, patient: PatientItem, rule: str, points: int, day: date, board: BoardEntryItem | None,
         board_points: int | None = None) -> Earning:
    from chalicelib.store.lots import term_months

    return Earning(rule=rule, points=points, day=day, tz=clinic.tz,
                   limits=rules.limits_for(clinic.earning_limits, rule) if points else {},
                   board=board, board_points=board_points, expiry_months=term_months(clinic))


def _expiry(day: date, tz: str) -> int:
    end = datetime.combine(day + timedelta(days=2), time(0), tzinfo=zone(tz))
    return int(end.timestamp())


def add(txn: db.Transaction, patient: PatientItem, plan: Earning) -> None:
    """Add the counters, the points lot and the board entry of one payout to a write transaction."""
    from chalicelib.store import lots

    lots.add_credit(txn, patient, plan.points + plan.extra_credit, plan.day, plan.expiry_months)
    for period, maximum in plan.limits.items():
        counter = LimitCounterItem(patient.pk, f"LIMIT#{plan.rule}#{rules.period_key(period, plan.day)}")
        txn.update(counter,
                   actions=[LimitCounterItem.count.add(1),
                            LimitCounterItem.expires_at.set(_expiry(rules.period_end(period, plan.day), plan.tz))],
                   condition=LimitCounterItem.count.does_not_exist() | (LimitCounterItem.count < maximum),
                   label=f"limit:{period}")
    gained = plan.ranked_points
    if gained <= 0:
        return
    pk, sk = board_key(patient.clinic_id, patient.patient_id, plan.day)
    month = rules.month_key(plan.day)
    before = int(plan.board.score) if plan.board is not None else None
    score = (before or 0) + gained
    entry = BoardEntryItem(pk, sk)
    actions = [BoardEntryItem.score.set(score), BoardEntryItem.month.set(month),
               BoardEntryItem.patient_id.set(patient.patient_id), BoardEntryItem.name_masked.set(patient.name_masked)]
    if patient.board_hidden:
        actions += [BoardEntryItem.gsi1pk.remove(), BoardEntryItem.gsi1sk.remove()]
    else:
        shard = rules.shard_of(patient.patient_id)
        actions += [BoardEntryItem.gsi1pk.set(keys.board_pk(patient.clinic_id, month, shard)),
                    BoardEntryItem.gsi1sk.set(rules.score_sort(score, patient.patient_id))]
    condition = BoardEntryItem.sk.does_not_exist() if before is None else BoardEntryItem.score == before
    txn.update(entry, actions=actions, condition=condition, label="board")


def limit_reached(exc: db.Cancelled) -> str | None:
    """The period whose limit refused a payout, from a cancelled transaction, if any."""
    for period in rules.PERIODS:
        if exc.conditional(f"limit:{period}"):
            return period
    return None
