"""Segment rules: a small all/any tree over a patient's attributes, behaviour and risk score.

`matches` says whether a patient belongs on a clinic-local day; `next_flip` says on which later
day the answer changes with no new event (rules on days since a visit, silence, recent check-ins,
age). Pure: facts and days are passed in; nothing here reads a clock.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from chalicelib.domain.clock import local_date, parse_iso
from chalicelib.domain.rules import DEPARTMENTS, PERSONAS, PURPOSES

SET_FIELDS = ("condition", "department", "persona", "district", "consent")
NUMBER_FIELDS = ("age", "days_since_visit", "silent_days", "checkins", "points_balance", "points_earned",
                 "risk_score")
# fields whose value moves with the calendar alone
TIME_FIELDS = ("age", "days_since_visit", "silent_days", "checkins")
BOUNDS = ("gt", "gte", "lt", "lte")
GROUPS = ("all", "any")

MAX_DEPTH = 3  # groups nested inside each other, the top one included
MAX_LEAVES = 20
MAX_GROUP = 10
MAX_CHECKIN_WINDOW = 60  # the profile keeps the distinct check-in days of this many days
MAX_VALUES = 20
NUMBER_LIMITS = {"age": (0, 150), "days_since_visit": (0, 3650), "silent_days": (0, 3650), "checkins": (0, 60),
                 "points_balance": (0, 10_000_000), "points_earned": (0, 10_000_000), "risk_score": (0, 1)}


class RuleError(ValueError):
    """A rule that cannot be saved: `code` is stable, `path` points into the rule (`all.0.gte`)."""

    def __init__(self, message: str, code: str, path: str = ""):
        super().__init__(message)
        self.code = code
        self.path = path


@dataclass(frozen=True)
class Facts:
    """What a rule may look at, read from the patient's profile (no other read is needed)."""

    conditions: frozenset[str] = frozenset()
    department: str | None = None
    personas: frozenset[str] = frozenset()
    district: str | None = None
    consents: frozenset[str] = frozenset()  # purposes currently granted
    birth_year: int | None = None
    last_visit: date | None = None
    last_interaction: date | None = None  # clinic-local day
    checkin_days: tuple[date, ...] = field(default_factory=tuple)  # distinct clinic-local days, recent ones
    balance: int = 0
    earned: int = 0
    risk_score: float | None = None  # None: not scored yet; a risk rule then does not match


