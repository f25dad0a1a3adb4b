"""Exam task lists, badges and perks (S4): the rules, the defaults and how a task moves. Pure.

An exam result carries abnormal flags (high BMI, high blood pressure ...). A clinic's task
rule maps a flag to tasks; recording the exam assigns them. A task is done either from the
patient's check-ins ("8000 steps on 14 days within 21 days") or from staff confirmations
("three TCM sessions"); a done task awards its badge; perks unlock at a number of badges.

Tasks, badges and boards reward behaviour, never clinical values: a task may set a minimum
value only on a behaviour measure (steps). A glucose task counts the days a reading was
uploaded, whatever the reading.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, NamedTuple

FLAGS = ("high_bmi", "high_bp", "high_glucose", "high_lipids", "high_uric_acid")
CHECKIN = "checkin"
STAFF = "staff"
KINDS = (CHECKIN, STAFF)
# check-in types whose value is behaviour and may carry a threshold; the rest are clinical
# readings (glucose) or plain completions, and only their uploads count
THRESHOLD_TYPES = ("steps",)
MAX_TARGET = 365
MAX_WINDOW = 730
# an exam older than this is recorded but assigns no tasks: its advice is stale
ASSIGN_WITHIN_DAYS = 90

ACTIVE = "active"
COMPLETED = "completed"
EXPIRED = "expired"


class TermsError(ValueError):
    """A task definition that cannot work; `code` is the API's error code."""

    def __init__(self, message: str, code: str = "invalid_task"):
        super().__init__(message)
        self.code = code


class Badge(NamedTuple):
    badge_id: str
    name: str
    name_en: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"badge_id": self.badge_id, "name": self.name, "name_en": self.name_en}


