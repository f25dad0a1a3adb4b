"""What a check-in moves forward besides points: streak challenges, exam tasks, badges.

A check-in stays one read of the patient's progress items and one TransactWriteItems call:
each evaluator looks at the check-in and the patient's progress items (sort keys starting
`PROG#`, read in one Query with the check-in's other reads) and returns `Effect`s, which the
check-in adds to its own transaction. Points an effect awards are merged into the check-in's
single update of the patient item (a transaction may touch an item only once).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from chalicelib.store import progress as progress_store


@dataclass
class Effect:
    """One write to add to the check-in's transaction."""

    item: Model
    label: str
    actions: Sequence[Action] | None = None  # None: put the item; otherwise: update it with these actions
    condition: Condition | None = None
    points: int = 0  # points this effect credits (its ledger entry is another Effect)
    reply: dict[str, Any] = field(default_factory=dict)  # merged into the check-in's answer
    # also written when the check-in is not the day's first of its type (a task counting the
    # day's best steps); such effects never carry points
    on_repeat: bool = False


@dataclass
class CheckInContext:
    clinic: Any  # ClinicItem
    patient: Any  # PatientItem
    checkin: Any  # CheckInItem; `counted` says whether it is the day's first of its type
    now: datetime
    progress: list[dict]  # raw items of the patient whose sort key starts with PROG#


Evaluator = Callable[[CheckInContext], list[Effect]]

# Evaluators run in this order, named "module:function" and imported on first use.
EVALUATORS: list[str] = ["chalicelib.services.challenges:on_checkin", "chalicelib.services.tasks:on_checkin"]


def _resolve(name: str) -> Evaluator:
    import importlib

    module, _, function = name.partition(":")
    return getattr(importlib.import_module(module), function)


def read_progress(clinic_id: str, patient_id: str) -> list[dict]:
    return progress_store.items(clinic_id, patient_id)


def evaluate(context: CheckInContext) -> list[Effect]:
    effects: list[Effect] = []
    for name in EVALUATORS:
        effects.extend(_resolve(name)(context))
    return effects
