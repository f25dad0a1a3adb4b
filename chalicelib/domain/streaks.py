"""Streak rules of check-in challenges: consecutive clinic-local days, a grace day, late readings.

Pure: works on calendar days (already clinic-local) and a `today`; no clock, no storage.
The rules in words are in docs/challenges.md; the short version:

- A streak is a run of counted days in which each day follows the previous one, except that a
  streak may step over at most `grace` missed days (0 or 1). A missed day stepped over does not
  count as a day of the streak. `length` counted days complete the streak.
- A completed streak is rewarded once and closed: the next counted day starts a new streak from
  zero, and a day on or before the end of a rewarded streak never counts again, except the day
  that streak stepped over with its grace: arriving late, it ends the rewarded streak a day
  earlier (same first day, same reward) and hands the streak's last day on to the next one.
- A day arriving late (a reading uploaded after later days were already counted) is placed
  where it belongs: it fills a gap (giving the grace day back), joins two runs into one, or
  extends a run backwards, exactly as if it had arrived on time. Nothing already rewarded moves.

The state kept per enrolment (`Progress`) is the list of counted days not yet part of a
rewarded streak, the end of the last rewarded streak and two counters. Every outcome is the
walk of those days from the start (`runs`), so an on-time day and a late day are one code path.
Days that can no longer be reached by any late reading are pruned, so the list stays short.
"""

from __future__ import annotations

from typing import NamedTuple
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

# How many days back a reading may still arrive (chalicelib.domain.rules.CHECKIN_MAX_LATE): a
# reading older than three days is refused before it reaches a streak.
LATE_DAYS = 3
MAX_GRACE = 1


@dataclass(frozen=True)
class StreakRule:
    length: int  # counted days that complete a streak
    grace: int = 0  # missed days one streak may step over

    def __post_init__(self) -> None:
        if self.length < 1:
            raise ValueError("a streak needs at least one day")
        if not 0 <= self.grace <= MAX_GRACE:
            raise ValueError(f"grace is 0 to {MAX_GRACE} missed days per streak")


@dataclass(frozen=True)
class Streak:
    """One run of counted days: first and last counted day, how many, the missed days stepped over."""

    start: date
    last: date
    count: int
    missed: tuple[date, ...] = ()

    def grace_left(self, rule: StreakRule) -> int:
        return rule.grace - len(self.missed)


class Progress(NamedTuple):
    """What an enrolment remembers between check-ins."""

    days: tuple[date, ...] = ()  # counted days after `closed_until`, ascending
    closed_until: date | None = None  # the last day of the latest rewarded streak
    closed_gap: date | None = None  # the missed day that streak stepped over, if any
    completed: int = 0  # streaks completed (each rewarded once)
    best: int = 0  # the longest streak reached, in counted days


COUNTED = "counted"
ALREADY_COUNTED = "already_counted"  # the same day again: not counted, nothing advances
CLOSED = "closed"  # on or before the end of a rewarded streak
TOO_LATE = "too_late"  # older than any reading may be


@dataclass(frozen=True)
class Outcome:
    progress: Progress
    status: str
    completed: tuple[Streak, ...] = field(default_factory=tuple)  # streaks this day completed

    @property
    def changed(self) -> bool:
        return self.status == COUNTED


def runs(days: Iterable[date], rule: StreakRule) -> tuple[list[Streak], list[Streak]]:
    """Walk counted days in order: (completed streaks, runs left open), each in day order.

    A run continues over a gap of missed days while its grace lasts; otherwise the next day
    starts a new run. A run reaching `rule.length` completes and the next day starts afresh.
    """
    done: list[Streak] = []
    open_runs: list[Streak] = []
    current: Streak | None = None
    for day in sorted(set(days)):
        if current is not None:
            gap = (day - current.last).days - 1
            if gap <= current.grace_left(rule):
                missed = tuple(current.last + timedelta(days=i + 1) for i in range(gap))
                current = replace(current, last=day, count=current.count + 1, missed=current.missed + missed)
            else:
                open_runs.append(current)
                current = Streak(day, day, 1)
        else:
            current = Streak(day, day, 1)
        if current.count >= rule.length:
            done.append(current)
            current = None
    if current is not None:
        open_runs.append(current)
    return done, open_runs


def reachable_from(today: date, rule: StreakRule, late_days: int = LATE_DAYS) -> date:
    """The earliest last day a run may have and still be extended by a reading arriving from today on."""
    return today - timedelta(days=late_days + 1 + rule.grace)


def record(progress: Progress, day: date, rule: StreakRule, today: date, late_days: int = LATE_DAYS) -> Outcome:
    """Count `day` (a check-in's clinic-local day, possibly late) towards the streaks."""
    if day < today - timedelta(days=late_days):
        return Outcome(progress, TOO_LATE)
    if progress.closed_until is not None and day <= progress.closed_until:
        if day != progress.closed_gap:
            return Outcome(progress, CLOSED)
        # The late day fills the gap the rewarded streak stepped over: that streak would have
        # completed a day earlier (same first day, so the same reward), and its last day moves
        # on to the next streak, as if every reading had arrived on time.
        freed = progress.closed_until
        progress = progress._replace( closed_until=freed - timedelta(days=1), closed_gap=None,
                           days=(freed,) + progress.days)
        return _settle(progress, progress.days, rule, today, late_days)
    if day in progress.days:
        return Outcome(progress, ALREADY_COUNTED)
    return _settle(progress, tuple(sorted(progress.days + (day,))), rule, today, late_days)


def _settle(progress: Progress, days: tuple[date, ...], rule: StreakRule, today: date, late_days: int) -> Outcome:
    done, open_runs = runs(days, rule)
    closed_until, closed_gap = progress.closed_until, progress.closed_gap
    if done:
        # Every earlier run is left behind with the rewarded streak: nothing on or before its
        # end counts again (except its stepped-over day, above), so no paid streak ever moves.
        closed_until = done[-1].last
        closed_gap = done[-1].missed[0] if done[-1].missed else None
        days = tuple(d for d in days if d > closed_until)
        open_runs = runs(days, rule)[1]
    best = max([progress.best, *(r.count for r in open_runs), *(s.count for s in done)])
    horizon = reachable_from(today, rule, late_days)
    keep = [r for r in open_runs if r.last >= horizon]
    days = tuple(d for d in days if keep and d >= keep[0].start)
    return Outcome(Progress(days, closed_until, closed_gap, progress.completed + len(done), best), COUNTED,
                   tuple(done))


def current(progress: Progress, rule: StreakRule, today: date) -> Streak | None:
    """The streak still alive today: a reading for today would continue it. None when broken."""
    open_runs = runs(progress.days, rule)[1]
    if not open_runs:
        return None
    last = open_runs[-1]
    gap = (today - last.last).days - 1
    return last if gap <= max(last.grace_left(rule), 0) else None
