"""Clinic rules with their defaults: points earning, on-time revisits, late check-ins, recall.

Defaults come from the dental "tooth guardians" scenario (S3) and the eczema recall
scenario (S5). Everything here is pure and takes explicit times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from chalicelib.domain.clock import local_date, local_moment

DEFAULT_EARNING_RULES: dict[str, int] = {
    "revisit_on_time": 10,
    "share": 5,
    "referral_registered": 15,
    "checkin": 1,
}

CHECKIN_TYPES = ("glucose", "steps", "task")
PURPOSES = ("service", "marketing", "analytics")
CONDITIONS = ("eczema", "diabetes", "postpartum", "dental", "health_check", "hypertension")
DEPARTMENTS = ("dermatology", "endocrinology", "obstetrics", "dentistry", "health_check", "general")
PERSONAS = ("anxious", "knowledge_seeking", "social")

# A check-in may arrive late (a phone that was offline); readings older than this are refused,
# readings stamped in the future beyond the skew allowance are refused too.
CHECKIN_MAX_LATE = timedelta(days=3)
CHECKIN_MAX_FUTURE_SKEW = timedelta(minutes=10)

ON_TIME_WINDOW_DAYS = 7


def checkin_day(client_time: datetime, server_time: datetime, tz: str) -> date:
    """The clinic-local day a reading counts for, or ValueError when it is out of range.

    The reading's own time (client time) decides the day, so an upload sent after midnight
    for a reading taken before it still counts for the earlier day, within CHECKIN_MAX_LATE.
    """
    if client_time > server_time + CHECKIN_MAX_FUTURE_SKEW:
        raise ValueError("client_time is in the future")
    if client_time < server_time - CHECKIN_MAX_LATE:
        raise ValueError("client_time is too old to be accepted")
    return local_date(client_time, tz)


def is_on_time(visit_day: date, due_day: date, window_days: int = ON_TIME_WINDOW_DAYS) -> bool:
    """A visit within +-window days of the requested revisit date is on time."""
    return abs((visit_day - due_day).days) <= window_days


def points_for(rules: dict[str, int], event: str) -> int:
    merged = {**DEFAULT_EARNING_RULES, **(rules or {})}
    return int(merged.get(event, 0))


@dataclass(frozen=True)
class RecallRule:
    """Send a message `offset_days` after the anchor event of a condition, unless the patient
    visited or booked since. Default: eczema, 30 days after remission (drop-out is ~day 45)."""

    rule_id: str
    condition: str
    anchor: str
    offset_days: int
    send_at: time
    template: str
    purpose: str = "service"

    def due_at(self, anchor_day: date, tz: str) -> datetime:
        return local_moment(anchor_day + timedelta(days=self.offset_days), self.send_at, tz)


DEFAULT_RECALL_RULES = (
    RecallRule(
        rule_id="eczema-remission-30",
        condition="eczema",
        anchor="remission",
        offset_days=30,
        send_at=time(10, 0),
        template=(
            "{nickname}您好：湿疹缓解一个月后进入复发高发期，春季尤其常见。"
            "建议您本周回{clinic}复查，我们为您开通了绿色通道。"
        ),
    ),
)


DEFAULT_TIERS = (("gold", 1000), ("silver", 300), ("bronze", 0))


def tier_for(earned_total: int, tiers=DEFAULT_TIERS) -> str:
    """A patient's tier follows the points earned in total, never the spendable balance."""
    for name, floor in tiers:
        if earned_total >= floor:
            return name
    return tiers[-1][0]


def nickname(name: str, sex: str | None) -> str:
    """How a message addresses a patient: surname plus a courtesy title."""
    if not name:
        return ""
    title = {"F": "女士", "M": "先生"}.get((sex or "").upper(), "")
    return name[0] + title if title else name


def render_template(template: str, **values: str) -> str:
    class _Missing(dict):
        def __missing__(self, key):
            return ""

    return template.format_map(_Missing(values))
