"""What every payout by an earning rule adds to its transaction: the rule's period counters
(limits), the points lot and the patient's monthly leaderboard entry.

All are items of the patient's own partition, so they join the payout's TransactWriteItems
without another write call. A counter refuses the payout once its period is full
(`LimitReached`); the board entry is set to the score read plus the points, conditional on the
score read, so a concurrent payout refuses it (`BoardMoved`) and the payout is built again from
a fresh read instead of losing points on the board.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from chalicelib.domain import earning as rules
from chalicelib.domain.clock import zone
from chalicelib.store import db, keys
from chalicelib.store import plan as plans
from chalicelib.store.leaderboard import BoardEntry, entry_of
from chalicelib.store.models import BoardEntryItem, LimitCounterItem, bind
from chalicelib.store.records import Clinic, Patient, patient_pk

# What the steps' conditions mean (the labels are short: other payouts' transactions read them too).
LIMIT_LEFT = "limit"  # "limit:<period>": the rule's limit of the period is not reached yet
BOARD_AS_READ = "board"  # the board entry still holds the score read


class LimitReached(plans.Refused):
    """The rule already paid as often as its period allows."""

    def __init__(self, period: str):
        super().__init__(f"{LIMIT_LEFT}:{period}", f"the {period} limit of this rule is reached")
        self.period = period


class BoardMoved(plans.Refused):
    """Another payout changed the month's board entry since it was read: read it and build again."""

    def __init__(self) -> None:
        super().__init__(BOARD_AS_READ, "the board entry changed meanwhile")


@dataclass
class Earning:
    rule: str
    points: int  # paid by the rule; subject to its limits
    day: date  # clinic-local day of the payout
    tz: str
    limits: dict[str, int] = field(default_factory=dict)
    board: BoardEntry | None = None  # the month's entry as read (None: none yet)
    board_points: int | None = None  # points that rank on the board (default: `points` if the rule ranks)
    extra_credit: int = 0  # points credited beside the rule's in the same transaction (challenge rewards)
    expiry_months: int = 12

    @property
    def ranked_points(self) -> int:
        if self.board_points is not None:
            return self.board_points
        return self.points if self.rule in rules.BOARD_RULES else 0


def board_key(clinic_id: str, patient_id: str, day: date) -> tuple[str, str]:
    return keys.patient_pk(clinic_id, patient_id), keys.board_entry_sk(rules.month_key(day))


def board_entry(clinic_id: str, patient_id: str, day: date) -> BoardEntry | None:
    """The patient's board entry of the month of `day`, read consistently (None: none yet)."""
    bind()
    try:
        return entry_of(BoardEntryItem.get(*board_key(clinic_id, patient_id, day), consistent_read=True))
    except BoardEntryItem.DoesNotExist:
        return None


def plan(clinic: Clinic, patient: Patient, rule: str, points: int, day: date, board: BoardEntry | None,
         board_points: int | None = None) -> Earning:
    from chalicelib.store.lots import term_months

    return Earning(rule=rule, points=points, day=day, tz=clinic.tz,
                   limits=rules.limits_for(clinic.earning_limits, rule) if points else {},
                   board=board, board_points=board_points, expiry_months=term_months(clinic))


def _expiry(day: date, tz: str) -> int:
    end = datetime.combine(day + timedelta(days=2), time(0), tzinfo=zone(tz))
    return int(end.timestamp())


def steps(patient: Patient, payout: Earning) -> list[plans.Step]:
    """The counters, the points lot and the board entry of one payout, as plan steps."""
    from chalicelib.store import lots

    out = lots.credit_steps(patient, payout.points + payout.extra_credit, payout.day, payout.expiry_months)
    for period, maximum in payout.limits.items():
        counter = LimitCounterItem(patient_pk(patient), keys.limit_sk(payout.rule, rules.period_key(period, payout.day)))
        out.append(plans.update(
            counter,
            [LimitCounterItem.count.add(1),
             LimitCounterItem.expires_at.set(_expiry(rules.period_end(period, payout.day), payout.tz))],
            f"{LIMIT_LEFT}:{period}",
            LimitCounterItem.count.does_not_exist() | (LimitCounterItem.count < maximum),
            LimitReached(period)))
    gained = payout.ranked_points
    if gained <= 0:
        return out
    pk, sk = board_key(patient.clinic_id, patient.patient_id, payout.day)
    month = rules.month_key(payout.day)
    before = payout.board.score if payout.board is not None else None
    score = (before or 0) + gained
    actions = [BoardEntryItem.score.set(score), BoardEntryItem.month.set(month),
               BoardEntryItem.patient_id.set(patient.patient_id), BoardEntryItem.name_masked.set(patient.name_masked)]
    if patient.board_hidden:
        actions += [BoardEntryItem.gsi1pk.remove(), BoardEntryItem.gsi1sk.remove()]
    else:
        shard = rules.shard_of(patient.patient_id)
        actions += [BoardEntryItem.gsi1pk.set(keys.board_pk(patient.clinic_id, month, shard)),
                    BoardEntryItem.gsi1sk.set(rules.score_sort(score, patient.patient_id))]
    condition = BoardEntryItem.sk.does_not_exist() if before is None else BoardEntryItem.score == before
    out.append(plans.update(BoardEntryItem(pk, sk), actions, BOARD_AS_READ, condition, BoardMoved()))
    return out


def add(txn: db.Transaction, patient: Patient, payout: Earning) -> None:
    """Add the counters, the points lot and the board entry of one payout to a write transaction
    (for the payouts that are not plans yet; `limit_reached` and `board_moved` read the refusal)."""
    plans.apply_to(txn, steps(patient, payout))


def limit_reached(exc: db.Cancelled) -> str | None:
    """The period whose limit refused a payout, from a cancelled transaction, if any."""
    for period in rules.PERIODS:
        if exc.conditional(f"{LIMIT_LEFT}:{period}"):
            return period
    return None


def board_moved(exc: db.Cancelled) -> bool:
    return exc.conditional(BOARD_AS_READ)
