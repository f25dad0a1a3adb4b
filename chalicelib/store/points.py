"""Check-ins, the points ledger, rewards and redemptions: their records and the steps of their plans.

A balance changes only in the transaction that writes its ledger entry. Ledger entries have
deterministic ids guarded by attribute_not_exists, so a retry never credits twice, and a
debit carries `balance >= cost`, so the balance never goes below zero. The services assemble
a check-in or a redemption as a plan (store/plan.py) from the steps below; each is one
TransactWriteItems call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple, TYPE_CHECKING

from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactGet

from chalicelib.errors import Conflict
from chalicelib.store import db, idempotency, keys
from chalicelib.store import plan as plans
from chalicelib.store.earning import board_entry
from chalicelib.store.leaderboard import BoardEntry, entry_of
from chalicelib.store.ledger import ENTRY_NEW, LedgerEntry, credit_actions, entry_of as ledger_entry_of, entry_put
from chalicelib.store.models import (
    BoardEntryItem,
    CheckInItem,
    DayMarkItem,
    LedgerItem,
    PatientItem,
    RedemptionItem,
    RewardItem,
    RewardUseItem,
    bind,
)
from chalicelib.store.records import Patient, optional_int, patient_of, patient_pk, profile_ref

if TYPE_CHECKING:  # types only
    from chalicelib.auth import Principal
    from chalicelib.store.earning import Earning


# What the conditions of the check-in's and the redemption's steps mean.
FIRST_TODAY = "first"  # the first check-in of this type on this clinic day
CHECKIN_ENTRY_NEW = "ledger"  # the day's check-in payout was not made yet
PROFILE_EXISTS = db.PROFILE_LABEL  # the patient's record exists (refused: patient_not_found)
BALANCE_COVERS = "balance"  # the balance covers the price
NOT_REDEEMED_YET = "redemption"  # this redemption was not made yet
IN_STOCK = "stock"  # the reward is still in stock
ALLOWANCE_LEFT = "allowance"  # the patient may still redeem this reward


@dataclass
class CheckIn:
    """A patient's check-in (a glucose reading, a brushing, a walk); `counted` when it is the first
    of its type that clinic day, the one that pays and moves streaks."""

    checkin_id: str
    type: str
    value: float
    local_date: str
    client_time: str
    received_at: str
    counted: bool
    context: str | None = None  # glucose: fasting, after_meal or random
    diastolic: float | None = None  # blood pressure: the second number
    by: str | None = None  # the carer who checked in for the patient (a household member)


class Reward(NamedTuple):
    """A reward of the clinic's catalogue."""

    reward_id: str
    name: str
    name_en: str | None
    cost: int
    active: bool
    stock: int | None  # None: no stock kept (unlimited)
    per_patient_limit: int | None  # None: no limit per patient


class Redemption(NamedTuple):
    """A reward a patient took with their points."""

    redemption_id: str
    reward_id: str
    reward_name: str
    cost: int
    at: str
    status: str = "issued"
    code: str | None = None  # what the desk types to hand the reward over (chalicelib/store/redemptions.py)


class AlreadyCounted(plans.Refused):
    """A same-day twin check-in of the type counted first: this one pays nothing and moves nothing."""

    def __init__(self) -> None:
        super().__init__(FIRST_TODAY, "another check-in of this type counted today")


def reward_of(item: RewardItem) -> Reward:
    return Reward(reward_id=item.reward_id, name=item.name, name_en=item.name_en, cost=int(item.cost),
                  active=bool(item.active), stock=optional_int(item.stock),
                  per_patient_limit=optional_int(item.per_patient_limit))


def ledger_entry_id_for_checkin(checkin_type: str, day: str) -> str:
    return f"checkin:{checkin_type}:{day}"


def day_mark_sk(checkin_type: str, day: str) -> str:
    return keys.day_mark_sk(checkin_type, day)


# --- reads ------------------------------------------------------------------------------------

