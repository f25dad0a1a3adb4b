"""Member packages with a term (S8, the maternity hospital's service pack): end dates, what counts
as a renewal, and the renewal rate. Pure; days are clinic-local dates."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Any, NamedTuple, TypedDict

MAX_TERM_MONTHS = 60
DEFAULT_WINDOW_DAYS = 30

# The seed's pack: pregnancy to the end of the postpartum year.
class PackageTypeTerms(TypedDict):
    package_id: str
    name: str
    name_en: str
    term_months: int
    renewal_window_days: int


DEFAULT_PACKAGE_TYPES: tuple[PackageTypeTerms, ...] = (
    {"package_id": "maternity-pack", "name": "孕产全程服务包", "name_en": "Pregnancy-to-postpartum service pack",
     "term_months": 12, "renewal_window_days": DEFAULT_WINDOW_DAYS},
)


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def end_date(start: date, term_months: int) -> date:
    """The last day a package covers: the day before the same date `term_months` later."""
    if not 1 <= term_months <= MAX_TERM_MONTHS:
        raise ValueError(f"term_months must be 1 to {MAX_TERM_MONTHS}")
    return add_months(start, term_months) - timedelta(days=1)


def renews(old_end: date, new_start: date, window_days: int) -> bool:
    """A package of the same kind starting within `window_days` of the old one's end renews it
    (early renewals count, as do those a little after the end)."""
    return abs((new_start - (old_end + timedelta(days=1))).days) <= window_days


class Ended(NamedTuple):
    """A package that ended: its last day, its window, and when its renewal started (if any)."""

    end: date
    window_days: int
    renewed_on: date | None = None


class RenewalRate(NamedTuple):
    ended: int  # packages that ended in the period
    renewed: int
    lapsed: int  # window closed without a renewal
    pending: int  # window still open, not renewed yet
    rate: float | None  # renewed / (renewed + lapsed): decided packages only

    def as_dict(self) -> dict[str, Any]:
        return {"ended": self.ended, "renewed": self.renewed, "lapsed": self.lapsed, "pending": self.pending,
                "rate": self.rate}


def renewal_rate(packages: list[Ended], first_day: date, last_day: date, today: date) -> RenewalRate:
    """Of the packages that ended between first_day and last_day (inclusive), the share renewed
    within their window. A package whose window is still open and not yet renewed is pending,
    and left out of the rate until it is decided."""
    renewed = lapsed = pending = 0
    ended = [p for p in packages if first_day <= p.end <= last_day]
    for package in ended:
        if package.renewed_on is not None:
            renewed += 1
        elif package.end + timedelta(days=1 + package.window_days) < today:
            lapsed += 1
        else:
            pending += 1
    decided = renewed + lapsed
    return RenewalRate(len(ended), renewed, lapsed, pending, renewed / decided if decided else None)
