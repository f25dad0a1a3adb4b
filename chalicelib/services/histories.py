"""A patient's History for the risk and uplift models (chalicelib.domain.risk), from their list
row and their stored activity, or from their risk feature summary, in clinic-local days. Shared by the risk training
(services.risk) and the uplift training and scores (services.uplift)."""

from __future__ import annotations

from datetime import date

from chalicelib.domain import risk as rules
from chalicelib.domain import risk_summary as summary
from chalicelib.domain.clock import clock, local_date, parse_iso
from chalicelib.store import risk as store


def _local(moment: str | None, tz: str) -> date | None:
    if not moment:
        return None
    try:
        return local_date(parse_iso(moment), tz)
    except ValueError:
        return None


def history_of(row: dict, activity: store.ActivityHistory, tz: str) -> rules.History:
    """A patient's History (clinic-local days) from their list row and their stored activity."""
    registered = _local(row.get("created_at"), tz) or local_date(clock.now(), tz)
    h = rules.History(patient_id=row["patient_id"], registered=registered,
                      conditions=tuple(row.get("conditions") or ()), district=row.get("district"))
    h.visits.extend((date.fromisoformat(day), date.fromisoformat(due) if due else None)
                    for day, due in activity.visits)
    h.checkins.extend(date.fromisoformat(day) for day in activity.checkin_days)
    h.shares.extend(day for day in (_local(at, tz) for at in activity.share_times) if day)
    h.inbox_reads.extend(day for day in (_local(at, tz) for at in activity.inbox_read_times) if day)
    h.calls.extend((date.fromisoformat(day), outcome) for day, outcome in activity.calls)
    return h


def history_of_summary(patient_id: str, facts: dict, tz: str) -> rules.History:
    """A patient's History from their risk feature summary (chalicelib.domain.risk_summary): what
    `history_of` builds from the partition, within the summary's bounds, with days for events
    (one share, read or call of a kind a day)."""
    profile = facts.get("p") or {}
    registered = _local(profile.get("registered"), tz) or local_date(clock.now(), tz)
    h = rules.History(patient_id=patient_id, registered=registered, conditions=tuple(profile.get("conditions") or ()),
                      district=profile.get("district"))
    h.visits.extend(summary.visits(facts))
    h.checkins.extend(summary.days(facts, "c"))
    h.shares.extend(summary.days(facts, "s"))  # UTC days: a day off at most, at a window's edge
    h.inbox_reads.extend(summary.days(facts, "r"))
    h.calls.extend(summary.calls(facts))
    return h
