"""Task rules, exams, assigned tasks and badges: their records, and the steps that write them.

- task rule: pk=<clinic> sk=TASKRULE#<flag>
- exam: pk=<clinic>#P#<patient> sk=EXAM#<exam id> (abnormal flags only)
- task: pk=<clinic>#P#<patient> sk=PROG#TASK#<task id> (read by the check-in's one Query of PROG#)
- badge: pk=<clinic>#P#<patient> sk=BADGE#<task id>

A check-in's task and badge writes are plan steps for the check-in's own plan; a staff
confirmation writes the same two steps in a plan of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from pynamodb.exceptions import DoesNotExist

from chalicelib.store import db, keys
from chalicelib.store import plan as plans
from chalicelib.store.models import BadgeItem, ClinicItem, ExamItem, PatientItem, TaskItem, TaskRuleItem, bind

# Kept for the modules that still name the key parts.
RULE = keys.TASK_RULE_PREFIX
EXAM = keys.EXAM_PREFIX
TASK = keys.TASK_PREFIX
BADGE = keys.BADGE_PREFIX


class TaskRule(NamedTuple):
    """The tasks an exam with this abnormal flag assigns."""

    flag: str
    tasks: list[dict[str, Any]]  # [domain.tasks.TaskTerms.as_dict()]
    updated_at: str
    updated_by: str | None = None


class Exam(NamedTuple):
    """An exam result as its abnormal flags only (the values stay in the clinic's system)."""

    exam_id: str
    taken_on: str
    flags: list[str]
    recorded_at: str
    recorded_by: str | None
    source: str  # staff | import
    tasks: list[str]  # ids of the tasks it assigned


@dataclass(frozen=True)
class Task:
    """A task assigned from an exam, with its terms copied and its marks; `version` guards updates."""

    task_id: str
    task_key: str
    flag: str
    exam_id: str
    terms: dict[str, Any]
    assigned_on: str
    due_on: str
    marks: list[str] = field(default_factory=list)  # counted clinic-local days / session days
    completed_on: str | None = None
    version: int = 0
    updated_at: str | None = None
    confirmed_by: list[str] = field(default_factory=list)  # staff, one per session, in order


class Badge(NamedTuple):
    """An e-badge a completed task awarded (written once)."""

    badge_id: str
    name: str
    name_en: str | None
    task_id: str
    task_key: str
    earned_on: str


def _rule(item: TaskRuleItem) -> TaskRule:
    return TaskRule(flag=item.flag, tasks=list(item.tasks or []), updated_at=item.updated_at,
                    updated_by=item.updated_by)


def _exam(item: ExamItem) -> Exam:
    return Exam(exam_id=item.exam_id, taken_on=item.taken_on, flags=list(item.flags or []),
                recorded_at=item.recorded_at, recorded_by=item.recorded_by, source=item.source,
                tasks=list(item.tasks or []))


def _task(item: TaskItem) -> Task:
    return Task(task_id=item.task_id, task_key=item.task_key, flag=item.flag, exam_id=item.exam_id,
                terms=dict(item.terms), assigned_on=item.assigned_on, due_on=item.due_on, marks=list(item.marks or []),
                completed_on=item.completed_on, version=int(item.version or 0), updated_at=item.updated_at,
                confirmed_by=list(item.confirmed_by or []))


def _badge(item: BadgeItem) -> Badge:
    return Badge(badge_id=item.badge_id, name=item.name, name_en=item.name_en, task_id=item.task_id,
                 task_key=item.task_key, earned_on=item.earned_on)


# --- rules and perks (clinic) -----------------------------------------------------------------

def put_rule(clinic_id: str, flag: str, tasks: list[dict[str, Any]], at: str, by: str | None = None) -> TaskRule:
    bind()
    item = TaskRuleItem(keys.clinic_pk(clinic_id), keys.task_rule_sk(flag), flag=flag, tasks=tasks, updated_at=at,
                        updated_by=by)
    item.save()
    return _rule(item)


def rules(clinic_id: str) -> dict[str, list[dict[str, Any]]]:
    return {rule.flag: rule.tasks for rule in rule_items(clinic_id)}


def rule_items(clinic_id: str) -> list[TaskRule]:
    bind()
    return [_rule(item) for item in
            TaskRuleItem.query(keys.clinic_pk(clinic_id), TaskRuleItem.sk.startswith(keys.TASK_RULE_PREFIX))]


def set_perks(clinic_id: str, perks: list[dict[str, Any]]) -> None:
    bind()
    ClinicItem(keys.clinic_pk(clinic_id), "CLINIC").update(actions=[ClinicItem.perks.set(perks)],
                                                           condition=ClinicItem.pk.exists())


# --- exams and task assignment ----------------------------------------------------------------

def exam_exists(clinic_id: str, patient_id: str, exam_id: str) -> Exam | None:
    bind()
    try:
        return _exam(ExamItem.get(keys.patient_pk(clinic_id, patient_id), keys.exam_sk(exam_id),
                                  consistent_read=True))
    except DoesNotExist:
        return None


class ExamRecorded(plans.Refused):
    """The exam was recorded before (its id is taken): recording it again changes nothing."""

    def __init__(self) -> None:
        super().__init__("exam", "this exam was recorded before")


def exam_steps(clinic_id: str, patient_id: str, exam: Exam, tasks: list[Task]) -> list[plans.Step]:
    """The exam (refused with `ExamRecorded` when recorded before), the tasks it assigns, each
    once, and the exam's day on the profile (for the re-check figures)."""
    pk = keys.patient_pk(clinic_id, patient_id)
    steps = [plans.put(ExamItem(pk, keys.exam_sk(exam.exam_id), exam_id=exam.exam_id, taken_on=exam.taken_on,
                                flags=exam.flags, recorded_at=exam.recorded_at, recorded_by=exam.recorded_by,
                                source=exam.source, tasks=exam.tasks),
                       "exam", ExamItem.sk.does_not_exist(), ExamRecorded())]
    for task in tasks:
        item = TaskItem(pk, keys.task_sk(task.task_id), task_id=task.task_id, task_key=task.task_key, flag=task.flag,
                        exam_id=task.exam_id, terms=task.terms, assigned_on=task.assigned_on, due_on=task.due_on,
                        marks=task.marks, version=task.version, updated_at=task.updated_at)
        steps.append(plans.put(item, f"task:{task.task_id}", TaskItem.sk.does_not_exist()))
    steps.append(plans.update(PatientItem(pk, keys.PROFILE_SK),
                              [PatientItem.exam_days.set((PatientItem.exam_days | []).append([exam.taken_on]))],
                              "patient", PatientItem.pk.exists()))
    return steps


def exams(clinic_id: str, patient_id: str) -> list[Exam]:
    raw = db.query_partition(keys.patient_pk(clinic_id, patient_id), keys.EXAM_PREFIX, descending=True)
    return [_exam(ExamItem.from_raw_data(item)) for item in raw]


def tasks(clinic_id: str, patient_id: str) -> list[Task]:
    raw = db.query_partition(keys.patient_pk(clinic_id, patient_id), keys.TASK_PREFIX, consistent=True)
    return [task_from_raw(item) for item in raw]


def get_task(clinic_id: str, patient_id: str, task_id: str) -> Task | None:
    bind()
    try:
        return _task(TaskItem.get(keys.patient_pk(clinic_id, patient_id), keys.task_sk(task_id),
                                  consistent_read=True))
    except DoesNotExist:
        return None


def task_from_raw(raw: dict[str, Any]) -> Task:
    return _task(TaskItem.from_raw_data(raw))


def badges(clinic_id: str, patient_id: str) -> list[Badge]:
    raw = db.query_partition(keys.patient_pk(clinic_id, patient_id), keys.BADGE_PREFIX)
    return [_badge(BadgeItem.from_raw_data(item)) for item in raw]


# --- progress steps ---------------------------------------------------------------------------

def task_label(task: Task) -> str:
    """The label of a task's update: the task is as it was read (its version)."""
    return f"task:{task.task_id}"


def task_step(clinic_id: str, patient_id: str, task: Task, *, marks: list[str], completed_on: str | None, at: str,
              confirmed_by: str | None = None) -> plans.Step:
    """The task's new marks (and completion), written only if nobody changed it since it was read."""
    actions = [TaskItem.version.set(task.version + 1), TaskItem.marks.set(marks), TaskItem.updated_at.set(at)]
    if completed_on:
        actions.append(TaskItem.completed_on.set(completed_on))
    if confirmed_by is not None:
        actions.append(TaskItem.confirmed_by.set([*task.confirmed_by, confirmed_by]))
    return plans.update(TaskItem(keys.patient_pk(clinic_id, patient_id), keys.task_sk(task.task_id)), actions,
                        task_label(task), TaskItem.version == task.version)


def badge_step(clinic_id: str, patient_id: str, task: Task, badge: dict[str, Any], earned_on: str) -> plans.Step:
    """The badge of a completed task, written once (label `badge:<task>`)."""
    item = BadgeItem(keys.patient_pk(clinic_id, patient_id), keys.badge_sk(task.task_id), badge_id=badge["badge_id"],
                     name=badge["name"], name_en=badge.get("name_en"), task_id=task.task_id, task_key=task.task_key,
                     earned_on=earned_on)
    return plans.put(item, f"badge:{task.task_id}", BadgeItem.sk.does_not_exist())
