"""KPI counters fed by the table's stream, their backfill, and the figures they give (docs/kpis.md).

`apply(change)` is a stream consumer (chalicelib/jobs/changes.py): a patient's profile or a
requested revisit that changes moves its clinic's counters by the difference between what its old
and its new image count (chalicelib.domain.counters), once per record. `backfill` builds a
clinic's counters from what the table holds, page by page, resumable. `figures` reads the
counters, O(days shown), never the patients.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from chalicelib.domain import counters as counting
from chalicelib.domain import kpis as figures_of
from chalicelib.domain.clock import clock, iso, local_date
from chalicelib.domain.segment_defaults import SILENT_SEGMENT_ID
from chalicelib.observability import logger
from chalicelib.store import clinics
from chalicelib.store import counters as store
from chalicelib.store.changes import Change

PHASES = ("groups", "conversions", "patients", "dues", "messages", "live")


def contribution(clinic_id: str, kind: str, item: dict[str, Any] | None) -> counting.Counts:
    """What one counted item adds to the counters."""
    if item is None:
        return {}
    if kind == store.PROFILE:
        return counting.patient(store.listed(clinic_id, item), clinics.get(clinic_id).tz)
    if kind == store.MESSAGE:
        return counting.message(item, clinics.get(clinic_id).tz)
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


def backfill(clinic_id: str, *, restart: bool = False, pages: int | None = None) -> str | None:
    """Build the clinic's counters from the table: first what older items lack (the groups of
    requested revisits, the conversions of sent messages), then every listed patient, requested
    revisit and sent message, a page at a time. Resumes where the last call stopped unless
    `restart`; `pages` bounds the pages of this call. Returns where it stands while work remains,
    None once the counters are live. While it runs, the stream's records leave the clinic's
    counters alone (docs/kpis.md)."""
    state = store.state(clinic_id)
    if restart or not state.get("building"):
        store.save_state(clinic_id, building=True, phase=PHASES[0], at=iso(clock.now()))
        store.clear(clinic_id)
        state = store.state(clinic_id)
    phase, position = state.get("phase", "groups"), state.get("cursor")
    done = 0
    steps = {"groups": _stamp_groups_page, "conversions": _stamp_conversions_page,
             "patients": _counting_page(store.PROFILE, store.profiles_page),
             "dues": _counting_page(store.DUE, store.dues_page),
             "messages": _counting_page(store.MESSAGE, store.messages_page)}
    while pages is None or done < pages:
        position = steps[phase](clinic_id, position)
        done += 1
        if position is None:
            phase = PHASES[PHASES.index(phase) + 1]
            if phase == "live":
                store.save_state(clinic_id, building=False, phase="live", at=iso(clock.now()))
                logger.info("kpi counters built", extra={"clinic_id": clinic_id})
                return None
        store.save_state(clinic_id, building=True, phase=phase, cursor=position)
    return f"{phase}:{position or ''}"


def _counting_page(kind: str, read_page: Callable[[str, str | None], tuple[list[dict[str, Any]], str | None]]):
    """A backfill step that adds the contributions of one page of items of a kind (patients,
    requested revisits, messages) and returns where the next page starts."""

    def step(clinic_id: str, position: str | None) -> str | None:
        rows, following = read_page(clinic_id, position)
        store.add(clinic_id, counting.total(contribution(clinic_id, kind, row) for row in rows))
        return following

    return step


def _stamp_conversions_page(clinic_id: str, position: str | None) -> str | None:
    """Messages sent before visits wrote their conversion onto them get it from the patient's visits."""
    from chalicelib.store import reports

    rows, following = store.messages_page(clinic_id, position)
    tz = clinics.get(clinic_id).tz
    for row in rows:
        if row.get("status") != "sent" or not row.get("processed_at") or row.get("converted_on"):
            continue
        sent_on = figures_of.sent_day(row["processed_at"], tz)
        day = figures_of.conversion_day(sent_on, reports.visit_days_since(clinic_id, row["patient_id"], sent_on))
        if day:
            store.set_converted(row["pk"], row["sk"], day)
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
                visits.set_due_groups(row["pk"], row["sk"], counting.due_groups(profile, clinic_id))
    return following


# --- figures -------------------------------------------------------------------------------------


