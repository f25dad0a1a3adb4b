"""Capacity-aware recall: how many recall offers a department may have outstanding (a share of its free
slot places over the next days), who goes first when more are due, and how long an offered slot is
held. Pure; the caller passes the counts, the scores and the clock. docs/delivery.md "Capacity".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

# anchors of messages about a contract rather than health (a member package's end): such a recall asks
# for no visit, so it neither waits for nor holds a slot place, and it is not health content
NOT_HEALTH_ANCHORS = ("package_end",)
DEFAULT_CAPACITY_DAYS = 7  # recall offers are measured against the free places of the next days
MAX_CAPACITY_DAYS = 28
DEFAULT_CAPACITY_SHARE = 0.5  # at most this share of the free places may be held by recall offers
MIN_CAPACITY_SHARE, MAX_CAPACITY_SHARE = 0.05, 1.0
HOLD_DAYS = 3  # an offered slot is held this long (or until it starts, if sooner)
OFFER_LEAD = timedelta(hours=20)  # an offered slot starts at least this long after the message
NO_CAPACITY = "no_capacity"  # the stop reason of a recall waiting for a free place
CAPACITY_RETRY = timedelta(hours=1)  # a recall waiting for capacity is looked at again after this
# The response prior: Beta(1, 3), a 25% chance of answering a reminder before anything is known; each
# reminder received and each booking that followed one within 30 days moves it.
RESPONSE_PRIOR = (1.0, 3.0)
UNSCORED_RISK = 0.5  # a patient the daily model has not scored counts as even odds


class SlotPlaces(NamedTuple):
    """A bookable slot of a department as the capacity count sees it."""

    doctor_id: str
    day: str
    start: str
    starts_at: str  # UTC ISO 8601
    capacity: int
    taken: int  # places taken: bookings and recall holds
    held: int  # of which recall holds

    @property
    def unbooked(self) -> int:
        """Places not booked by a patient (held ones count: they are still free to book for the holder)."""
        return max(0, self.capacity - (self.taken - self.held))

    @property
    def open(self) -> int:
        """Places nobody holds or booked: what a new offer or a walk-in may take."""
        return max(0, self.capacity - self.taken)


class Budget(NamedTuple):
    """A department's recall budget over the window: `allowed` offers of `free` places, `held` taken."""

    free: int
    allowed: int
    held: int

    @property
    def left(self) -> int:
        return max(0, self.allowed - self.held)


def budget(slots: Iterable[SlotPlaces], share: float, held: int) -> Budget:
    """Offers allowed: the share of the free (unbooked) places, rounded down; `held`: offers outstanding."""
    free = sum(s.unbooked for s in slots)
    return Budget(free, int(math.floor(free * share + 1e-9)), max(0, held))


def offer_slot(slots: Sequence[SlotPlaces], now: datetime) -> list[SlotPlaces]:
    """The slots an offer may hold, in the order to try: those with an open place starting at least
    OFFER_LEAD after now, earliest first (the patient gets the soonest real place)."""
    from chalicelib.domain.clock import iso

    earliest = iso(now + OFFER_LEAD)
    return sorted((s for s in slots if s.open > 0 and s.starts_at >= earliest),
                  key=lambda s: (s.starts_at, s.doctor_id))


def hold_expiry(now: datetime, slot_starts: datetime) -> datetime:
    """A hold ends HOLD_DAYS after the offer or when its slot starts, whichever comes first."""
    return min(now + timedelta(days=HOLD_DAYS), slot_starts)


def response_rate(received: int, answered: int) -> float:
    """The chance the patient answers a reminder by booking: answered / received with a Beta prior."""
    a, b = RESPONSE_PRIOR
    received, answered = max(0, received), max(0, answered)
    return (a + min(answered, received)) / (a + b + received)


def priority(risk: float | None, received: int, answered: int) -> float:
    """Who goes first when recalls exceed the budget: the expected revisits a reminder moves, i.e.
    the chance of dropping out (the risk score) times the chance of answering."""
    at_risk = UNSCORED_RISK if risk is None else min(1.0, max(0.0, float(risk)))
    return at_risk * response_rate(received, answered)


class Candidate(NamedTuple):
    """A due recall of a throttled department, as the sweep ranks it."""

    key: str  # what the caller uses to find the job again
    priority: float
    due_at: str


def rank(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Highest priority first; among equals the one due longest goes first, then by key (stable)."""
    return sorted(candidates, key=lambda c: (-c.priority, c.due_at, c.key))


def share_problem(share: float) -> str | None:
    if not MIN_CAPACITY_SHARE <= share <= MAX_CAPACITY_SHARE:
        return f"capacity_share must be between {MIN_CAPACITY_SHARE} and {MAX_CAPACITY_SHARE}"
    return None
