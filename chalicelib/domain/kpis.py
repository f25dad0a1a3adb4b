"""Pure KPI arithmetic: silence, windowed rates (revisits kept, reminders converted, annual
re-checks), grouped rates and weekly series.

Inputs are plain dicts, (day, hit) pairs and dates, so the refresh job, a stream-fed aggregate
and the tests can feed them the same way.

Windowed rates. An outcome that needs time (a visit within 30 days of a reminder, a requested
revisit kept within 30 days, an annual re-check within its grace) is known only when its window
has closed. A rate over a period counts the items *decided* in that period (their window closed
on one of its days); items whose window is still open are `pending`: never a failure, never a
success either, even if they already hit (so a young cohort cannot read high or low).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypeVar

from chalicelib.domain.clock import local_date, parse_iso
from chalicelib.domain.segments import last_interaction_day

# A silent patient (S3, S6): no interaction of any kind (visit, check-in, share, redemption,
# inbox read, registration) for more than the clinic's silent days. One setting per clinic.
DEFAULT_SILENT_DAYS = 180
SILENT_DAYS_MIN, SILENT_DAYS_MAX = 30, 730
CONVERSION_DAYS = 30  # a reminder converts when a visit follows it within this many days
REVISIT_WINDOW_DAYS = 30  # a requested revisit is kept by a visit at most this many days after it
RECHECK_DUE_DAYS = 365  # an annual check-up is due a year after the last one,
RECHECK_EARLY_DAYS = 300  # may come from ten months on,
RECHECK_GRACE_DAYS = 90  # and counts as kept up to three months late
SERIES_WEEKS = 26
MET = ("on_time", "late")


def share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


# --- silence --------------------------------------------------------------------------------------


def silent_days_of(setting: float | None) -> int:
    """The clinic's silent days: its setting, or the default when it has none."""
    return int(setting) if setting is not None else DEFAULT_SILENT_DAYS


def valid_silent_days(days: object) -> bool:
    return isinstance(days, int) and not isinstance(days, bool) and SILENT_DAYS_MIN <= days <= SILENT_DAYS_MAX


def silent_rule(days: int) -> dict[str, Any]:
    """The segment rule that holds exactly the patients `is_silent` counts."""
    return {"field": "silent_days", "gt": days}


def silent_threshold(rule: object) -> int | None:
    """The days of a rule that is exactly `silent_rule(days)`, else None."""
    if isinstance(rule, Mapping) and set(rule) == {"field", "gt"} and rule["field"] == "silent_days":
        return int(rule["gt"]) if float(rule["gt"]).is_integer() else None
    return None


def days_silent(profile: Mapping[str, Any], today: date, tz: str) -> int | None:
    """Days since the patient's last interaction of any kind (None when nothing is known)."""
    last = last_interaction_day(profile, tz)
    return (today - last).days if last is not None else None


def is_silent(quiet_days: int | None, threshold: int) -> bool:
    """Silent: more than `threshold` days without any interaction (day `threshold` is not yet)."""
    return quiet_days is not None and quiet_days > threshold


SILENCE_EDGES = (30, 90, 180, 365)


def silence_buckets(threshold: int) -> list[tuple[int, int | None]]:
    """Day ranges (low, high; None: open) for the silence chart, split at the clinic's threshold,
    so that the buckets beyond it hold exactly the silent patients."""
    edges = sorted(set(SILENCE_EDGES) | {threshold})
    buckets: list[tuple[int, int | None]] = []
    low = 0
    for edge in edges:
        buckets.append((low, edge))
        low = edge + 1
    buckets.append((low, None))
    return buckets


def silence_histogram(quiet_days: Iterable[int | None], threshold: int) -> list[dict[str, Any]]:
    """Patients per silence range; `silent` marks the ranges beyond the threshold."""
    buckets = silence_buckets(threshold)
    counts = [0] * len(buckets)
    for days in quiet_days:
        if days is None:
            continue
        for i, (low, high) in enumerate(buckets):
            if days >= low and (high is None or days <= high):
                counts[i] += 1
                break
    return [{"bucket": f"{low}-{high}" if high is not None else f">{low - 1}", "low": low, "high": high,
             "count": n, "silent": low > threshold} for (low, high), n in zip(buckets, counts)]


