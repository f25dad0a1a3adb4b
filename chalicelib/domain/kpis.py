"""Pure KPI arithmetic: revisit rates by group, the silent share, reminder conversion and weekly series.

Inputs are plain dicts and dates, so the refresh job and the tests feed them the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta

SILENT_DAYS = 90  # no visit, check-in or other interaction for this long: a silent patient (S6)
CONVERSION_DAYS = 30  # a reminder converts when a visit follows it within this many days
SERIES_WEEKS = 26
MET = ("on_time", "late")


def share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def revisit_rate_by(dues: Iterable[dict], group_of: Callable[[dict], Iterable[str]],
                    hit: Callable[[dict], bool] = lambda due: due["status"] in MET) -> list[dict]:
    """Revisit rate per group: of the requested revisit dates in `dues`, the share a visit answered
    (or, with `hit`, the share of any items that `hit` counts, e.g. reminders that converted).

    `group_of(due)` names the groups a due counts in (a patient may sit in several segments).
    Rows come sorted by the number of dues, largest first.
    """
    counts: dict[str, list[int]] = {}
    for due in dues:
        for group in group_of(due):
            if group is None:
                continue
            tally = counts.setdefault(group, [0, 0])
            tally[1] += 1
            tally[0] += bool(hit(due))
    rows = [{"group": group, "due": whole, "met": met, "rate": share(met, whole)}
            for group, (met, whole) in counts.items()]
    return sorted(rows, key=lambda row: (-row["due"], row["group"]))


def last_touch(row: dict) -> str | None:
    """The latest day the patient did anything with the clinic (visit, check-in, other interaction)."""
    days = [row.get("last_visit_date"), row.get("last_checkin_date"),
            (row.get("last_interaction_at") or "")[:10] or None, (row.get("created_at") or "")[:10] or None]
    days = [d for d in days if d]
    return max(days) if days else None


def is_silent(row: dict, today: date, days: int = SILENT_DAYS) -> bool:
    touched = last_touch(row)
    return touched is None or (today - date.fromisoformat(touched)).days > days


def converted(sent_day: str, visit_days: Iterable[str], days: int = CONVERSION_DAYS) -> bool:
    """A reminder sent on `sent_day` converted if a visit came on that day or within `days` days after."""
    last = (date.fromisoformat(sent_day) + timedelta(days=days)).isoformat()
    return any(sent_day <= day <= last for day in visit_days)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weeks(today: date, count: int = SERIES_WEEKS) -> list[date]:
    """The Mondays of the last `count` ISO weeks, oldest first, the current week last."""
    current = week_start(today)
    return [current - timedelta(weeks=n) for n in range(count - 1, -1, -1)]


def weekly(items: Iterable[tuple[str, bool]], today: date, count: int = SERIES_WEEKS) -> list[dict]:
    """Per week: how many (day, hit) items fell in it and how many were hits, with the share."""
    mondays = weeks(today, count)
    first = mondays[0].isoformat()
    tally = {m.isoformat(): [0, 0] for m in mondays}
    for day, hit in items:
        if not day or day < first or day > today.isoformat():
            continue
        bucket = tally[week_start(date.fromisoformat(day)).isoformat()]
        bucket[0] += 1
        bucket[1] += bool(hit)
    return [{"week": week, "count": n, "hits": hits, "rate": share(hits, n)} for week, (n, hits) in tally.items()]


def joined_versus_not(dues: Iterable[dict], patients: dict[str, dict], challenge_id: str,
                      conditions: Iterable[str]) -> dict:
    """Revisit rate of a challenge's participants against the eligible patients who did not join (S2).

    `patients` maps a patient id to its `conditions` and `joined_challenges`; eligible means one
    of the challenge's conditions (everyone when it names none).
    """
    wanted = set(conditions or ())
    groups = {"joined": [0, 0, set()], "not_joined": [0, 0, set()]}
    for due in dues:
        patient = patients.get(due["patient_id"])
        if patient is None or (wanted and not wanted & set(patient.get("conditions") or ())):
            continue
        tally = groups["joined" if challenge_id in (patient.get("joined_challenges") or ()) else "not_joined"]
        tally[0] += due["status"] in MET
        tally[1] += 1
        tally[2].add(due["patient_id"])
    return {name: {"patients": len(ids), "due": whole, "met": met, "rate": share(met, whole)}
            for name, (met, whole, ids) in groups.items()}
