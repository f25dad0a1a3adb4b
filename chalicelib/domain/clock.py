"""The one clock. Production reads the system time; tests and benchmarks set it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = timezone.utc


class Clock:
    def __init__(self, fixed: datetime | None = None):
        self._fixed = fixed

    def now(self) -> datetime:
        if self._fixed is not None:
            return self._fixed
        return datetime.now(UTC)

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("clock times are timezone-aware")
        self._fixed = moment.astimezone(UTC)

    def advance(self, **delta: float) -> None:
        self._fixed = self.now() + timedelta(**delta)

    def release(self) -> None:
        self._fixed = None

    @contextmanager
    def at(self, moment: datetime) -> Iterator[None]:
        """Within the block the clock reads `moment`; after it, what it read before (fixed or live)."""
        previous = self._fixed
        self.set(moment)
        try:
            yield
        finally:
            self._fixed = previous


clock = Clock()


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def local_date(moment: datetime, tz: str) -> date:
    """The calendar day a moment falls on in the clinic's time zone."""
    return moment.astimezone(zone(tz)).date()


def local_moment(day: date, at: time, tz: str) -> datetime:
    """A clinic-local wall-clock time on a day, as an aware UTC datetime."""
    return datetime.combine(day, at, tzinfo=zone(tz)).astimezone(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("time must carry a zone offset")
    return moment.astimezone(UTC)
