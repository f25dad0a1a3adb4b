"""KPI counters fed by the table's stream, their backfill, and the figures they give (docs/kpis.md).

`apply(change)` is a stream consumer (chalicelib/jobs/changes.py): a patient's profile or a
requested revisit that changes moves its clinic's counters by the difference between what its old
and its new image count (chalicelib.domain.counters), once per record. `backfill` builds a
clinic's counters from what the table holds, page by page, resumable. `figures` reads the
counters, O(days shown), never the patients.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from chalicelib.domain import counters as counting
from chalicelib.domain import kpis as figures_of
from chalicelib.domain.clock import clock, iso, local_date
from chalicelib.observability import logger
from chalicelib.store import clinics
from chalicelib.store import counters as store
from chalicelib.store.changes import Change

def contribution(clinic_id: str, kind: str, item: dict[str, Any] | None) -> counting.Counts:
    """What one counted item adds to the counters."""
    if item is None:
        return {}
    if kind == store.PROFILE:
        return counting.patient(store.listed(clinic_id, item), clinics.get(clinic_id).tz)
    return counting.revisit_due(item)


def apply(change: Change) -> None:
    counted = store.counted_item(change.pk, change.sk)
    if counted is None:
        return
    clinic_id, kind = counted
    moves = counting.delta(contribution(clinic_id, kind, change.old), contribution(clinic_id, kind, change.new))
    if moves and not store.apply_once(clinic_id, change.event_id, moves):
        logger.info("stream record left to the counters' backfill or applied before",
                    extra={"clinic_id": clinic_id})


# --- backfill ------------------------------------------------------------------------------------


def backfill(clinic_id: str, cursor: str | None = None, *, pages: int | None = None) -> str | None:
    """Build the clinic's counters from the table: first the groups of requested revisits written
    before revisits carried them, then every listed patient and every requested revisit, a page at
    a time. Returns a cursor while work remains (call again with it), None when the counters are
    live. While it runs, the stream's records leave the clinic's counters alone."""
    state = store.state(clinic_id)
    if cursor is None:
        store.save_state(clinic_id, building=True, phase="groups", at=iso(clock.now()))
        store.clear(clinic_id)
        state = store.state(clinic_id)
    phase, position = state.get("phase", "groups"), state.get("cursor")
    done = 0
    while pages is None or done < pages:
        if phase == "groups":
            position = _stamp_groups_page(clinic_id, position)
        elif phase == "patients":
            position = _patients_page(clinic_id, position)
        else:
            position = _dues_page(clinic_id, position)
        done += 1
        if position is None:
            phase = {"groups": "patients", "patients": "dues", "dues": "live"}[phase]
            if phase == "live":
                store.save_state(clinic_id, building=False, phase="live", at=iso(clock.now()))
                logger.info("kpi counters built", extra={"clinic_id": clinic_id})
                return None
        store.save_state(clinic_id, building=True, phase=phase, cursor=position)
    return f"{phase}:{position or ''}"


def _patients_page(clinic_id: str, position: str | None) -> str | None:
    rows, following = store.profiles_page(clinic_id, position)
    store.add(clinic_id, counting.total(contribution(clinic_id, store.PROFILE, row) for row in rows))
    return following


def _dues_page(clinic_id: str, position: str | None) -> str | None:
    rows, following = store.dues_page(clinic_id, position)
    store.add(clinic_id, counting.total(counting.revisit_due(row) for row in rows))
    return following


def _stamp_groups_page(clinic_id: str, position: str | None) -> str | None:
    """Requested revisits without groups take them from their patient as the patient is now."""
    from chalicelib.store import visits

    rows, following = store.dues_page(clinic_id, position)
    missing = [row for row in rows if row.get("groups") is None]
    if missing:
        profiles = visits.profiles_for_groups(clinic_id, sorted({row["pk"] for row in missing}))
        for row in missing:
            profile = profiles.get(row["pk"])
            if profile is not None:
                visits.set_due_groups(row["pk"], row["sk"], counting.due_groups(profile))
    return following


# --- figures -------------------------------------------------------------------------------------


def figures(clinic_id: str, today: date | None = None) -> dict[str, Any]:
    """The dashboard figures the counters give, read as one GetItem and one Query of day items."""
    clinic = clinics.get(clinic_id)
    today = today or local_date(clock.now(), clinic.tz)
    silent_days = figures_of.silent_days_of(clinic.silent_days)
    window = figures_of.REVISIT_WINDOW_DAYS
    first_due = figures_of.period_start(today, 90, window)
    first_touch = (today - timedelta(days=max(silent_days, max(figures_of.SILENCE_EDGES)) + 1)).isoformat()
    first = min(first_due, first_touch, (today - timedelta(days=90)).isoformat())
    days = store.days(clinic_id, first, today.isoformat())
    totals = store.totals(clinic_id)
    patients = totals.get(counting.PATIENTS, 0)
    new_since = (today - timedelta(days=90)).isoformat()
    new_patients = counting.day_sum(days, counting.NEW_PATIENTS, new_since, today.isoformat())
    referred = counting.day_sum(days, counting.REFERRED, new_since, today.isoformat())
    # silent: more than `silent_days` days since the last interaction
    recent = counting.day_sum(days, counting.LAST_TOUCH, (today - timedelta(days=silent_days)).isoformat(),
                              today.isoformat())
    silent = patients - recent - totals.get(counting.UNTOUCHED, 0)
    postpartum = counting.grouped(counting.DUE, "condition", "postpartum")
    postpartum_kept = counting.grouped(counting.DUE_KEPT, "condition", "postpartum")
    return {
        "patients": patients,
        "checkins_today": days.get(today.isoformat(), {}).get(counting.LAST_CHECKIN, 0),
        "points_issued": totals.get(counting.POINTS_ISSUED, 0),
        "points_redeemed": totals.get(counting.POINTS_REDEEMED, 0),
        "reminders_sent": totals.get(counting.REMINDERS_SENT, 0),
        "new_patients_90": new_patients,
        "referral_share_90": figures_of.share(referred, new_patients),
        "silent_patients": silent,
        "silent_share": figures_of.share(silent, patients),
        "revisit_rate_30": counting.windowed_from_days(days, figures_of.period_start(today, 30, window), today,
                                                       window),
        "revisit_rate_90": counting.windowed_from_days(days, first_due, today, window),
        "postpartum_checkup_rate": counting.windowed_from_days(days, first_due, today, window, postpartum,
                                                               postpartum_kept),
        "conditions": {name[len("cond:"):]: n for name, n in totals.items() if name.startswith("cond:") and n},
    }