def read_checkin_state(clinic_id: str, patient_id: str, checkin_type: str, day: str, today: date
                       ) -> tuple[Patient | None, bool, BoardEntry | None]:
    """One TransactGetItems: the profile, whether the day's first check-in of the type exists,
    and the board entry of today's month."""
    bind()
    pk = keys.patient_pk(clinic_id, patient_id)
    _, board_sk = _board_key(clinic_id, patient_id, today)
    with TransactGet(connection=db.connection()) as txn:
        patient_future = txn.get(PatientItem, pk, keys.PROFILE_SK)
        mark_future = txn.get(DayMarkItem, pk, keys.day_mark_sk(checkin_type, day))
        board_future = txn.get(BoardEntryItem, pk, board_sk)
    board = db.resolved(board_future)
    patient = db.resolved(patient_future)
    return (patient_of(patient) if patient else None), db.resolved(mark_future) is not None, \
        entry_of(board) if board else None


def _board_key(clinic_id: str, patient_id: str, day: date) -> tuple[str, str]:
    from chalicelib.store.earning import board_key

    return board_key(clinic_id, patient_id, day)


def read_board(pk: str, sk: str) -> BoardEntry | None:
    """A board entry by its key (the payouts that are not plans yet read it this way)."""
    bind()
    try:
        return entry_of(BoardEntryItem.get(pk, sk, consistent_read=True))
    except BoardEntryItem.DoesNotExist:
        return None


def read_patient_and_reward(clinic_id: str, patient_id: str, reward_id: str
                            ) -> tuple[Patient | None, Reward | None]:
    """One TransactGetItems: the patient's profile and a reward of the clinic's catalogue."""
    bind()
    with TransactGet(connection=db.connection()) as txn:
        patient_future = txn.get(PatientItem, keys.patient_pk(clinic_id, patient_id), keys.PROFILE_SK)
        reward_future = txn.get(RewardItem, keys.clinic_pk(clinic_id), keys.reward_sk(reward_id))
    reward = db.resolved(reward_future)
    patient = db.resolved(patient_future)
    return (patient_of(patient) if patient else None), reward_of(reward) if reward is not None else None



def get_entry(clinic_id: str, patient_id: str, entry_id: str) -> LedgerEntry | None:
    bind()
    try:
        item = LedgerItem.get(keys.patient_pk(clinic_id, patient_id), keys.ledger_sk(entry_id), consistent_read=True)
    except LedgerItem.DoesNotExist:
        return None
    return ledger_entry_of(item)


# --- the steps of a check-in ------------------------------------------------------------------

def checkin_put(patient: Patient, checkin: CheckIn) -> plans.Step:
    item = CheckInItem(patient_pk(patient), keys.checkin_sk(checkin.local_date, checkin.type, checkin.checkin_id),
                       checkin_id=checkin.checkin_id, type=checkin.type, value=checkin.value,
                       local_date=checkin.local_date, client_time=checkin.client_time,
                       received_at=checkin.received_at, counted=checkin.counted, context=checkin.context,
                       diastolic=checkin.diastolic, by=checkin.by)
    return plans.put(item, "checkin")


def counted_checkin_steps(patient: Patient, checkin: CheckIn, *, entry_id: str, paid: int, credit: int,
                          at: str) -> list[plans.Step]:
    """The day's first check-in of its type: the check-in, the day mark (FIRST_TODAY), the rule's
    ledger entry when it pays, and the profile credited with everything the plan pays (`credit`).
    A twin that counted first refuses it with `AlreadyCounted`."""
    steps = [checkin_put(patient, checkin),
             plans.put(DayMarkItem(patient_pk(patient), keys.day_mark_sk(checkin.type, checkin.local_date),
                                   checkin_id=checkin.checkin_id),
                       FIRST_TODAY, DayMarkItem.sk.does_not_exist(), AlreadyCounted())]
    if paid:
        steps.append(entry_put(patient.clinic_id, patient.patient_id,
                               LedgerEntry(entry_id, paid, "checkin", at, checkin.checkin_id),
                               CHECKIN_ENTRY_NEW, AlreadyCounted()))
    steps.append(profile_credit(patient, credit, last_checkin_date=checkin.local_date))
    return steps


def profile_credit(patient: Patient, points: int, *, last_checkin_date: str | None = None,
                   interaction_at: str | None = None) -> plans.Step:
    """The profile's balance (and earned total) moved by `points`, if the record still exists."""
    extra = []
    if last_checkin_date is not None:
        extra.append(PatientItem.last_checkin_date.set(last_checkin_date))
    if interaction_at is not None:
        extra.append(PatientItem.last_interaction_at.set(interaction_at))
    return plans.update(profile_ref(patient), credit_actions(points, extra), PROFILE_EXISTS,
                        PatientItem.pk.exists())