# --- windowed rates -------------------------------------------------------------------------------


def window_closed(day: str, window: int | None, today: date) -> bool:
    """An outcome that may come on `day` or up to `window` days after it is known from the day
    after that; `window` None: known at once."""
    return window is None or date.fromisoformat(day) + timedelta(days=window) < today


def period_start(today: date, period_days: int, window: int | None = None) -> str:
    """The first event day whose window closes within the last `period_days` days (today
    included): a period's items are those from this day to today, decided or still pending."""
    return (today - timedelta(days=period_days + (window or 0) - (0 if window else 1))).isoformat()


@dataclass
class Tally:
    """Decided items and their hits (the rate), and the items still inside their window."""

    decided: int = 0
    hits: int = 0
    pending: int = 0
    pending_hits: int = 0  # hits so far among the pending: shown apart, never in the rate

    def add(self, hit: bool, closed: bool) -> None:
        self.add_many(1, int(bool(hit)), closed)

    def add_many(self, count: int, hits: int, closed: bool) -> None:
        """`count` items of one event day, `hits` of them hits (a day's counters)."""
        if closed:
            self.decided += count
            self.hits += hits
        else:
            self.pending += count
            self.pending_hits += hits

    def as_dict(self) -> dict[str, Any]:
        return {"decided": self.decided, "hits": self.hits, "rate": share(self.hits, self.decided),
                "pending": self.pending, "pending_hits": self.pending_hits}


def basis(tally: Mapping[str, Any]) -> dict[str, int]:
    """The counts a windowed rate is computed from, as the dashboard shows them ("x / y")."""
    return {"hits": tally["hits"], "decided": tally["decided"], "pending": tally["pending"]}


def windowed(items: Iterable[tuple[str, bool]], today: date, window: int | None) -> dict[str, Any]:
    """One rate over (event day, hit) items: decided ones in the rate, open ones pending."""
    tally = Tally()
    for day, hit in items:
        tally.add(hit, window_closed(day, window, today))
    return tally.as_dict()


Item = TypeVar("Item")


def rate_by(items: Iterable[Item], group_of: Callable[[Item], Iterable[str | None]], *, day_of: Callable[[Item], str],
            hit: Callable[[Item], bool], today: date, window: int | None) -> list[dict[str, Any]]:
    """A windowed rate per group (an item may count in several groups, e.g. segments).

    Rows come sorted by the number of decided items, largest first.
    """
    counts: dict[str, Tally] = {}
    for item in items:
        closed, got = window_closed(day_of(item), window, today), bool(hit(item))
        for group in group_of(item):
            if group is not None:
                counts.setdefault(group, Tally()).add(got, closed)
    rows = [{"group": group, **tally.as_dict()} for group, tally in counts.items()]
    return sorted(rows, key=lambda row: (-row["decided"], -row["pending"], row["group"]))


def kept(due: Mapping[str, Any], window: int = REVISIT_WINDOW_DAYS) -> bool:
    """A requested revisit is kept when a visit answered it (on time, or late by at most `window`
    days). A visit later than that still marks it late but no longer keeps it for the rate."""
    if due["status"] not in MET:
        return False
    met_on = due.get("met_on")
    return met_on is None or met_on <= (date.fromisoformat(due["due_date"]) + timedelta(days=window)).isoformat()


def revisits(dues: Iterable[Mapping[str, Any]], today: date, period_days: int) -> dict[str, Any]:
    """The revisit rate of the requested revisit dates decided in the last `period_days` days."""
    first = period_start(today, period_days, REVISIT_WINDOW_DAYS)
    return windowed(((d["due_date"], kept(d)) for d in dues if first <= d["due_date"] <= today.isoformat()),
                    today, REVISIT_WINDOW_DAYS)


def sent_day(processed_at: str, tz: str) -> str:
    """The clinic-local day a message was sent (its job's `processed_at`)."""
    return local_date(parse_iso(processed_at), tz).isoformat()


def conversion_day(sent_on: str, visit_days: Iterable[str], days: int = CONVERSION_DAYS) -> str | None:
    """The visit that converts a reminder sent on `sent_on`: the first on that day or within `days`
    days after; None if there is none among `visit_days`."""
    last = (date.fromisoformat(sent_on) + timedelta(days=days)).isoformat()
    return min((day for day in visit_days if sent_on <= day <= last), default=None)


