"""A patient's progress items (sort keys `PROG#...`): challenge enrolments and assigned tasks,
read in one consistent Query of their partition for the check-in's evaluators."""

from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.store import db, keys
from chalicelib.store.challenges import Enrolment, enrolment_from_raw, is_enrolment
from chalicelib.store.tasks import Task, is_task, task_from_raw


@dataclass(frozen=True)
class Progress:
    """What a check-in may move forward: the patient's enrolments and tasks, as read."""

    enrolments: list[Enrolment] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)


def read(clinic_id: str, patient_id: str) -> Progress:
    """All progress items of one patient, in one Query of their partition (consistent)."""
    raw = db.query_partition(keys.patient_pk(clinic_id, patient_id), keys.PROGRESS_PREFIX, consistent=True)
    return Progress(enrolments=[enrolment_from_raw(item) for item in raw if is_enrolment(item)],
                    tasks=[task_from_raw(item) for item in raw if is_task(item)])