@dataclass(frozen=True)
class TaskTerms:
    """One task as a rule defines it, copied into each assigned task.

    kind `checkin`: `target` clinic-local days with a check-in of `checkin_type` (and a value of
    at least `min_value`, for a behaviour measure) between assignment and the due day.
    kind `staff`: `target` sessions confirmed by staff on distinct days before the due day.
    """

    task_key: str
    name: str
    kind: str
    target: int
    within_days: int
    badge: Badge
    checkin_type: str | None = None
    min_value: float | None = None
    name_en: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise TermsError(f"kind is one of {', '.join(KINDS)}")
        if not 1 <= self.target <= MAX_TARGET:
            raise TermsError(f"target is 1 to {MAX_TARGET}")
        if not 1 <= self.within_days <= MAX_WINDOW:
            raise TermsError(f"within_days is 1 to {MAX_WINDOW}")
        if self.within_days < self.target:
            raise TermsError("within_days is shorter than the target: the task could never be done",
                             code="task_impossible")
        if self.kind == CHECKIN:
            if not self.checkin_type:
                raise TermsError("a check-in task needs a checkin_type")
            if self.min_value is not None and self.checkin_type not in THRESHOLD_TYPES:
                raise TermsError(f"a minimum value is allowed on {', '.join(THRESHOLD_TYPES)} only: tasks reward "
                                 "behaviour, never clinical values", code="clinical_threshold")
        elif self.checkin_type is not None or self.min_value is not None:
            raise TermsError("a staff-confirmed task has no checkin_type or min_value")

    def due_on(self, assigned_on: date) -> date:
        return assigned_on + timedelta(days=self.within_days - 1)

    def qualifies(self, checkin_type: str, value: float | None) -> bool:
        if self.kind != CHECKIN or checkin_type != self.checkin_type:
            return False
        return self.min_value is None or (value is not None and value >= self.min_value)

    def as_dict(self) -> dict[str, Any]:
        return {"task_key": self.task_key, "name": self.name, "name_en": self.name_en, "kind": self.kind,
                "target": self.target, "within_days": self.within_days, "checkin_type": self.checkin_type,
                "min_value": self.min_value, "badge": self.badge.as_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TaskTerms":
        badge = data["badge"]
        min_value = data.get("min_value")
        return cls(task_key=data["task_key"], name=data["name"], name_en=data.get("name_en"), kind=data["kind"],
                   target=int(data["target"]), within_days=int(data["within_days"]),
                   checkin_type=data.get("checkin_type"),
                   min_value=float(min_value) if min_value is not None else None,
                   badge=Badge(badge["badge_id"], badge["name"], badge.get("name_en")))


# The perk the booking side reads (docs/appointments.md, "Priority booking"): its holders may book a
# doctor's expert slots `priority_days` days before everyone else.
PRIORITY_BOOKING = "priority-booking"
DEFAULT_PRIORITY_DAYS = 7
MAX_PRIORITY_DAYS = 30


@dataclass(frozen=True)
class Perk:
    perk_id: str
    name: str
    badges_required: int
    name_en: str | None = None
    # the priority-booking perk only: how many days earlier its holders may book expert slots
    priority_days: int | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.badges_required <= 100:
            raise TermsError("badges_required is 1 to 100", code="invalid_perk")
        if self.perk_id == PRIORITY_BOOKING:
            if self.priority_days is None:
                object.__setattr__(self, "priority_days", DEFAULT_PRIORITY_DAYS)
            elif not 1 <= self.priority_days <= MAX_PRIORITY_DAYS:
                raise TermsError(f"priority_days is 1 to {MAX_PRIORITY_DAYS}", code="invalid_perk")
        elif self.priority_days is not None:
            raise TermsError(f"priority_days belongs to the {PRIORITY_BOOKING} perk only", code="invalid_perk")

    def as_dict(self) -> dict[str, Any]:
        return {"perk_id": self.perk_id, "name": self.name, "name_en": self.name_en,
                "badges_required": self.badges_required, "priority_days": self.priority_days}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Perk":
        days = data.get("priority_days")
        return cls(data["perk_id"], data["name"], int(data["badges_required"]), data.get("name_en"),
                   int(days) if days is not None else None)


def priority_perk(perks: list[Perk]) -> Perk | None:
    """The clinic's priority-booking perk, or None when its perk list has none (no priority window)."""
    return next((p for p in perks if p.perk_id == PRIORITY_BOOKING), None)


@dataclass
class TaskState:
    """Where one assigned task stands: the days (check-in tasks) or sessions (staff tasks) counted."""

    terms: TaskTerms
    assigned_on: date
    marks: list[str] = field(default_factory=list)  # ISO days counted, one per day
    completed_on: date | None = None

    @property
    def due_on(self) -> date:
        return self.terms.due_on(self.assigned_on)

    def status(self, today: date) -> str:
        if self.completed_on is not None:
            return COMPLETED
        return EXPIRED if today > self.due_on else ACTIVE

    def accepts(self, day: date) -> bool:
        """Whether a mark on this day would count: open, inside the window, not counted yet."""
        return (self.completed_on is None and self.assigned_on <= day <= self.due_on
                and day.isoformat() not in self.marks)

    def mark(self, day: date) -> bool:
        """Count a day; True when this mark completes the task."""
        if not self.accepts(day):
            return False
        self.marks = sorted([*self.marks, day.isoformat()])
        if len(self.marks) >= self.terms.target:
            self.completed_on = day
            return True
        return False


def unlocked(perks: list[Perk], badge_count: int) -> list[dict[str, Any]]:
    return [{**perk.as_dict(), "unlocked": badge_count >= perk.badges_required} for perk in perks]


def assign_on(taken_on: date, today: date) -> date | None:
    """The day tasks from an exam start, or None when the exam is too old to assign any."""
    if (today - taken_on).days > ASSIGN_WITHIN_DAYS:
        return None
    return today


# --- defaults: S4, the health-check centre ----------------------------------------------------

WALK = TaskTerms(task_key="walk-8000", name="每天步行8000步，坚持14天", name_en="Walk 8,000 steps a day on 14 days",
                 kind=CHECKIN, checkin_type="steps", min_value=8000, target=14, within_days=21,
                 badge=Badge("steady-walker", "健步达人", "Steady walker"))
TCM = TaskTerms(task_key="tcm-3", name="完成三次中医调理", name_en="Three TCM sessions", kind=STAFF, target=3,
                within_days=90, badge=Badge("tcm-regular", "调理坚持者", "TCM regular"))
GLUCOSE_LOG = TaskTerms(task_key="glucose-log-14", name="14天记录血糖", name_en="Log glucose on 14 days",
                        kind=CHECKIN, checkin_type="glucose", target=14, within_days=21,
                        badge=Badge("glucose-logger", "控糖记录员", "Glucose logger"))
DIET = TaskTerms(task_key="dietitian-2", name="两次营养师咨询", name_en="Two dietitian consultations", kind=STAFF,
                 target=2, within_days=60, badge=Badge("diet-planner", "膳食规划师", "Diet planner"))

DEFAULT_RULES: dict[str, tuple[TaskTerms, ...]] = {
    "high_bmi": (WALK, DIET),
    "high_bp": (TCM, WALK),
    "high_glucose": (GLUCOSE_LOG, DIET),
    "high_lipids": (WALK, DIET),
    "high_uric_acid": (DIET,),
}

DEFAULT_PERKS = (Perk(PRIORITY_BOOKING, "专家号优先预约", 3, "Priority booking of expert slots", DEFAULT_PRIORITY_DAYS),)
