"""Streak challenges: their terms, who may join, which days count, the default S2 challenge.

Pure. A challenge's terms are copied into each enrolment when the patient joins, so the
check-in evaluates them without reading the challenge again, and a patient keeps the terms
(and the reward) they joined under when staff later edit the challenge.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any, NamedTuple

from chalicelib.domain.streaks import StreakRule

VOUCHER = "voucher"
POINTS = "points"
MAX_DAYS = 365


@dataclass(frozen=True)
class Reward:
    """What a completed streak earns: a voucher of a named kind valid N days, or points."""

    type: str  # VOUCHER | POINTS
    points: int | None = None
    voucher_kind: str | None = None
    voucher_name: str | None = None
    voucher_name_en: str | None = None
    valid_days: int | None = None

    def __post_init__(self) -> None:
        if self.type == POINTS:
            if not self.points or self.points < 1:
                raise ValueError("a points reward needs points >= 1")
        elif self.type == VOUCHER:
            if not (self.voucher_kind and self.voucher_name and self.valid_days and self.valid_days >= 1):
                raise ValueError("a voucher reward needs a kind, a name and valid_days >= 1")
        else:
            raise ValueError(f"unknown reward type {self.type!r}")

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Reward":
        fields: dict[str, Any] = {k: data.get(k) for k in ("type", "points", "voucher_kind", "voucher_name",
                                                           "voucher_name_en", "valid_days")}
        return cls(**fields)


@dataclass(frozen=True)
class Terms:
    """The rule of one challenge, as a patient joins it."""

    challenge_id: str
    name: str
    checkin_type: str
    days: int
    grace: int
    reward: Reward
    start_date: date
    end_date: date
    conditions: tuple[str, ...] = ()  # empty: everyone may join
    name_en: str | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.days <= MAX_DAYS:
            raise ValueError(f"days is 1 to {MAX_DAYS}")
        if self.end_date < self.start_date:
            raise ValueError("the end date is before the start date")
        StreakRule(self.days, self.grace)  # validates grace

    @property
    def rule(self) -> StreakRule:
        return StreakRule(self.days, self.grace)

    def eligible(self, patient_conditions: Iterable[str] | None) -> bool:
        """Everyone, or a patient with one of the challenge's conditions.

        A stand-in for segments: when the segment engine lands, `conditions` becomes a segment id.
        """
        return not self.conditions or bool(set(self.conditions) & set(patient_conditions or ()))

    def open_on(self, today: date) -> bool:
        """Joinable until the end date (also before the start: days count from the start)."""
        return today <= self.end_date

    def counts(self, day: date, joined_on: date) -> bool:
        """Whether a check-in of this day may count: inside the challenge dates and not before joining."""
        return max(self.start_date, joined_on) <= day <= self.end_date

    def as_dict(self) -> dict[str, Any]:
        return {"challenge_id": self.challenge_id, "name": self.name, "name_en": self.name_en,
                "checkin_type": self.checkin_type, "days": self.days, "grace": self.grace,
                "reward": self.reward.as_dict(), "start_date": self.start_date.isoformat(),
                "end_date": self.end_date.isoformat(), "conditions": list(self.conditions)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Terms":
        return cls(challenge_id=data["challenge_id"], name=data["name"], name_en=data.get("name_en"),
                   checkin_type=data["checkin_type"], days=int(data["days"]), grace=int(data.get("grace") or 0),
                   reward=Reward.from_dict(data["reward"]), start_date=date.fromisoformat(data["start_date"]),
                   end_date=date.fromisoformat(data["end_date"]), conditions=tuple(data.get("conditions") or ()))


class DefaultChallenge(NamedTuple):
    challenge_id: str
    name: str
    name_en: str
    condition: str  # created for clinics that treat this condition, open to its patients
    checkin_type: str
    days: int
    grace: int
    reward: Reward
    runs_for_days: int

    def terms(self, start: date) -> Terms:
        return Terms(self.challenge_id, self.name, self.checkin_type, self.days, self.grace, self.reward, start,
                     start + timedelta(days=self.runs_for_days - 1), (self.condition,), self.name_en)


# S2, the diabetes clinic: glucose uploaded 7 days in a row earns a free glucose test voucher;
# the challenge runs for a year from the clinic's first day on Revisit.
DEFAULT_CHALLENGES = (
    DefaultChallenge(
        challenge_id="glucose-guard-365",
        name="365天血糖守护",
        name_en="365-day glucose guard",
        condition="diabetes",
        checkin_type="glucose",
        days=7,
        grace=0,
        reward=Reward(VOUCHER, voucher_kind="glucose-test", voucher_name="免费血糖检测券",
                      voucher_name_en="Free glucose test voucher", valid_days=30),
        runs_for_days=365,
    ),
)


def reward_key(challenge_id: str, streak_start: date) -> str:
    """The deterministic id of one streak's reward: a retry or a second evaluation maps to it again."""
    return f"challenge:{challenge_id}:{streak_start.isoformat()}"