def _day(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(str(text)[:10])
    except ValueError:
        return None


def _local_day(moment: str | None, tz: str) -> date | None:
    if not moment:
        return None
    try:
        return local_date(parse_iso(str(moment)), tz)
    except ValueError:
        return None


def _granted(consents: Mapping[str, Any] | None) -> frozenset[str]:
    granted = set()
    for purpose, state in dict(consents or {}).items():
        value = state.get("granted") if isinstance(state, Mapping) else getattr(state, "granted", None)
        if value:
            granted.add(purpose)
    return frozenset(granted)


def last_interaction_day(profile: Mapping[str, Any], tz: str) -> date | None:
    """The clinic-local day of the patient's last interaction of any kind (check-in, share,
    redemption, inbox read, visit, registration): what `silent_days` counts from.

    A profile written before interactions were tracked counts its latest known touch (creation,
    visit, check-in) as its last interaction.
    """
    interaction = _local_day(profile.get("last_interaction_at"), tz)
    if interaction is None:
        known = [d for d in (_local_day(profile.get("created_at"), tz), _day(profile.get("last_visit_date")),
                             _day(profile.get("last_checkin_date"))) if d]
        interaction = max(known) if known else None
    return interaction


def facts_from_profile(profile: Mapping[str, Any], tz: str) -> Facts:
    """Facts from a profile's attributes (a plain mapping). Times are UTC ISO, days clinic-local."""
    last_visit = _day(profile.get("last_visit_date"))
    interaction = last_interaction_day(profile, tz)
    risk = profile.get("risk_score")
    days = tuple(sorted({d for d in (_day(x) for x in profile.get("checkin_days") or ()) if d}))
    return Facts(
        conditions=frozenset(profile.get("conditions") or ()),
        department=profile.get("department") or None,
        personas=frozenset(profile.get("persona_tags") or ()),
        district=profile.get("district") or None,
        consents=_granted(profile.get("consents")),
        birth_year=int(profile["birth_year"]) if profile.get("birth_year") is not None else None,
        last_visit=last_visit,
        last_interaction=interaction,
        checkin_days=days,
        balance=int(profile.get("balance") or 0),
        earned=int(profile.get("earned_total") or 0),
        risk_score=float(risk) if risk is not None else None,
    )


def recent_checkin_days(days: Iterable[str], new_day: str | None, today: date,
                        window: int = MAX_CHECKIN_WINDOW) -> list[str]:
    """The distinct check-in days to keep on the profile: those of the last `window` days, sorted."""
    first = (today - timedelta(days=window)).isoformat()
    kept = {d for d in days if d and d >= first}
    if new_day and new_day >= first:
        kept.add(new_day)
    return sorted(kept)


# --- validation -------------------------------------------------------------------------------


def validate(rule: object, *, conditions: Iterable[str] | None = None, departments: Iterable[str] = DEPARTMENTS,
             personas: Iterable[str] = PERSONAS, aliases: Mapping[str, Mapping[str, str]] | None = None) -> dict[str, Any]:
    """Check a rule tree and return it normalised (values sorted, duplicates dropped).

    `aliases`: per field, the names staff may type for a value (its labels, any case) -> its code;
    values are stored as codes.

    Raises RuleError with a stable code: rule_not_object, rule_too_deep, rule_too_large,
    empty_group, unknown_rule_field, invalid_bounds, invalid_range, checkin_window, unknown_value.
    """
    known: dict[str, Any] = {"condition": set(conditions) if conditions is not None else None,
                             "department": set(departments), "persona": set(personas), "consent": set(PURPOSES),
                             "district": None, "_aliases": aliases or {}}
    count = [0]
    result = _validate(rule, 1, "", known, count)
    return result


def _join(path: str, part: object) -> str:
    return f"{path}.{part}" if path else str(part)


def _validate(node: object, depth: int, path: str, known: dict[str, Any], count: list[int]) -> dict[str, Any]:
    if not isinstance(node, Mapping):
        raise RuleError("a rule is an object", "rule_not_object", path)
    groups = [g for g in GROUPS if g in node]
    if groups:
        if len(node) != 1:
            raise RuleError("a group has exactly one key: all or any", "rule_not_object", path)
        if depth > MAX_DEPTH:
            raise RuleError(f"groups nest at most {MAX_DEPTH} deep", "rule_too_deep", path)
        kind = groups[0]
        children = node[kind]
        if not isinstance(children, list) or not children:
            raise RuleError(f"{kind} needs at least one rule", "empty_group", _join(path, kind))
        if len(children) > MAX_GROUP:
            raise RuleError(f"a group holds at most {MAX_GROUP} rules", "rule_too_large", _join(path, kind))
        return {kind: [_validate(child, depth + 1, _join(_join(path, kind), i), known, count)
                       for i, child in enumerate(children)]}
    count[0] += 1
    if count[0] > MAX_LEAVES:
        raise RuleError(f"a rule has at most {MAX_LEAVES} conditions", "rule_too_large", path)
    name = node.get("field")
    if name in SET_FIELDS:
        return _validate_set(node, name, path, known)
    if name in NUMBER_FIELDS:
        return _validate_number(node, name, path)
    raise RuleError(f"unknown rule field {name!r}", "unknown_rule_field", _join(path, "field"))


def _validate_set(node: Mapping[str, Any], name: str, path: str, known: dict[str, Any]) -> dict[str, Any]:
    extra = set(node) - {"field", "in", "not_in"}
    ops = [op for op in ("in", "not_in") if op in node]
    if extra or len(ops) != 1:
        raise RuleError(f"{name}: give exactly one of in, not_in", "invalid_bounds", path)
    op = ops[0]
    values = node[op]
    if not isinstance(values, list) or not values or len(values) > MAX_VALUES \
            or not all(isinstance(v, str) and v for v in values):
        raise RuleError(f"{name}.{op}: 1 to {MAX_VALUES} names", "invalid_bounds", _join(path, op))
    names = known["_aliases"].get(name) or {}
    values = [names.get(v.strip().casefold(), v) for v in values]
    allowed = known.get(name)
    if allowed is not None:
        unknown = sorted(set(values) - allowed)
        if unknown:
            raise RuleError(f"unknown {name} {unknown[0]!r}", "unknown_value", _join(path, op))
    return {"field": name, op: sorted(set(values))}


def _validate_number(node: Mapping[str, Any], name: str, path: str) -> dict[str, Any]:
    allowed_keys = {"field", *BOUNDS} | ({"days"} if name == "checkins" else set())
    extra = sorted(set(node) - allowed_keys)
    if extra:
        raise RuleError(f"{name}: unexpected {extra[0]!r}", "invalid_bounds", _join(path, extra[0]))
    out: dict[str, Any] = {"field": name}
    if name == "checkins":
        days = node.get("days")
        if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_CHECKIN_WINDOW:
            raise RuleError(f"checkins: days from 1 to {MAX_CHECKIN_WINDOW}", "checkin_window", _join(path, "days"))
        out["days"] = days
    low, high = NUMBER_LIMITS[name]
    for op in BOUNDS:
        if op not in node:
            continue
        value = node[op]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or not low <= value <= high:
            raise RuleError(f"{name}.{op}: a number from {low} to {high}", "invalid_bounds", _join(path, op))
        out[op] = value
    if not any(op in out for op in BOUNDS):
        raise RuleError(f"{name}: give at least one of gt, gte, lt, lte", "invalid_bounds", path)
    if ("gt" in out and "gte" in out) or ("lt" in out and "lte" in out):
        raise RuleError(f"{name}: one lower and one upper bound at most", "invalid_bounds", path)
    lower = out.get("gt", out.get("gte"))
    upper = out.get("lt", out.get("lte"))
    if lower is not None and upper is not None:
        empty = lower > upper or (lower == upper and ("gt" in out or "lt" in out))
        if empty:
            raise RuleError(f"{name}: no value lies within these bounds", "invalid_range", path)
    return out


def fields_of(rule: Mapping[str, Any]) -> set[str]:
    """The fields a rule looks at."""
    for kind in GROUPS:
        if kind in rule:
            return set().union(*(fields_of(child) for child in rule[kind]))
    return {rule["field"]}


def is_time_relative(rule: Mapping[str, Any]) -> bool:
    return bool(fields_of(rule) & set(TIME_FIELDS))


def risk_answer_changes(rule: Mapping[str, Any], old: float | None, new: float | None) -> bool:
    """Whether a patient's risk score moving from `old` to `new` (None: no score) can change the
    rule's answer. Only its risk_score leaves see the score and the rule is an all/any tree of its
    leaves, so the answer can change only if one of those leaves answers differently."""
    def inside(leaf: Mapping[str, Any], score: float | None) -> bool:
        return score is not None and _within(leaf, score)

    return any(inside(leaf, old) != inside(leaf, new) for leaf in _leaves(rule) if leaf.get("field") == "risk_score")


# --- evaluation -------------------------------------------------------------------------------


def _set_values(name: str, facts: Facts) -> frozenset[str]:
    if name == "condition":
        return facts.conditions
    if name == "persona":
        return facts.personas
    if name == "consent":
        return facts.consents
    value = facts.department if name == "department" else facts.district
    return frozenset((value,)) if value else frozenset()


def _checkins_within(facts: Facts, window: int, day: date) -> int:
    first = day - timedelta(days=window)
    return sum(1 for d in facts.checkin_days if first < d <= day)


def value_of(leaf: Mapping[str, Any], facts: Facts, day: date) -> float | None:
    """The number a numeric leaf compares on `day`; None when the patient has no such value."""
    name = leaf["field"]
    if name == "age":
        return day.year - facts.birth_year if facts.birth_year is not None else None
    if name == "days_since_visit":
        return (day - facts.last_visit).days if facts.last_visit else None
    if name == "silent_days":
        return (day - facts.last_interaction).days if facts.last_interaction else None
    if name == "checkins":
        return _checkins_within(facts, int(leaf["days"]), day)
    if name == "points_balance":
        return facts.balance
    if name == "points_earned":
        return facts.earned
    if name == "risk_score":
        return facts.risk_score
    raise ValueError(f"unknown rule field {name!r}")


def _within(leaf: Mapping[str, Any], value: float) -> bool:
    return (("gt" not in leaf or value > leaf["gt"]) and ("gte" not in leaf or value >= leaf["gte"])
            and ("lt" not in leaf or value < leaf["lt"]) and ("lte" not in leaf or value <= leaf["lte"]))


def _leaf_matches(leaf: Mapping[str, Any], facts: Facts, day: date) -> bool:
    name = leaf["field"]
    if name in SET_FIELDS:
        have = _set_values(name, facts)
        if "in" in leaf:
            return bool(have & set(leaf["in"]))
        return not (have & set(leaf["not_in"]))
    value = value_of(leaf, facts, day)
    return value is not None and _within(leaf, value)


def matches(rule: Mapping[str, Any], facts: Facts, today: date) -> bool:
    """Whether a patient with these facts is in the segment on the clinic-local day `today`."""
    if "all" in rule:
        return all(matches(child, facts, today) for child in rule["all"])
    if "any" in rule:
        return any(matches(child, facts, today) for child in rule["any"])
    return _leaf_matches(rule, facts, today)


def _crossings(value: float, leaf: Mapping[str, Any]) -> list[int]:
    """For a value that grows by whole steps, the later values at which one of the leaf's bounds flips."""
    found = []
    for op in BOUNDS:
        if op not in leaf:
            continue
        bound = leaf[op]
        # the first whole value at which `value op bound` turns the other way as the value grows
        target = math.floor(bound) + 1 if op in ("gt", "lte") else math.ceil(bound)
        if target > value:
            found.append(int(target))
    return found


def _leaf_candidates(leaf: Mapping[str, Any], facts: Facts, today: date) -> list[date]:
    name = leaf.get("field")
    if name not in TIME_FIELDS:
        return []
    if name == "checkins":
        window = timedelta(days=int(leaf["days"]))
        # a check-in day leaves the window `days` days later
        return [d + window for d in facts.checkin_days if d + window > today]
    value = value_of(leaf, facts, today)
    if value is None:
        return []
    if name == "age":
        if facts.birth_year is None:  # no age without it (value_of gave None already)
            return []
        return [date(facts.birth_year + target, 1, 1) for target in _crossings(value, leaf)
                if 1 <= facts.birth_year + target <= 9999]
    return [today + timedelta(days=int(target - value)) for target in _crossings(value, leaf)]


def _leaves(rule: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    for kind in GROUPS:
        if kind in rule:
            for child in rule[kind]:
                yield from _leaves(child)
            return
    yield rule


def next_flip(rule: Mapping[str, Any], facts: Facts, today: date) -> date | None:
    """The first clinic-local day after `today` on which `matches` answers otherwise, if no new
    event comes; None when the answer never changes by time alone.

    Each time-relative leaf changes its answer only on a few days (a bound reached, a check-in
    day leaving the window, a new year for an age); the whole rule can change only on one of them.
    """
    candidates = sorted({day for leaf in _leaves(rule) for day in _leaf_candidates(leaf, facts, today)})
    now = matches(rule, facts, today)
    for day in candidates:
        if matches(rule, facts, day) != now:
            return day
    return None


# --- content paths ----------------------------------------------------------------------------

HEALTH_NOTICE = "仅供参考，不构成医疗诊断"
HEALTH_NOTICE_EN = "For reference only, not a medical diagnosis"
CONTENT_KINDS = ("text", "link", "audio")
MAX_STEPS = 30
MAX_CADENCE_DAYS = 90


def step_offsets(steps: list[Mapping[str, Any]], cadence_days: int) -> list[int]:
    """Days after joining on which each step is due: step i on i * cadence, unless it names its own
    `offset_days` (which must not come before the previous step)."""
    offsets: list[int] = []
    for i, step in enumerate(steps):
        own = step.get("offset_days")
        offset = int(own) if own is not None else i * cadence_days
        if offsets and offset < offsets[-1]:
            raise ValueError(f"step {i} comes before the step ahead of it")
        offsets.append(offset)
    return offsets


def due_step(joined_on: date, cadence_days: int, steps: list[Mapping[str, Any]],
             today: date) -> tuple[int | None, date | None]:
    """(index of the latest step due by `today`, day the next step falls due); (None, first day) before the first."""
    if not steps:
        return None, None
    offsets = step_offsets(steps, cadence_days)
    elapsed = (today - joined_on).days
    current = None
    for i, offset in enumerate(offsets):
        if offset <= elapsed:
            current = i
    following = 0 if current is None else current + 1
    upcoming = joined_on + timedelta(days=offsets[following]) if following < len(offsets) else None
    return current, upcoming


def step_schedule(joined_on: date, cadence_days: int, steps: list[Mapping[str, Any]]) -> list[tuple[int, date]]:
    """Every step's index with the clinic-local day it falls due."""
    return [(i, joined_on + timedelta(days=offset)) for i, offset in enumerate(step_offsets(steps, cadence_days))]


def with_notice(body: str, health: bool) -> str:
    """A health item always ends with the notice, whatever its author wrote."""
    if not health or HEALTH_NOTICE in body:
        return body
    return f"{body.rstrip()}\n{HEALTH_NOTICE}" if body.strip() else HEALTH_NOTICE