def _grouped_rows(days: dict[str, dict[str, int]], count: str, hits: str, kind: str, first: str, today: date,
                  window: int) -> list[dict[str, Any]]:
    """figures_of.rate_by's rows for one kind of group, from the day counters."""
    prefix = f"{count}@{kind}:"
    groups = {name[len(prefix):] for counters in days.values() for name in counters if name.startswith(prefix)}
    rows = []
    for group in groups:
        tally = counting.windowed_from_days(days, first, today, window, counting.grouped(count, kind, group),
                                            counting.grouped(hits, kind, group))
        if tally["decided"] or tally["pending"]:
            rows.append({"group": group, **tally})
    return sorted(rows, key=lambda row: (-row["decided"], -row["pending"], row["group"]))


def _weekly(days: dict[str, dict[str, int]], today: date, count: str, hits: str,
            window: int | None) -> list[dict[str, Any]]:
    """figures_of.weekly from the day counters."""
    mondays = figures_of.weeks(today)
    tallies = {m.isoformat(): figures_of.Tally() for m in mondays}
    first = mondays[0].isoformat()
    for day, counters in days.items():
        if not first <= day <= today.isoformat():
            continue
        tallies[figures_of.week_start(date.fromisoformat(day)).isoformat()].add_many(
            int(counters.get(count, 0)), int(counters.get(hits, 0)), figures_of.window_closed(day, window, today))
    return [{"week": week, "count": t.decided + t.pending, **t.as_dict()} for week, t in tallies.items()]


def _silence(days: dict[str, dict[str, int]], patients: int, untouched: int, today: date,
             threshold: int) -> list[dict[str, Any]]:
    """figures_of.silence_histogram from the patients per day of their last interaction."""
    rows, closed = [], 0
    for low, high in figures_of.silence_buckets(threshold):
        if high is None:
            count = patients - untouched - closed
        else:
            count = counting.day_sum(days, counting.LAST_TOUCH, (today - timedelta(days=high)).isoformat(),
                         (today - timedelta(days=low)).isoformat())
            closed += count
        rows.append({"bucket": f"{low}-{high}" if high is not None else f">{low - 1}", "low": low, "high": high,
                     "count": count, "silent": low > threshold})
    return rows


def _holdout_effect(days: dict[str, dict[str, int]], clinic_id: str, share: float, today: date) -> dict[str, Any]:
    """domain.holdout.effect from the counters: the held-out patients are the holdout ranks below the share."""
    from chalicelib.domain.holdout import PERIOD_DAYS, compared

    window = figures_of.REVISIT_WINDOW_DAYS
    first = figures_of.period_start(today, PERIOD_DAYS, window)
    ranks = [str(n) for n in range(int(round(share * 1000)))]
    held_days = {day: {"n": sum(c.get(counting.grouped(counting.DUE, "holdout", r), 0) for r in ranks),
                       "k": sum(c.get(counting.grouped(counting.DUE_KEPT, "holdout", r), 0) for r in ranks)}
                 for day, c in days.items()}
    held = counting.windowed_from_days(held_days, first, today, window, "n", "k")
    everyone = counting.windowed_from_days(days, first, today, window)
    reached = {name: everyone[name] - held[name] for name in ("decided", "hits", "pending", "pending_hits")}
    reached["rate"] = figures_of.share(reached["hits"], reached["decided"])
    reached = {k: reached[k] for k in ("decided", "hits", "rate", "pending", "pending_hits")}
    return compared(share, PERIOD_DAYS, reached, held)


