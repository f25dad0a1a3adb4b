"""Appointments: a doctor's weekly sessions cut into slots, holidays and date exceptions, and the
states a booking goes through. Pure: the caller passes the clinic's zone and today's date."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple

from chalicelib.domain.clock import iso, local_moment

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# booked -> arrived | cancelled | no_show; a reschedule cancels the old booking and books a new one
BOOKED, ARRIVED, CANCELLED, NO_SHOW = "booked", "arrived", "cancelled", "no_show"
STATES = (BOOKED, ARRIVED, CANCELLED, NO_SHOW)
MAX_RANGE_DAYS = 31  # the longest date range one slot query covers
MAX_AHEAD_DAYS = 90  # how far ahead a slot may be listed or booked
MAX_ACTIVE = 3  # active future bookings a patient may hold at once
NO_SHOW_GRACE = timedelta(minutes=60)  # a booking not arrived this long after its slot ended is a no-show
REMINDER_WINDOW_DAYS = 30  # a booking follows a reminder sent at most this many days before (as a conversion)


class Session(NamedTuple):
    """A block of a doctor's day, cut into slots of `slot_minutes`, each taking `capacity` patients."""

    start: str  # "HH:MM", clinic-local
    end: str
    slot_minutes: int
    capacity: int
    expert: bool = False


class Slot(NamedTuple):
    doctor_id: str
    day: str  # clinic-local ISO date
    start: str  # "HH:MM", clinic-local
    end: str
    capacity: int
    expert: bool
    starts_at: str  # UTC ISO 8601
    ends_at: str


def minutes(hhmm: str) -> int:
    hours, mins = hhmm.split(":")
    return int(hours) * 60 + int(mins)


def hhmm(total: int) -> str:
    return f"{total // 60:02d}:{total % 60:02d}"


def session_problem(sessions: Sequence[Session]) -> str | None:
    """Why a day's sessions are not a valid list (a session ending before it starts, one that does not
    fit whole slots, two that overlap), or None."""
    spans = []
    for session in sessions:
        start, end = minutes(session.start), minutes(session.end)
        if end <= start:
            return f"session {session.start}-{session.end} ends before it starts"
        if (end - start) % session.slot_minutes:
            return f"session {session.start}-{session.end} is not a whole number of {session.slot_minutes}-minute slots"
        spans.append((start, end))
    spans.sort()
    for (_, first_end), (second_start, _) in zip(spans, spans[1:]):
        if second_start < first_end:
            return "two sessions of one day overlap"
    return None


def sessions_of(raw: Iterable[Mapping[str, Any]]) -> list[Session]:
    return [Session(s["start"], s["end"], int(s["slot_minutes"]), int(s["capacity"]), bool(s.get("expert", False)))
            for s in raw]


def sessions_on(day: date, weekly: Mapping[str, Sequence[Session]], exceptions: Mapping[str, Sequence[Session]],
                holidays: Iterable[str]) -> Sequence[Session]:
    """The sessions a doctor works on a day: none on a clinic holiday, the exception's list on a date
    with an exception (an empty list: closed), else the weekday's."""
    key = day.isoformat()
    if key in set(holidays):
        return ()
    if key in exceptions:
        return exceptions[key]
    return weekly.get(WEEKDAYS[day.weekday()], ())


def slots_on(doctor_id: str, day: date, sessions: Sequence[Session], tz: str) -> list[Slot]:
    """The slots of a day's sessions, with their clinic-local and UTC times."""
    out = []
    for session in sessions:
        start, end = minutes(session.start), minutes(session.end)
        for at in range(start, end, session.slot_minutes):
            begins = local_moment(day, time(at // 60, at % 60), tz)
            ends = begins + timedelta(minutes=session.slot_minutes)
            out.append(Slot(doctor_id, day.isoformat(), hhmm(at), hhmm(at + session.slot_minutes), session.capacity,
                            session.expert, iso(begins), iso(ends)))
    return out


def find_slot(doctor_id: str, day: date, start: str, sessions: Sequence[Session], tz: str) -> Slot | None:
    """The slot of these sessions that starts at `start`, if there is one."""
    return next((s for s in slots_on(doctor_id, day, sessions, tz) if s.start == start), None)


def range_problem(first: date, last: date, today: date) -> str | None:
    """Why a slot query's date range is refused, or None."""
    if last < first:
        return "the range ends before it starts"
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        return f"the range is longer than {MAX_RANGE_DAYS} days"
    if last < today:
        return "the range lies in the past"
    if first > today + timedelta(days=MAX_AHEAD_DAYS):
        return f"the range starts more than {MAX_AHEAD_DAYS} days ahead"
    return None


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def bookable(slot: Slot, now: datetime) -> bool:
    """A slot can be booked until it starts."""
    return slot.starts_at > iso(now)


class Opening(NamedTuple):
    """Whether a caller may book a slot now under the priority-booking rule.

    `bookable`: the caller may book it; `priority`: only through the priority-booking perk (the slot is
    not open to everyone yet); `opens_on`: the clinic-local day it opens to everyone, while it is not yet."""

    bookable: bool
    priority: bool
    opens_on: date | None


def opens_to_all_on(day: date, priority_days: int | None) -> date:
    """The clinic-local day an expert slot on `day` opens to everyone: `MAX_AHEAD_DAYS - priority_days`
    days before it (the perk's holders may book it from `MAX_AHEAD_DAYS` days before, as any slot)."""
    return day - timedelta(days=MAX_AHEAD_DAYS - (priority_days or 0))


def opening(day: date, expert: bool, today: date, priority_days: int | None, holder: bool) -> Opening:
    """The priority-booking rule: an expert slot opens to the holders of the perk `MAX_AHEAD_DAYS` days
    ahead like every slot, and to everyone else `priority_days` days later; other slots, and every slot
    of a clinic without the perk (`priority_days` None), are open to all."""
    if not expert or not priority_days:
        return Opening(True, False, None)
    opens_on = opens_to_all_on(day, priority_days)
    if today >= opens_on:
        return Opening(True, False, None)
    return Opening(holder, holder, opens_on)


def rates(arrived: int, no_show: int) -> dict[str, Any]:
    """Show and no-show rates of the decided bookings (arrived or missed); None when nothing is decided."""
    decided = arrived + no_show
    return {"arrived": arrived, "no_show": no_show, "decided": decided,
            "show_rate": round(arrived / decided, 4) if decided else None,
            "no_show_rate": round(no_show / decided, 4) if decided else None}


def days_after_reminder(sent_at: datetime | None, booked_at: datetime, tz: str) -> int | None:
    """Clinic-local days from the latest reminder to a booking, when the booking follows it within the
    window; else None (the booking is not counted as one that followed a reminder)."""
    from chalicelib.domain.clock import local_date

    if sent_at is None or sent_at > booked_at:
        return None
    gap = (local_date(booked_at, tz) - local_date(sent_at, tz)).days
    return gap if gap <= REMINDER_WINDOW_DAYS else None
