"""A patient's progress items (sort keys `PROG#...`): challenge enrolments and assigned tasks,
read in one consistent Query of their partition for the check-in's evaluators."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chalicelib.store import db, keys
from chalicelib.store.challenges import Enrolment, enrolment_from_raw
from chalicelib.store.tasks import Task, task_from_raw


@dataclass(frozen=True)
class Progress:
    """What a check-in may move forward: the patient's enrolments and tasks, as read."""

    enrolments: list[Enrolment] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)


def read(clinic_id: str, patient_id: str) -> Progress:
    """All progress items of one patient, in one Query of their partition (consistent)."""
    raw = db.query_partition(keys.patient_pk(clinic_id, patient_id), keys.PROGRESS_PREFIX, consistent=True)
    return Progress(enrolments=[enrolment_from_raw(item) for item in _of_kind(raw, keys.ENROLMENT_PREFIX)],
                    tasks=[task_from_raw(item) for item in _of_kind(raw, keys.TASK_PREFIX)])


def _of_kind(raw: list[dict[str, Any]], prefix: str) -> list[dict[str, Any]]:
    """The items of one kind among a query's raw items, told apart by their sort key."""
    return [item for item in raw if item["sk"]["S"].startswith(prefix)]
