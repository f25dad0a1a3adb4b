"""Rules around earning points: limits per rule and period, and the monthly leaderboard's keys.

Pure functions; periods are clinic-local (day, ISO week, calendar month).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

# No farming points by sharing a hundred times: shares earn at most this often (per clinic
# setting `earning_limits`, which replaces these per rule).
DEFAULT_LIMITS: dict[str, dict[str, int]] = {"share": {"day": 3, "week": 10, "month": 20}}
PERIODS = ("day", "week", "month")
LEADERBOARD_SHARDS = 4
# Rules whose points rank on the monthly board: behaviour, never clinical values or staff grants.
BOARD_RULES = ("checkin", "share", "revisit_on_time", "referral_registered", "challenge")


def limits_for(settings: dict[str, Any] | None, rule: str) -> dict[str, int]:
    configured = (settings or {}).get(rule)
    chosen = DEFAULT_LIMITS.get(rule, {}) if configured is None else configured
    return {period: int(maximum) for period, maximum in chosen.items() if period in PERIODS}


def effective_limits(settings: dict[str, Any] | None, rules: Iterable[str]) -> dict[str, dict[str, int]]:
    """Every earning rule's limits per period as they apply ({} for a rule without limits)."""
    return {rule: limits_for(settings, rule) for rule in rules}


def limits_in_order(limits: dict[str, int]) -> bool:
    """A day's limit no larger than the week's, the week's no larger than the month's (where set)."""
    values = [limits[p] for p in PERIODS if limits.get(p) is not None]
    return values == sorted(values)


def period_key(period: str, day: date) -> str:
    if period == "day":
        return "D" + day.isoformat()
    if period == "week":
        year, week, _ = day.isocalendar()
        return f"W{year}-{week:02d}"
    return "M" + day.strftime("%Y-%m")


def period_end(period: str, day: date) -> date:
    """The last day of the period containing `day` (counters can expire after it)."""
    if period == "day":
        return day
    if period == "week":
        return day + timedelta(days=6 - day.weekday())
    first_next = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first_next - timedelta(days=1)


def month_key(day: date) -> str:
    return day.strftime("%Y-%m")


def shard_of(patient_id: str, shards: int = LEADERBOARD_SHARDS) -> int:
    """A stable shard per patient, so one patient's monthly score lives in one board partition."""
    return int(hashlib.sha256(patient_id.encode()).hexdigest()[:8], 16) % shards


def score_sort(score: int, patient_id: str) -> str:
    """Sort key of a board entry: higher scores sort later (queries read it backwards)."""
    return f"{score:010d}#{patient_id}"


def merge_top(pages: list[list[dict[str, Any]]], limit: int) -> list[dict[str, Any]]:
    """The top `limit` entries over the shards' own top lists (each already sorted by score)."""
    entries = [entry for page in pages for entry in page]
    entries.sort(key=lambda e: (-e["score"], e["patient_id"]))
    return entries[:limit]


DEFAULT_EXPIRY_MONTHS = 12


def expires_on(earned: date, months: int = DEFAULT_EXPIRY_MONTHS) -> date:
    """Points earned in a clinic month expire at the end of the month `months` later."""
    index = earned.year * 12 + earned.month - 1 + months
    first = date(index // 12, index % 12 + 1, 1)
    return period_end("month", first)


def plan_spending(lots: list[tuple[str, int]], amount: int) -> list[tuple[str, int]]:
    """Which lots a debit takes from: the earliest-expiring first. `lots` are (expires_on, remaining)."""
    taken = []
    left = amount
    for expires, remaining in sorted(lots):
        if left <= 0:
            break
        take = min(remaining, left)
        if take > 0:
            taken.append((expires, take))
            left -= take
    return taken