def figures(clinic_id: str, today: date | None = None) -> dict[str, Any]:
    """The dashboard's figures and charts that the counters give (all but the per-challenge rates,
    which read the requested revisits of their period, and the package, call and appointment
    figures, which read their own day counters): one GetItem and one Query of day items, O(days)."""
    from chalicelib.domain import holdout

    clinic = clinics.get(clinic_id)
    today = today or local_date(clock.now(), clinic.tz)
    end = today.isoformat()
    silent_days = figures_of.silent_days_of(clinic.silent_days)
    window, conversion = figures_of.REVISIT_WINDOW_DAYS, figures_of.CONVERSION_DAYS
    first_due = figures_of.period_start(today, 90, window)
    first_sent = figures_of.period_start(today, 90, conversion)
    first = min(first_due, first_sent, figures_of.period_start(today, 90, figures_of.RECHECK_GRACE_DAYS), figures_of.weeks(today)[0].isoformat(),
                figures_of.period_start(today, holdout.PERIOD_DAYS, window),
                (today - timedelta(days=max(silent_days, max(figures_of.SILENCE_EDGES)) + 1)).isoformat())
    days = store.days(clinic_id, first, end)
    totals = store.totals(clinic_id)
    patients, untouched = totals.get(counting.PATIENTS, 0), totals.get(counting.UNTOUCHED, 0)
    new_since = (today - timedelta(days=90)).isoformat()
    new_patients = counting.day_sum(days, counting.NEW_PATIENTS, new_since, end)
    referred = counting.day_sum(days, counting.REFERRED, new_since, end)
    recent = counting.day_sum(days, counting.LAST_TOUCH, (today - timedelta(days=silent_days)).isoformat(), end)
    silent = patients - untouched - recent
    postpartum = (counting.grouped(counting.DUE, "condition", "postpartum"),
                  counting.grouped(counting.DUE_KEPT, "condition", "postpartum"))
    tallies = {
        "revisit_rate_30": counting.windowed_from_days(days, figures_of.period_start(today, 30, window), today,
                                                       window),
        "revisit_rate_90": counting.windowed_from_days(days, first_due, today, window),
        "postpartum_checkup_rate": counting.windowed_from_days(days, first_due, today, window, *postpartum),
        "reminder_conversion_90": counting.windowed_from_days(days, first_sent, today, conversion, counting.SENT,
                                                              counting.SENT_CONVERTED),
    }
    by_source = _grouped_rows(days, counting.SENT, counting.SENT_CONVERTED, "source", first_sent, today, conversion)
    reactivation = next((row for row in by_source if row["group"] == f"content:{SILENT_SEGMENT_ID}"), None)
    tallies["silent_reactivation_rate_90"] = reactivation or figures_of.windowed((), today, None)
    tallies["annual_recheck_rate"] = counting.windowed_from_days(
        days, figures_of.period_start(today, 90, figures_of.RECHECK_GRACE_DAYS), today, figures_of.RECHECK_GRACE_DAYS,
        counting.RECHECK, counting.RECHECK_KEPT)
    kpis = {"patients": patients,
            "checkins_today": days.get(end, {}).get(counting.LAST_CHECKIN, 0),
            "points_issued": totals.get(counting.POINTS_ISSUED, 0),
            "points_redeemed": totals.get(counting.POINTS_REDEEMED, 0),
            "reminders_sent": totals.get(counting.REMINDERS_SENT, 0),
            **{name: tally["rate"] for name, tally in tallies.items()},
            "new_patients_90": new_patients, "referral_share_90": figures_of.share(referred, new_patients),
            "silent_days": silent_days, "silent_patients": silent,
            "silent_share": figures_of.share(silent, patients),
            "reminders_sent_90": counting.day_sum(days, counting.SENT, new_since, end),
            "holdout_effect": _holdout_effect(days, clinic_id, holdout.share_of(clinic.holdout_share), today)}
    basis = {name: figures_of.basis(tally) for name, tally in tallies.items()}
    basis["referral_share_90"] = {"hits": referred, "decided": new_patients, "pending": 0}
    basis["silent_share"] = {"hits": silent, "decided": patients, "pending": 0}
    conditions = sorted(((name[len("cond:"):], n) for name, n in totals.items() if name.startswith("cond:") and n),
                        key=lambda kv: -kv[1])
    charts = {
        "silence": _silence(days, patients, untouched, today, silent_days),
        "conditions": [{"condition": c, "count": n} for c, n in conditions],
        "revisit_by_department": _grouped_rows(days, counting.DUE, counting.DUE_KEPT, "department", first_due,
                                               today, window),
        "revisit_by_condition": _grouped_rows(days, counting.DUE, counting.DUE_KEPT, "condition", first_due, today,
                                              window),
        "revisit_by_segment": _grouped_rows(days, counting.DUE, counting.DUE_KEPT, "segment", first_due, today,
                                            window),
        "revisit_by_cohort": sorted(_grouped_rows(days, counting.DUE, counting.DUE_KEPT, "cohort", first_due, today,
                                                  window), key=lambda row: row["group"]),
        "weekly_revisit": _weekly(days, today, counting.DUE, counting.DUE_KEPT, window),
        "weekly_reminders": _weekly(days, today, counting.SENT, counting.SENT_CONVERTED, conversion),
        "weekly_new_patients": _weekly(days, today, counting.NEW_PATIENTS, counting.REFERRED, None),
        "conversion_by_source": by_source,
    }
    return {"kpis": kpis, "basis": basis, "charts": charts}