def converted(sent_on: str, visit_days: Iterable[str], days: int = CONVERSION_DAYS) -> bool:
    """A reminder sent on `sent_on` converted if a visit came on that day or within `days` days after."""
    return conversion_day(sent_on, visit_days, days) is not None


def recheck(exam_days: Iterable[list[str]], today: date, period_days: int = 90) -> dict[str, Any]:
    """Annual re-check (S4): a check-up is due again a year later and kept by another one from
    month ten up to three months after the due day. Decided: the patients whose grace ended in
    the last `period_days` days; pending: those due whose grace still runs."""
    first = period_start(today, period_days, RECHECK_GRACE_DAYS)
    tally = Tally()
    for days in exam_days:
        due = next((found for found in sorted(rechecks(days)) if first <= found[0] <= today.isoformat()), None)
        if due is not None:
            tally.add(due[1], window_closed(due[0], RECHECK_GRACE_DAYS, today))
    return tally.as_dict()


def rechecks(exam_days: Iterable[str]) -> list[tuple[str, bool]]:
    """Each check-up's next one: (the day it is due, a year later; whether another check-up kept
    it, from month ten up to three months after that day)."""
    days = sorted(set(exam_days))
    found = []
    for exam in days:
        anchor = date.fromisoformat(exam)
        due = anchor + timedelta(days=RECHECK_DUE_DAYS)
        early = (anchor + timedelta(days=RECHECK_EARLY_DAYS)).isoformat()
        late = (due + timedelta(days=RECHECK_GRACE_DAYS)).isoformat()
        found.append((due.isoformat(), any(early <= d <= late for d in days)))
    return found


# --- weekly series --------------------------------------------------------------------------------


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weeks(today: date, count: int = SERIES_WEEKS) -> list[date]:
    """The Mondays of the last `count` ISO weeks, oldest first, the current week last."""
    current = week_start(today)
    return [current - timedelta(weeks=n) for n in range(count - 1, -1, -1)]


def weekly(items: Iterable[tuple[str, bool]], today: date, count: int = SERIES_WEEKS,
           window: int | None = None) -> list[dict[str, Any]]:
    """Per week of the event day: how many items fell in it (`count`), and the windowed rate of
    those decided by today; a week whose items are still inside their window has `pending` > 0
    (and no rate at all while none is decided)."""
    mondays = weeks(today, count)
    first = mondays[0].isoformat()
    tally = {m.isoformat(): Tally() for m in mondays}
    for day, hit in items:
        if not day or day < first or day > today.isoformat():
            continue
        tally[week_start(date.fromisoformat(day)).isoformat()].add(hit, window_closed(day, window, today))
    return [{"week": week, "count": t.decided + t.pending, **t.as_dict()} for week, t in tally.items()]


# --- S2: challenge participants -------------------------------------------------------------------


def joined_versus_not(dues: Iterable[dict[str, Any]], patients: dict[str, dict[str, Any]], challenge_id: str,
                      conditions: Iterable[str] | None, today: date, since: str | None = None) -> dict[str, Any]:
    """Revisit rate of a challenge's participants against the eligible patients who did not join (S2).

    `patients` maps a patient id to its `conditions` and `joined_challenges`; eligible means one
    of the challenge's conditions (everyone when it names none). With `since` (the challenge's
    start), only the revisits requested from then on count: earlier ones owe nothing to it.
    """
    wanted = set(conditions or ())
    groups: dict[str, tuple[Tally, set[str]]] = {"joined": (Tally(), set()), "not_joined": (Tally(), set())}
    for due in dues:
        patient = patients.get(due["patient_id"])
        if patient is None or (wanted and not wanted & set(patient.get("conditions") or ())):
            continue
        if since and due["due_date"] < since:
            continue
        tally, ids = groups["joined" if challenge_id in (patient.get("joined_challenges") or ()) else "not_joined"]
        tally.add(kept(due), window_closed(due["due_date"], REVISIT_WINDOW_DAYS, today))
        ids.add(due["patient_id"])
    return {name: {"patients": len(ids), **tally.as_dict()} for name, (tally, ids) in groups.items()}
