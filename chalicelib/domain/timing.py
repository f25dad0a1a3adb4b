"""Learned recall timing and a recall rule's reach: which days after its anchor a rule sends on
(its own offsets, or moved to its condition's learned recall day within the clinic's bounds), and
how many patients with a recorded anchor it reaches now, in the next days, and could still reach.

Pure: no storage, no clock; times come in as arguments.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple

from chalicelib.domain.clock import local_date, local_moment

TIMINGS = ("fixed", "learned")
LEARNED = "learned"
FIXED = "fixed"
# The clinic's bounds on a learned day: a curve fitted on little or odd history must not send a
# reminder the day after a visit, nor a year later. Admins change them (PUT /clinic/recall-timing).
DEFAULT_EARLIEST_DAY = 14
DEFAULT_LATEST_DAY = 180
MIN_BOUND_DAY = 1
MAX_BOUND_DAY = 365
REACH_DAYS = 30  # the preview's "next 30 days"
# Anchors whose day is a contract's end, not a visit: no drop-out curve says when to remind.
NOT_LEARNABLE_ANCHORS = ("package_end",)


class TimingError(ValueError):
    """A timing setting that cannot be kept, with a stable code and the field at fault."""

    def __init__(self, message: str, code: str, field: str):
        super().__init__(message)
        self.code = code
        self.field = field


class Bounds(NamedTuple):
    """The earliest and the latest day after the anchor a learned recall may be sent on."""

    earliest: int = DEFAULT_EARLIEST_DAY
    latest: int = DEFAULT_LATEST_DAY

    def as_dict(self) -> dict[str, int]:
        return {"earliest_day": self.earliest, "latest_day": self.latest}


def bounds_from(stored: dict[str, Any] | None) -> Bounds:
    """The clinic's bounds as stored (`{earliest_day, latest_day}`), the defaults for what is absent."""
    stored = stored or {}
    return Bounds(int(stored.get("earliest_day", DEFAULT_EARLIEST_DAY)),
                  int(stored.get("latest_day", DEFAULT_LATEST_DAY)))


def check_bounds(earliest: int, latest: int) -> Bounds:
    """Bounds an admin may set, or TimingError."""
    for name, value in (("earliest_day", earliest), ("latest_day", latest)):
        if not isinstance(value, int) or isinstance(value, bool) or not MIN_BOUND_DAY <= value <= MAX_BOUND_DAY:
            raise TimingError(f"{name} is a whole day from {MIN_BOUND_DAY} to {MAX_BOUND_DAY}",
                              "day_out_of_range", name)
    if earliest > latest:
        raise TimingError("the earliest day comes after the latest", "bounds_reversed", "earliest_day")
    return Bounds(earliest, latest)


def check_timing(timing: str, *, condition: str | None, anchor: str) -> None:
    """A rule's timing: learned needs a condition (curves are per condition) and an anchor a
    patient returns from (not a package's end)."""
    if timing not in TIMINGS:
        raise TimingError(f"timing is one of {', '.join(TIMINGS)}", "unknown_timing", "timing")
    if timing == LEARNED and not condition:
        raise TimingError("learned timing follows a condition's drop-out curve: name a condition",
                          "learned_needs_condition", "timing")
    if timing == LEARNED and anchor in NOT_LEARNABLE_ANCHORS:
        raise TimingError(f"learned timing does not apply to the anchor {anchor!r}", "learned_not_for_anchor",
                          "timing")


def learned_day(suggested: int | None, bounds: Bounds) -> int | None:
    """The condition's suggested recall day held within the clinic's bounds (None: no curve yet)."""
    if suggested is None:
        return None
    return min(max(int(suggested), bounds.earliest), bounds.latest)


class Schedule(NamedTuple):
    """The days a rule sends on for one anchor: `nominal` are the rule's own offsets (they name
    the jobs, so planning an anchor again never plans it twice, whatever the learned day became),
    `days` the days the messages actually go out on, in the same order."""

    nominal: tuple[int, ...]
    days: tuple[int, ...]
    source: str  # fixed | learned
    learned_day: int | None = None

    def pairs(self) -> list[tuple[int, int]]:
        return list(zip(self.nominal, self.days))


def schedule(offsets: Sequence[int], timing: str, suggested: int | None, bounds: Bounds) -> Schedule:
    """The rule's days: its own offsets when fixed, or when no curve exists yet; learned, the
    first message moves to the learned day and the later ones keep their distance from it
    (a 30/60 rule with a learned day of 40 sends on 40 and 70)."""
    nominal = tuple(sorted(int(o) for o in offsets))
    day = learned_day(suggested, bounds) if timing == LEARNED else None
    if day is None or not nominal:
        return Schedule(nominal, nominal, FIXED)
    shift = day - nominal[0]
    return Schedule(nominal, tuple(o + shift for o in nominal), LEARNED, day)


# --- reach -------------------------------------------------------------------------------------

class Anchor(NamedTuple):
    """A recorded anchor event of a patient, as the preview reads it."""

    patient_id: str
    day: date
    last_visit: str | None = None  # the patient's last visit day (ISO), for the stop condition


def stopped_by_visit(anchor: str, anchor_day: date, last_visit: str | None, stop_on: Iterable[str]) -> bool:
    """Whether a visit already stops this anchor's messages (as the recall composer judges it:
    a visit on or after the anchor, strictly after for a visit anchor)."""
    if "visited" not in tuple(stop_on) or not last_visit:
        return False
    day = anchor_day.isoformat()
    return last_visit > day if anchor == "visit" else last_visit >= day


class Send(NamedTuple):
    patient_id: str
    anchor_day: date
    nominal: int  # the rule's own offset: the job's name
    day: int  # the day after the anchor it goes out on
    due: datetime


class Reach(NamedTuple):
    now: int
    next_days: int
    in_window: int


def sends_of(anchors: Iterable[Anchor], plan: Schedule, *, send_at: time, tz: str, stale_before: datetime,
             anchor: str, stop_on: Iterable[str]) -> list[Send]:
    """Every message the rule would plan from these anchors and that is not past (the planner
    skips one due before `stale_before`); an anchor whose messages a visit already stops gives none."""
    stops = tuple(stop_on)
    sends: list[Send] = []
    for a in anchors:
        if stopped_by_visit(anchor, a.day, a.last_visit, stops):
            continue
        for nominal, day in plan.pairs():
            due = local_moment(a.day + timedelta(days=day), send_at, tz)
            if due >= stale_before:
                sends.append(Send(a.patient_id, a.day, nominal, day, due))
    return sends


def tally(sends: Iterable[Send], *, now: datetime, tz: str, horizon_days: int = REACH_DAYS) -> Reach:
    """Patients reached: `now`, a message due already; `next_days`, one due within the next
    `horizon_days` clinic days; `in_window`, any message due now or still to come. A patient
    counts once in each figure."""
    last_day = local_date(now, tz) + timedelta(days=horizon_days)
    due_now: set[str] = set()
    soon: set[str] = set()
    window: set[str] = set()
    for send in sends:
        window.add(send.patient_id)
        if send.due <= now:
            due_now.add(send.patient_id)
        elif local_date(send.due, tz) <= last_day:
            soon.add(send.patient_id)
    return Reach(len(due_now), len(soon), len(window))
