"""Exam task lists, badges and perks: staff record exams and confirm sessions, admins set the task
rules and perks, patients follow their tasks, and the booking side reads a patient's perks."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Literal, Optional

from chalice import Blueprint
from pydantic import Field

from chalicelib.api import replies
from chalicelib.api.models import CODE, Id, ImportQuery, Strict, real
from chalicelib.api.routing import ADMIN, PATIENT, READERS, STAFF, route
from chalicelib.domain import tasks as rules
from chalicelib.lazy import lazy

# The services each route calls, as type checkers and import analysis see them; at run time
# each module loads on first use, so a function's cold start pays only for what it runs.
if TYPE_CHECKING:
    from chalicelib.services import tasks as service
else:
    service = lazy("chalicelib.services.tasks")

bp: Blueprint = Blueprint(__name__)


# A bounded float is a float to the type checker; pydantic reads its bounds (models.real).
if TYPE_CHECKING:
    Threshold = float
else:
    Threshold = real(1, 0, 1_000_000)


Name = Field(min_length=1, max_length=60)
NameEn = Field(default=None, max_length=60)


class BadgeBody(Strict):
    badge_id: str = Id
    name: str = Name
    name_en: Optional[str] = NameEn


class TaskBody(Strict):
    """One task: check-in days (`checkin_type`, optional `min_value` on steps) or staff-confirmed sessions."""

    task_key: str = Id
    name: str = Name
    name_en: Optional[str] = NameEn
    kind: Literal[rules.KINDS]  # type: ignore[valid-type]
    target: int = Field(ge=1, le=rules.MAX_TARGET, description="days (check-in) or sessions (staff) to do")
    within_days: int = Field(ge=1, le=rules.MAX_WINDOW, description="days from assignment to the due day")
    checkin_type: Optional[str] = Field(default=None, min_length=2, max_length=40, pattern=CODE,
                                        description="one of the clinic's active check-in types (诊所设置)")
    min_value: Optional[Threshold] = None
    badge: BadgeBody


class TaskRuleBody(Strict):
    tasks: list[TaskBody] = Field(max_length=10)


class PerkBody(Strict):
    perk_id: str = Id
    name: str = Name
    name_en: Optional[str] = NameEn
    badges_required: int = Field(ge=1, le=100)
    priority_days: Optional[int] = Field(
        default=None, ge=1, le=rules.MAX_PRIORITY_DAYS,
        description=f"the {rules.PRIORITY_BOOKING} perk only: how many days before everyone else its holders may "
                    f"book expert slots (default {rules.DEFAULT_PRIORITY_DAYS})")


class PerksBody(Strict):
    perks: list[PerkBody] = Field(max_length=10)


class ExamBody(Strict):
    taken_on: date
    flags: list[Annotated[str, Field(min_length=2, max_length=40, pattern=r"^[a-z][a-z0-9_]+$")]] = Field(
        max_length=20, description="the clinic's exam flag codes (GET /clinic/catalogue)")
    exam_id: Optional[str] = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")


class ConfirmBody(Strict):
    session_on: Optional[date] = Field(default=None, description="the session's day; default today")


@route(bp, "/task-rules", roles=READERS,
       reply=replies.TaskRulesReply,
       summary="Known abnormal flags, the tasks each assigns, and the perks")
def task_rules(call):
    return service.rules_view(call.principal.clinic_id)


@route(bp, "/task-rules/{flag}", methods=("PUT",), roles=ADMIN, body=TaskRuleBody,
       reply=replies.TaskRule,
       errors=("clinical_threshold", "duplicate_task_key", "invalid_perk", "invalid_task", "task_impossible",
               "unknown_checkin_type", (404, "unknown_flag")),
       summary="Set the tasks an abnormal flag assigns; tasks already assigned keep their terms")
def put_task_rule(call):
    return service.put_rule(call.principal, call.params["flag"], call.body)


@route(bp, "/perks", methods=("PUT",), roles=ADMIN, body=PerksBody,
       reply=replies.PutPerksReply,
       errors=("clinical_threshold", "duplicate_perk", "invalid_perk", "invalid_task", "task_impossible"),
       summary="Set the perks and how many badges unlock each")
def put_perks(call):
    return service.put_perks(call.principal, call.body)


@route(bp, "/patients/{patient_id}/exams", methods=("POST",), roles=STAFF, body=ExamBody,
       idempotent=True,
       reply=replies.RecordExamReply, status=(201, 200), errors=("invalid_date", "unknown_flag"),
       summary="Record an exam's abnormal flags; assigns the tasks of the flags' rules")
def record_exam(call):
    b = call.body
    created, result = service.record_exam(call.principal.clinic_id, call.params["patient_id"], taken_on=b.taken_on,
                                          flags=b.flags, exam_id=b.exam_id, recorded_by=call.principal.username)
    return (201 if created else 200), result


@route(bp, "/exams/import", methods=("POST",), roles=STAFF, content_types=("text/csv", "text/plain"),
       query=ImportQuery, reply=replies.ImportExamsReply, errors=("invalid_csv",),
       summary="Import exam results (patient, date, flags) from CSV; bad rows are reported by line "
               "(?dry_run=true: what would be recorded, nothing written)")
def import_exams(call):
    return service.import_csv(call.principal.clinic_id, call.text(), call.principal.username,
                              dry_run=call.query.dry_run)


@route(bp, "/patients/{patient_id}/tasks", roles=STAFF,
       reply=replies.MyTasksReply,
       summary="A patient's exams, tasks, badges and perks")
def patient_tasks(call):
    return service.overview(call.principal.clinic_id, call.params["patient_id"])


@route(bp, "/patients/{patient_id}/tasks/{task_id}/confirm", methods=("POST",), roles=STAFF,
       body=ConfirmBody, idempotent=True,
       reply=replies.ConfirmTaskReply,
       errors=("invalid_date", "session_outside_window", "task_closed", "task_not_confirmable"),
       summary="Confirm one session of a staff-confirmed task (one per day); the last awards the badge")
def confirm_task(call):
    return {"task": service.confirm(call.principal, call.params["patient_id"], call.params["task_id"],
                                    call.body.session_on)}


@route(bp, "/patients/{patient_id}/perks", roles=STAFF,
       reply=replies.MyPerksReply,
       summary="The perks a patient's badges unlock (read by the booking side for priority booking)")
def patient_perks(call):
    return service.perks_view(call.principal.clinic_id, call.params["patient_id"])


@route(bp, "/me/tasks", roles=PATIENT, reply=replies.MyTasksReply, summary="The caller's tasks, badges and perks")
def my_tasks(call):
    return service.overview(call.principal.clinic_id, call.principal.patient_id)


@route(bp, "/me/perks", roles=PATIENT, reply=replies.MyPerksReply, summary="The perks the caller's badges unlock")
def my_perks(call):
    return service.perks_view(call.principal.clinic_id, call.principal.patient_id)

