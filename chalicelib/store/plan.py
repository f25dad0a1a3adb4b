"""Write plans: a use case's items as a list of typed writes, executed in one TransactWriteItems.

A service that writes several items at once (a check-in with its streak, task, badge, voucher,
lot, board and membership items; a redemption; a registration with its referral) does not open
a transaction itself and never sees a key, a model or a condition. It asks the store module of
each kind for the `Step`s of its change, puts them in a `Plan`, says which refusals mean which
domain error, and hands the plan to `execute` (see chalicelib/services/activity.py `take_reward`):

    from chalicelib.store import idempotency, lots, points
    from chalicelib.store import plan as plans

    plan = plans.Plan()
    plan.add(points.redemption_steps(patient, redemption),      # the entry and the redemption, once
             refused=Conflict("this redemption was already made", code="already_redeemed"))
    plan.add(points.reward_steps(patient, reward))              # labels points.IN_STOCK, ALLOWANCE_LEFT
    plan.refuse(points.IN_STOCK, Conflict("this reward is out of stock", code="out_of_stock"))
    plan.add(points.debit(patient, cost, redeemed_at=at),      # label points.BALANCE_COVERS
             refused=InsufficientPoints("not enough points for this reward"))
    plan.add(lots.debit_steps(patient, open_lots, cost))        # default refusal lots.LotsChanged
    idempotency.record_in(plan, principal, idem, 201, reply)    # the stored answer joins the plan
    plans.execute(plan)                                         # one TransactWriteItems call

A store module offers steps for its kind of item as functions that build the item and return
`put(item, label, condition, refused)`, `update(item, actions, label, condition, refused)`,
`delete(item, label, condition)` or `check(item, condition, label, refused)`; the label
constants live next to them. `profile_exists(clinic, patient)` joins the check that the
patient's record still exists; `of_writes` turns the `db.Write`s and deletes other modules
still hand out into steps.

Each step's `label` says what its condition means ("balance covers the price", "first check-in
of this type today"); the label constants live in the store module that builds the step. When
DynamoDB cancels the transaction, `execute` raises the error mapped to the first refused label,
in plan order: the one given by `Plan.refuse` (or `add(..., refused=...)`), else the step's own
default (store modules attach one where the refusal has a single meaning, e.g. an earning
limit's `LimitReached`). A cancellation with no mapped error is raised as `Cancelled` (its
`conditional(label)` and `retryable` let a service loop decide to read again and rebuild).
The stored answer of an Idempotency-Key and the patient-record check keep the meanings
`store.db.transaction` gives them (`RequestInProgress`, `patient_not_found`).

DynamoDB lets a transaction touch an item once, so updates of the same item are merged into
one: their actions joined, their conditions and-ed, under the label of the first that has a
condition. That is how the points of a check-in, its streak rewards and its segment facts end
up in one update of the profile without any module knowing about the others.

The store never calls back into services: anything that depends on the outcome of a refusal
(pay nothing once a limit is reached, read the board again) is the service's loop, which
catches the error, rebuilds its plan and executes it again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from chalicelib.store import db
from chalicelib.store.models import Base

Cancelled = db.Cancelled
Kind = Literal["put", "update", "delete", "check"]


class Refused(Exception):
    """A condition of a plan refused the write (a store's default meaning for a label)."""

    def __init__(self, label: str, message: str | None = None):
        super().__init__(message or f"refused: {label}")
        self.label = label


class Step(NamedTuple):
    """One write of a plan. Store modules build steps; services only collect them."""

    kind: Kind
    item: Base
    label: str  # what the condition means; the key of the refusal in a cancelled transaction
    actions: tuple[Action, ...] = ()
    condition: Condition | None = None
    refused: Exception | None = None  # the store's default meaning of a refusal, if it has one

    @property
    def target(self) -> tuple[str, str]:
        return str(self.item.pk), str(self.item.sk)


def put(item: Base, label: str, condition: Condition | None = None, refused: Exception | None = None) -> Step:
    return Step("put", item, label, (), condition, refused)


def update(item: Base, actions: Sequence[Action], label: str, condition: Condition | None = None,
           refused: Exception | None = None) -> Step:
    return Step("update", item, label, tuple(actions), condition, refused)


def delete(item: Base, label: str, condition: Condition | None = None) -> Step:
    return Step("delete", item, label, (), condition)


def check(item: Base, condition: Condition, label: str, refused: Exception | None = None) -> Step:
    return Step("check", item, label, (), condition, refused)


def profile_exists(clinic_id: str, patient_id: str) -> Step:
    """A check that the patient's record exists (`store.db.PROFILE_LABEL`): a plan racing the
    patient's erasure fails with `patient_not_found` instead of writing into the erased partition."""
    from chalicelib.store import keys
    from chalicelib.store.models import PatientItem

    return check(PatientItem(keys.patient_pk(clinic_id, patient_id), "PROFILE"), PatientItem.pk.exists(),
                 db.PROFILE_LABEL)


def of_writes(writes: Iterable[Any]) -> list[Step]:
    """Steps for the `db.Write`s (puts, updates) and deletes (a `store.segments.Delete`: an item
    and a label, no `actions`) that other store modules still hand out."""
    steps: list[Step] = []
    for write in writes:
        item = write.item
        if not isinstance(item, Base) or not isinstance(write.label, str):
            raise TypeError(f"{type(item).__name__} is not an item of the table")
        actions = getattr(write, "actions", None)
        condition = getattr(write, "condition", None)
        if not hasattr(write, "actions"):
            steps.append(delete(item, write.label, condition))
        elif actions is None:
            steps.append(put(item, write.label, condition))
        else:
            steps.append(update(item, actions, write.label, condition))
    return steps


@dataclass
class Plan:
    """The writes of one use case and what their refusals mean."""

    steps: list[Step] = field(default_factory=list)
    errors: dict[str, Exception] = field(default_factory=dict)
    committed_hooks: list[Callable[[], None]] = field(default_factory=list)

    def add(self, *steps: Step | Iterable[Step], refused: Exception | None = None) -> Plan:
        """Add steps (or lists of steps); `refused` maps their labels to this error."""
        for entry in steps:
            for step in ([entry] if isinstance(entry, Step) else list(entry)):
                self.steps.append(step)
                if refused is not None:
                    self.errors[step.label] = refused
        return self

    def refuse(self, label: str, error: Exception) -> Plan:
        """When the condition labelled `label` refuses the write, `execute` raises `error`."""
        self.errors[label] = error
        return self

    def on_commit(self, hook: Callable[[], None]) -> Plan:
        """Run `hook` once the transaction has committed (e.g. mark an Idempotency-Key recorded)."""
        self.committed_hooks.append(hook)
        return self

    def labels(self) -> list[str]:
        return [step.label for step in self.merged()]

    def merged(self) -> list[Step]:
        """The steps with every item's updates merged into one (a transaction touches an item once)."""
        out: list[Step] = []
        updates: dict[tuple[str, str], int] = {}
        for step in self.steps:
            where = updates.get(step.target) if step.kind == "update" else None
            if where is None:
                if step.kind == "update":
                    updates[step.target] = len(out)
                out.append(step)
                continue
            first = out[where]
            condition = first.condition
            if step.condition is not None:
                condition = step.condition if condition is None else condition & step.condition
            label = first.label if first.condition is not None or step.condition is None else step.label
            refused = first.refused if label == first.label else step.refused
            out[where] = first._replace(actions=first.actions + step.actions, condition=condition, label=label,
                                 refused=refused)
        return out

    def error_for(self, cancelled: db.Cancelled) -> Exception | None:
        """The error that the first refused condition (in plan order) means, if one is mapped."""
        for step in self.merged():
            if cancelled.conditional(step.label):
                error = self.errors.get(step.label, step.refused)
                if error is not None:
                    return error
        return None


def apply_to(txn: db.Transaction, steps: Iterable[Step]) -> None:
    """Add steps to a transaction opened the older way (`db.transaction`), for the writes that are
    not plans yet; the caller merges updates of one item itself."""
    for step in steps:
        if step.kind == "put":
            txn.save(step.item, condition=step.condition, label=step.label)
        elif step.kind == "update":
            txn.update(step.item, actions=step.actions, condition=step.condition, label=step.label)
        elif step.kind == "delete":
            txn.delete(step.item, condition=step.condition, label=step.label)
        else:
            assert step.condition is not None, "a check carries a condition"
            txn.check(type(step.item), str(step.item.pk), str(step.item.sk), step.condition, label=step.label)


def execute(plan: Plan) -> None:
    """Write the plan in one TransactWriteItems call; a refusal raises the error its label means."""
    steps = plan.merged()
    if not steps:
        return
    try:
        with db.transaction() as txn:
            apply_to(txn, steps)
    except db.Cancelled as exc:
        error = plan.error_for(exc)
        if error is not None:
            raise error from exc
        raise
    for hook in plan.committed_hooks:
        hook()