# --- the steps of a redemption ----------------------------------------------------------------

def debit(patient: Patient, cost: int, *, redeemed_at: str | None = None) -> plans.Step:
    """Take `cost` from the balance, only if the balance covers it (BALANCE_COVERS). A redemption
    (`redeemed_at`) counts in the redeemed total and as the patient's interaction."""
    actions: list[Action] = [PatientItem.balance.add(-cost)]
    if redeemed_at is not None:
        actions += [PatientItem.redeemed_total.add(cost), PatientItem.last_interaction_at.set(redeemed_at)]
    return plans.update(profile_ref(patient), actions, BALANCE_COVERS, PatientItem.balance >= cost)


def redemption_steps(patient: Patient, redemption: Redemption) -> list[plans.Step]:
    """The redemption and its ledger entry, each written once (NOT_REDEEMED_YET, ENTRY_NEW)."""
    item = RedemptionItem(patient_pk(patient), keys.redemption_sk(redemption.redemption_id),
                          redemption_id=redemption.redemption_id, reward_id=redemption.reward_id,
                          reward_name=redemption.reward_name, cost=redemption.cost, status=redemption.status,
                          at=redemption.at, code=redemption.code)
    entry = LedgerEntry(f"redeem:{redemption.redemption_id}", -redemption.cost, "redemption", redemption.at,
                        redemption.reward_id)
    steps = [entry_put(patient.clinic_id, patient.patient_id, entry, ENTRY_NEW),
             plans.put(item, NOT_REDEEMED_YET, RedemptionItem.sk.does_not_exist())]
    if redemption.code:
        from chalicelib.store.redemptions import code_step

        steps.append(code_step(patient.clinic_id, patient.patient_id, redemption.redemption_id, redemption.code))
    return steps


def reward_steps(patient: Patient, reward: Reward) -> list[plans.Step]:
    """One of the reward's stock (IN_STOCK) and of the patient's allowance (ALLOWANCE_LEFT), when kept."""
    steps = []
    if reward.stock is not None:
        steps.append(plans.update(RewardItem(keys.clinic_pk(patient.clinic_id), keys.reward_sk(reward.reward_id)),
                                  [RewardItem.stock.add(-1)], IN_STOCK, RewardItem.stock > 0))
    if reward.per_patient_limit is not None:
        use = RewardUseItem(patient_pk(patient), keys.reward_use_sk(reward.reward_id))
        steps.append(plans.update(use, [RewardUseItem.count.add(1)], ALLOWANCE_LEFT,
                                  RewardUseItem.count.does_not_exist()
                                  | (RewardUseItem.count < reward.per_patient_limit)))
    return steps


# --- single payouts and staff entries ---------------------------------------------------------

PAYOUT_ATTEMPTS = 4


def credit(patient: Patient, *, entry_id: str, points: int, reason: str, at: str, ref: str | None = None,
           earning: Earning | None = None, principal: Principal | None = None,
           idem: idempotency.IdempotencyKey | None = None, reply: dict[str, Any] | None = None,
           ) -> tuple[bool, str | None]:
    """Pay points once per entry id, with the rule's counters and board entry when `earning` is given.

    Returns (paid, the period whose limit refused it). (False, None): that entry already exists.
    """
    from chalicelib.store import earning as payouts

    for _ in range(PAYOUT_ATTEMPTS):
        plan = plans.Plan()
        plan.add(entry_put(patient.clinic_id, patient.patient_id, LedgerEntry(entry_id, points, reason, at, ref)))
        # a credit is the patient's own act (a share): it counts as an interaction for segments
        plan.add(profile_credit(patient, points, interaction_at=at))
        if earning is not None:
            plan.add(payouts.steps(patient, earning))
        if idem is not None:
            idempotency.record_in(plan, principal, idem, 201, reply)
        try:
            plans.execute(plan)
            return True, None
        except payouts.LimitReached as refused:
            return False, refused.period
        except payouts.BoardMoved:
            assert earning is not None
            earning.board = board_entry(patient.clinic_id, patient.patient_id, earning.day)
        except db.Cancelled as exc:
            if exc.conditional(ENTRY_NEW):
                return False, None
            raise
    raise Conflict("the patient's points changed meanwhile, try again", code="try_again")
