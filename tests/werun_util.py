"""Building WeRun uploads for tests: what wx.getWeRunData gives the mini-program, encrypted by
the fake WeChat with the session key of the login code the upload carries."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo


def midnight(day: date, tz: str = "Asia/Shanghai") -> int:
    """The day's local midnight as epoch seconds (WeRun's `timestamp`)."""
    return int(datetime.combine(day, time(0, 0), ZoneInfo(tz)).timestamp())


def werun_body(fake, code: str, steps_by_day: dict[date, int], appid: str | None = None) -> dict:
    """The body of POST /me/checkins/werun for these days' steps, sealed for `code`."""
    steps = [{"timestamp": midnight(day), "step": n} for day, n in sorted(steps_by_day.items())]
    return {"code": code, **fake.werun_payload(code, steps, appid=appid)}
