"""Task rules, exams, assigned tasks and badges: keys, conditions and the writes they need.

- task rule: pk=<clinic> sk=TASKRULE#<flag>
- exam: pk=<clinic>#P#<patient> sk=EXAM#<exam id> (abnormal flags only)
- task: pk=<clinic>#P#<patient> sk=PROG#TASK#<task id> (read by the check-in's one Query of PROG#)
- badge: pk=<clinic>#P#<patient> sk=BADGE#<task id>

A check-in's task and badge writes are returned as `Write`s for the check-in's own transaction;
a staff confirmation writes the same two items in a transaction of its own.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.store import db, keys
from chalicelib.store.db import Write
from chalicelib.store.models import BadgeItem, ClinicItem, ExamItem, PatientItem, TaskItem, TaskRuleItem, bind

RULE = "TASKRULE#"
EXAM = "EXAM#"
TASK = "PROG#TASK#"
BADGE = "BADGE#"


# --- rules and perks (clinic) -----------------------------------------------------------------

def put_rule(clinic_id: str, flag: str, tasks: list[dict[str, Any]], at: str, by: str | None = None) -> TaskRuleItem:
    bind()
    item = TaskRuleItem(keys.clinic_pk(clinic_id), RULE + flag, flag=flag, tasks=tasks, updated_at=at, updated_by=by)
    item.save()
    return item


def rules(clinic_id: str) -> dict[str, list[dict[str, Any]]]:
    bind()
    return {item.flag: list(item.tasks or [])
            for item in TaskRuleItem.query(keys.clinic_pk(clinic_id), TaskRuleItem.sk.startswith(RULE))}


def rule_items(clinic_id: str) -> list[TaskRuleItem]:
    bind()
    return list(TaskRuleItem.query(keys.clinic_pk(clinic_id), TaskRuleItem.sk.startswith(RULE)))


def set_perks(clinic_id: str, perks: list[dict[str, Any]]) -> None:
    bind()
    ClinicItem(keys.clinic_pk(clinic_id), "CLINIC").update(actions=[ClinicItem.perks.set(perks)],
                                                           condition=ClinicItem.pk.exists())


# --- exams and task assignment ----------------------------------------------------------------

def exam_exists(clinic_id: str, patient_id: str, exam_id: str) -> ExamItem | None:
    bind()
    try:
        return ExamItem.get(keys.patient_pk(clinic_id, patient_id), EXAM + exam_id, consistent_read=True)
    except DoesNotExist:
        return None


def record_exam(exam: ExamItem, tasks: list[TaskItem]) -> bool:
    """The exam and the tasks it assigns, all or nothing; False when the exam was recorded before."""
    try:
        with db.transaction() as txn:
            txn.save(exam, condition=ExamItem.sk.does_not_exist(), label="exam")
            for task in tasks:
                txn.save(task, condition=TaskItem.sk.does_not_exist(), label=f"task:{task.task_id}")
            txn.update(PatientItem(exam.pk, "PROFILE"),
                       actions=[PatientItem.exam_days.set((PatientItem.exam_days | []).append([exam.taken_on]))],
                       condition=PatientItem.pk.exists(), label="patient")
    except db.Cancelled as exc:
        if exc.conditional("exam"):
            return False
        raise
    return True


def exams(clinic_id: str, patient_id: str) -> list[ExamItem]:
    raw = db.query_partition(keys.patient_pk(clinic_id, patient_id), EXAM, descending=True)
    return [ExamItem.from_raw_data(item) for item in raw]


def tasks(clinic_id: str, patient_id: str) -> list[TaskItem]:
    raw = db.query_partition(keys.patient_pk(clinic_id, patient_id), TASK, consistent=True)
    return [TaskItem.from_raw_data(item) for item in raw]


def get_task(clinic_id: str, patient_id: str, task_id: str) -> TaskItem | None:
    bind()
    try:
        return TaskItem.get(keys.patient_pk(clinic_id, patient_id), TASK + task_id, consistent_read=True)
    except DoesNotExist:
        return None


def is_task(raw: dict[str, Any]) -> bool:
    sk: str = raw.get("sk", {}).get("S", "")
    return sk.startswith(TASK)


def task_from_raw(raw: dict[str, Any]) -> TaskItem:
    return TaskItem.from_raw_data(raw)


def badges(clinic_id: str, patient_id: str) -> list[BadgeItem]:
    raw = db.query_partition(keys.patient_pk(clinic_id, patient_id), BADGE)
    return [BadgeItem.from_raw_data(item) for item in raw]


# --- progress writes --------------------------------------------------------------------------

def task_write(task: TaskItem, *, marks: list[str], completed_on: str | None, at: str,
               confirmed_by: str | None = None) -> Write:
    """The task's new marks (and completion), written only if nobody changed it since it was read."""
    read_version = int(task.version or 0)
    actions = [TaskItem.version.set(read_version + 1), TaskItem.marks.set(marks), TaskItem.updated_at.set(at)]
    if completed_on:
        actions.append(TaskItem.completed_on.set(completed_on))
    if confirmed_by is not None:
        actions.append(TaskItem.confirmed_by.set([*(task.confirmed_by or []), confirmed_by]))
    return Write(TaskItem(task.pk, task.sk), f"task:{task.task_id}", actions, TaskItem.version == read_version)


def badge_write(task: TaskItem, badge: dict[str, Any], earned_on: str) -> Write:
    item = BadgeItem(task.pk, BADGE + task.task_id, badge_id=badge["badge_id"], name=badge["name"],
                     name_en=badge.get("name_en"), task_id=task.task_id, task_key=task.task_key, earned_on=earned_on)
    return Write(item, f"badge:{task.task_id}", condition=BadgeItem.sk.does_not_exist())
