"""What a check-in moves forward besides points: streak challenges, exam tasks, badges.

A check-in stays one read of the patient's progress items and one TransactWriteItems call:
each evaluator looks at the check-in and the patient's progress (enrolments and tasks, read in
one Query with the check-in's other reads) and returns `Effect`s, whose plan steps the check-in
adds to its own plan. Points an effect awards are credited by the check-in's one update of the
patient's profile (the plan merges updates of one item).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from chalicelib.store import plan as plans
from chalicelib.store import progress as progress_store
from chalicelib.store.points import CheckIn
from chalicelib.store.progress import Progress


@dataclass
class Effect:
    """One step to add to the check-in's plan, with what it pays and what it adds to the answer."""

    step: plans.Step
    points: int = 0  # points this effect credits (its ledger entry is another Effect)
    reply: dict[str, Any] = field(default_factory=dict)  # merged into the check-in's answer
    # also written when the check-in is not the day's first of its type (a task counting the
    # day's best steps); such effects never carry points
    on_repeat: bool = False

    @property
    def label(self) -> str:
        return self.step.label


@dataclass
class CheckInContext:
    clinic: Any  # the clinic's settings (store.clinics)
    patient: Any  # the patient's profile (store.patients)
    checkin: CheckIn  # `counted` says whether it is the day's first of its type
    now: datetime
    progress: Progress  # the patient's enrolments and tasks as read


Evaluator = Callable[[CheckInContext], list[Effect]]

# Evaluators run in this order, named "module:function" and imported on first use.
EVALUATORS: list[str] = ["chalicelib.services.challenges:on_checkin", "chalicelib.services.tasks:on_checkin"]


def _resolve(name: str) -> Evaluator:
    import importlib

    module, _, function = name.partition(":")
    return getattr(importlib.import_module(module), function)


def read_progress(clinic_id: str, patient_id: str) -> Progress:
    return progress_store.read(clinic_id, patient_id)


def evaluate(context: CheckInContext) -> list[Effect]:
    effects: list[Effect] = []
    for name in EVALUATORS:
        effects.extend(_resolve(name)(context))
    return effects
