"""WeRun (微信运动) days: which of the days WeChat reports count, and their steps. Pure.

wx.getWeRunData gives the last 30 days as `stepInfoList`: `{"timestamp": <the day's local
midnight, epoch seconds>, "step": n}`. We take the last WERUN_DAYS clinic days, today included.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from chalicelib.domain.clock import local_date

WERUN_DAYS = 7
MAX_STEPS = 100_000  # the steps reading's upper bound (domain.rules.READINGS)


class BadStepList(ValueError):
    pass


def days_to_record(step_list: object, today: date, tz: str) -> dict[date, tuple[int, datetime]]:
    """Clinic day -> (steps, the moment the day starts) for each reported day within the last
    WERUN_DAYS days; a day reported twice keeps its higher figure. BadStepList for a list that
    is not WeChat's shape."""
    if not isinstance(step_list, list) or len(step_list) > 400:
        raise BadStepList("stepInfoList must be a list")
    earliest = today - timedelta(days=WERUN_DAYS - 1)
    found: dict[date, tuple[int, datetime]] = {}
    for entry in step_list:
        if not isinstance(entry, dict):
            raise BadStepList("a stepInfoList entry must be an object")
        stamp, steps = entry.get("timestamp"), entry.get("step")
        if isinstance(stamp, bool) or isinstance(steps, bool) or not isinstance(stamp, int) \
                or not isinstance(steps, int) or steps < 0 or not 0 <= stamp < 2 ** 33:
            raise BadStepList("a stepInfoList entry needs whole timestamp and step")
        moment = datetime.fromtimestamp(stamp, tz=timezone.utc)
        day = local_date(moment, tz)
        if not earliest <= day <= today:
            continue
        steps = min(steps, MAX_STEPS)
        if day not in found or steps > found[day][0]:
            found[day] = (steps, moment)
    return dict(sorted(found.items()))
