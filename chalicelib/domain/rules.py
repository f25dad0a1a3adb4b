"""Clinic rules with their defaults: points earning, on-time revisits, late check-ins, recall.

Defaults come from the dental "tooth guardians" scenario (S3) and the eczema recall
scenario (S5). Everything here is pure and takes explicit times.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple

from chalicelib.domain.clock import local_date, local_moment

DEFAULT_EARNING_RULES: dict[str, int] = {
    "revisit_on_time": 10,
    "share": 5,
    "referral_registered": 15,
    "checkin": 1,
}

CHECKIN_TYPES = ("glucose", "steps", "task")


class Reading(NamedTuple):
    """What a check-in of one type holds: its unit, plausible range and precision."""

    unit: str
    low: float
    high: float
    places: int  # 0: whole numbers only


READINGS = {
    # what a home meter can show (LO/HI are outside), in tenths of mmol/L
    "glucose": Reading("mmol/L", 1.0, 50.0, 1),
    # one day's steps as WeRun reports them
    "steps": Reading("steps", 0, 100_000, 0),
    # sessions of a task done at once
    "task": Reading("times", 1, 100, 0),
}
GLUCOSE_UNITS = ("mmol/L", "mg/dL")
MG_DL_PER_MMOL_L = 18.0
# when a glucose reading was taken: before eating, after a meal, or at any other time
GLUCOSE_CONTEXTS = ("fasting", "after_meal", "random")


def reading_in_range(checkin_type: str, value: float, unit: str | None = None) -> float:
    """The reading in its type's own unit and precision, or ValueError saying what is accepted.

    Glucose may come in mg/dL: converted to mmol/L and rounded to the stored precision first, so
    the range is checked on the value that is stored; steps and task counts must be whole numbers.
    """
    reading = READINGS[checkin_type]
    if unit is not None and checkin_type != "glucose":
        raise ValueError(f"a {checkin_type} check-in takes no unit")
    if unit == "mg/dL":
        value = value / MG_DL_PER_MMOL_L
    elif reading.places == 0 and value != int(value):
        raise ValueError(f"{checkin_type} must be a whole number")
    canonical = round(value, reading.places) if reading.places else float(int(value))
    if not reading.low <= canonical <= reading.high:
        if unit == "mg/dL":
            half = 0.5 * 10 ** -reading.places  # what rounds into the range
            low, high = (reading.low - half) * MG_DL_PER_MMOL_L, (reading.high + half) * MG_DL_PER_MMOL_L
            raise ValueError(f"glucose must be from {low:.1f} to {high:.1f} mg/dL "
                             f"({reading.low:g} to {reading.high:g} mmol/L)")
        raise ValueError(f"{checkin_type} must be from {reading.low:g} to {reading.high:g} {reading.unit}")
    return canonical
PURPOSES = ("service", "marketing", "analytics")
CONDITIONS = ("eczema", "diabetes", "postpartum", "dental", "health_check", "hypertension")
DEPARTMENTS = ("dermatology", "endocrinology", "obstetrics", "dentistry", "health_check", "general")
PERSONAS = ("anxious", "knowledge_seeking", "social")

# A check-in may arrive late (a phone that was offline); readings older than this are refused,
# readings stamped in the future beyond the skew allowance are refused too.
CHECKIN_MAX_LATE = timedelta(days=3)
CHECKIN_MAX_FUTURE_SKEW = timedelta(minutes=10)

ON_TIME_WINDOW_DAYS = 7


def checkin_day(client_time: datetime, server_time: datetime, tz: str,
                max_late: timedelta = CHECKIN_MAX_LATE) -> date:
    """The clinic-local day a reading counts for, or ValueError when it is out of range.

    The reading's own time (client time) decides the day, so an upload sent after midnight
    for a reading taken before it still counts for the earlier day, within CHECKIN_MAX_LATE.
    """
    if client_time > server_time + CHECKIN_MAX_FUTURE_SKEW:
        raise ValueError("client_time is in the future")
    if client_time < server_time - max_late:
        raise ValueError("client_time is too old to be accepted")
    return local_date(client_time, tz)


def is_on_time(visit_day: date, due_day: date, window_days: int = ON_TIME_WINDOW_DAYS) -> bool:
    """A visit within +-window days of the requested revisit date is on time."""
    return abs((visit_day - due_day).days) <= window_days


def points_for(rules: dict[str, int], event: str) -> int:
    merged = {**DEFAULT_EARNING_RULES, **(rules or {})}
    return int(merged.get(event, 0))


ANCHORS = ("remission", "visit", "surgery", "delivery", "package_end")
STOP_EVENTS = ("booked", "visited")
MESSAGE_PURPOSES = ("service", "marketing")
TARGETING = ("all", "uplift")  # a recall rule reaches everyone, or only whom a reminder is predicted to move
TEMPLATE_VARIABLES = ("nickname", "clinic", "doctor", "slot", "package")
MAX_OFFSET_DAYS = 730
# Anchors whose day is known ahead (a package's end, an expected delivery date) may also fire
# before it: offsets from -MAX_LEAD_DAYS to -1 (and the day itself).
LEAD_ANCHORS = ("package_end", "delivery")
MAX_LEAD_DAYS = 365
MAX_OFFSETS = 6


class RecallRule(NamedTuple):
    """Send a message `offset_days` after the anchor event of a condition, unless the patient
    visited or booked since. Default: eczema, 30 days after remission (drop-out is ~day 45).

    A rule names a condition or a department, and may fire at several offsets (`offsets`,
    e.g. (30, 60)); `offset_days` is the first of them. `stop_on` says which later events
    (a booking, a visit) stop its jobs.
    """

    rule_id: str
    condition: str | None
    anchor: str
    offset_days: int
    send_at: time
    template: str
    purpose: str = "service"
    department: str | None = None
    offsets: tuple[int, ...] = ()
    stop_on: tuple[str, ...] = STOP_EVENTS
    active: bool = True
    # "fixed": the offsets as written; "learned": moved to the condition's learned recall day
    # (domain.timing.schedule), the offsets until a drop-out curve exists.
    timing: str = "fixed"
    targeting: str = "all"  # "uplift": only patients a reminder is predicted to move (marketing rules)
    uplift_threshold: float | None = None  # with uplift: send only above it (None: domain.uplift.DEFAULT_THRESHOLD)

    def all_offsets(self) -> tuple[int, ...]:
        return tuple(self.offsets) or (self.offset_days,)

    def due_at(self, anchor_day: date, tz: str, offset: int | None = None) -> datetime:
        days = self.offset_days if offset is None else offset
        return local_moment(anchor_day + timedelta(days=days), self.send_at, tz)


DEFAULT_RECALL_RULES = (
    RecallRule(
        rule_id="eczema-remission-30",
        condition="eczema",
        anchor="remission",
        offset_days=30,
        send_at=time(10, 0),
        template=(
            "{nickname}您好：湿疹缓解一个月后进入复发高发期，春季尤其常见。"
            "建议您本周回{clinic}复查，我们为您开通了绿色通道。"
        ),
        offsets=(30,),
    ),
    # S8: a member package's renewal, 30 and 7 days before it ends; a renewal recorded meanwhile
    # stops the rest (the recall composer checks the package).
    RecallRule(
        rule_id="package-renewal",
        condition="postpartum",
        anchor="package_end",
        offset_days=-30,
        send_at=time(10, 0),
        template=(
            "{nickname}您好：您在{clinic}的{package}即将到期。续约后产后随访、母婴课程和优先预约不中断，"
            "到前台或回复本消息即可办理。"
        ),
        offsets=(-30, -7),
        stop_on=(),
    ),
)


class RuleError(ValueError):
    """A recall rule that cannot be kept, with a stable code and the field at fault."""

    def __init__(self, message: str, code: str, field: str):
        super().__init__(message)
        self.code = code
        self.field = field


def template_variables(template: str) -> list[str]:
    """The {names} a template uses; RuleError if its braces are malformed."""
    from string import Formatter

    try:
        parsed = list(Formatter().parse(template))
    except ValueError as exc:
        raise RuleError(f"template: {exc}", "invalid_template", "template") from exc
    names = []
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name or spec or conversion or not name.isidentifier():
            raise RuleError("template placeholders are plain names such as {nickname}", "invalid_template",
                            "template")
        names.append(name)
    return names


def parse_wall_time(text: str, field: str = "send_at") -> time:
    """'HH:MM' (24 h) as a time; RuleError otherwise."""
    parts = text.split(":") if isinstance(text, str) else []
    if len(parts) != 2 or not all(p.isdigit() and len(p) == 2 for p in parts):
        raise RuleError(f"{field} must be HH:MM", "invalid_time", field)
    hour, minute = int(parts[0]), int(parts[1])
    if hour > 23 or minute > 59:
        raise RuleError(f"{field} must be HH:MM", "invalid_time", field)
    return time(hour, minute)


def validate_rule(rule: RecallRule, conditions: Collection[str],
                  departments: Collection[str] = DEPARTMENTS) -> RecallRule:
    """The rule as kept (offsets sorted), or RuleError naming the first problem."""
    if bool(rule.condition) == bool(rule.department):
        raise RuleError("name either a condition or a department", "condition_or_department", "condition")
    if rule.condition and rule.condition not in conditions:
        raise RuleError(f"unknown condition {rule.condition!r}", "unknown_condition", "condition")
    if rule.department and rule.department not in departments:
        raise RuleError(f"unknown department {rule.department!r}", "unknown_department", "department")
    if rule.anchor not in ANCHORS:
        raise RuleError(f"unknown anchor {rule.anchor!r}", "unknown_anchor", "anchor")
    offsets = rule.all_offsets() if rule.offsets else ()
    if not offsets:
        raise RuleError("give at least one offset in days", "empty_offsets", "offsets")
    if len(offsets) > MAX_OFFSETS:
        raise RuleError(f"at most {MAX_OFFSETS} offsets", "too_many_offsets", "offsets")
    lowest = -MAX_LEAD_DAYS if rule.anchor in LEAD_ANCHORS else 1
    if any(not isinstance(o, int) or o < lowest or o > MAX_OFFSET_DAYS for o in offsets):
        raise RuleError(f"offsets are whole days from {lowest} to {MAX_OFFSET_DAYS} for this anchor",
                        "offset_out_of_range", "offsets")
    if len(set(offsets)) != len(offsets):
        raise RuleError("an offset appears twice", "duplicate_offset", "offsets")
    if rule.purpose not in MESSAGE_PURPOSES:
        raise RuleError(f"unknown purpose {rule.purpose!r}", "unknown_purpose", "purpose")
    unknown_stops = [s for s in rule.stop_on if s not in STOP_EVENTS]
    if unknown_stops:
        raise RuleError(f"unknown stop condition {unknown_stops[0]!r}", "unknown_stop_condition", "stop_on")
    if not rule.template.strip():
        raise RuleError("the template is empty", "empty_template", "template")
    unknown = [name for name in template_variables(rule.template) if name not in TEMPLATE_VARIABLES]
    if unknown:
        raise RuleError(f"unknown template variable {{{unknown[0]}}}; use {', '.join(TEMPLATE_VARIABLES)}",
                        "unknown_template_variable", "template")
    from chalicelib.domain.timing import TimingError, check_timing

    try:
        check_timing(rule.timing, condition=rule.condition, anchor=rule.anchor)
    except TimingError as exc:
        raise RuleError(str(exc), exc.code, exc.field) from exc
    if rule.targeting not in TARGETING:
        raise RuleError(f"unknown targeting {rule.targeting!r}; use {' or '.join(TARGETING)}", "unknown_targeting",
                        "targeting")
    if rule.targeting == "uplift" and rule.purpose != "marketing":
        # a service reminder is care: a model's guess never keeps it from a patient
        raise RuleError("only a marketing rule can target by uplift; service reminders go to everyone",
                        "uplift_needs_marketing", "targeting")
    if rule.uplift_threshold is not None and not -1.0 <= rule.uplift_threshold <= 1.0:
        raise RuleError("the uplift threshold is a change of probability, from -1 to 1", "invalid_uplift_threshold",
                        "uplift_threshold")
    ordered = tuple(sorted(offsets))
    return rule._replace(offsets=ordered, offset_days=ordered[0], stop_on=tuple(dict.fromkeys(rule.stop_on)))


def rule_matches(rule: RecallRule, anchor: str, *, condition: str | None, department: str | None,
                 patient_conditions: Iterable[str] | None = (), patient_department: str | None = None) -> bool:
    """Whether an anchor event of a patient plans jobs of this rule.

    A named condition or department must be the rule's; when the event names none, the
    patient's own conditions and department are used.
    """
    if not rule.active or rule.anchor != anchor:
        return False
    if rule.condition:
        return rule.condition == condition if condition else rule.condition in (patient_conditions or ())
    return rule.department == department if department else rule.department == patient_department


DEFAULT_TIERS = (("gold", 1000), ("silver", 300), ("bronze", 0))


def tier_for(earned_total: int, tiers: Sequence[tuple[str, int]] = DEFAULT_TIERS) -> str:
    """A patient's tier follows the points earned in total, never the spendable balance."""
    for name, floor in tiers:
        if earned_total >= floor:
            return name
    return tiers[-1][0]


def nickname(name: str, sex: str | None) -> str:
    """How a message addresses a patient: surname plus a courtesy title."""
    if not name:
        return ""
    title = {"F": "女士", "M": "先生"}.get((sex or "").upper(), "")
    return name[0] + title if title else name


def render_template(template: str, **values: str) -> str:
    class _Missing(dict[str, str]):
        def __missing__(self, key: str) -> str:
            return ""

    return template.format_map(_Missing(values))
