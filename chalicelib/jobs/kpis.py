"""The KPI refresh (schedule): compute each clinic's dashboard figures into one item.

The dashboard then reads one item instead of thousands. The refresh walks the clinic's
patient list through its index (a Query, never a Scan), the revisit-due dates and the reminder
log of the last 26 weeks; its cost grows with the clinic, which is why it runs on a schedule,
not per request. What each figure means is defined in chalicelib.domain.kpis (pure functions a
stream-fed aggregate can reuse); this job only gathers their inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, time, timedelta
from typing import Any

from chalicelib.domain import holdout
from chalicelib.domain import kpis as figures_of
from chalicelib.domain.clock import clock, iso, local_date, local_moment, parse_iso
from chalicelib.domain.segment_defaults import SILENT_SEGMENT_ID
from chalicelib.observability import logger
from chalicelib.store import clinics, reports

DAILY_DAYS = 90  # the daily headline series the dashboard charts
HEADLINE = ("patients", "revisit_rate_30", "silent_share", "silent_patients", "silent_days", "reminder_conversion_90",
            "checkins_today")
CHALLENGE_DAYS = 180  # S2: the six-month revisit rate


def _reminder_outcomes(clinic_id: str, tz: str, today: date, last_visits: dict[str, str | None]) -> list[dict]:
    """Reminders sent in the last 26 weeks, each with its clinic-local send day and whether it converted.

    Most are decided by the patient's last visit alone (before the send: no; inside the window:
    yes); only a patient whose last visit is after the window needs one Query of their visits.
    """
    first = figures_of.weeks(today)[0]
    first_iso = iso(local_moment(first, time(0, 0), tz))
    outcomes = []
    visit_days: dict[str, list[str]] = {}  # per patient, from the first send day that needed them
    for entry in reports.reminders_between(clinic_id, first_iso, iso(clock.now())):
        if entry["status"] != "sent" or not entry["processed_at"]:
            continue
        sent_day = local_date(parse_iso(entry["processed_at"]), tz).isoformat()
        last = last_visits.get(entry["patient_id"])
        window_end = (date.fromisoformat(sent_day) + timedelta(days=figures_of.CONVERSION_DAYS)).isoformat()
        if not last or last < sent_day:
            hit = False
        elif last <= window_end:
            hit = True
        else:
            # the log is in time order, so the first Query of a patient covers their later sends too
            if entry["patient_id"] not in visit_days:
                visit_days[entry["patient_id"]] = reports.visit_days_since(clinic_id, entry["patient_id"], sent_day)
            hit = figures_of.converted(sent_day, visit_days[entry["patient_id"]])
        outcomes.append({"day": sent_day, "converted": hit, "rule_id": entry["rule_id"], "kind": entry["kind"]})
    return outcomes


def _challenge_figures(clinic_id: str, dues: list[dict], by_patient: dict[str, dict], today: date) -> list[dict]:
    """Six-month revisit rate of each challenge's participants against eligible patients who did
    not join, over the revisits requested since the challenge started."""
    from chalicelib.store import challenges

    first = figures_of.period_start(today, CHALLENGE_DAYS, figures_of.REVISIT_WINDOW_DAYS)
    recent = [d for d in dues if d["due_date"] >= first]
    rows = []
    for item in challenges.list_challenges(clinic_id):
        terms = item.terms or {}
        rows.append({"challenge_id": item.challenge_id, "name": terms.get("name"), "name_en": terms.get("name_en"),
                     **figures_of.joined_versus_not(recent, by_patient, item.challenge_id, terms.get("conditions"),
                                                    today, since=terms.get("start_date"))})
    return rows


def _segment_names(clinic_id: str) -> dict[str, tuple[str, str | None]]:
    from chalicelib.store import segments

    return {s.segment_id: (s.name, s.name_en) for s in segments.definitions(clinic_id)}


def _with_segment_names(names: dict, rows: list[dict]) -> list[dict]:
    """Revisit rate rows per segment (the patient's memberships now), with the segments' names."""
    return [{**row, "name": names[row["group"]][0], "name_en": names[row["group"]][1]}
            for row in rows if row["group"] in names]


def _source_row(row: dict, names: dict) -> dict:
    """A message source (`recall:<rule>`, `content:<segment>`) with what the dashboard names it by."""
    kind, _, source_id = row["group"].partition(":")
    name, name_en = names.get(source_id, (None, None)) if kind == "content" else (None, None)
    return {"source": row["group"], "kind": kind, "source_id": source_id, "name": name, "name_en": name_en,
            **{k: v for k, v in row.items() if k != "group"}}


def _package_and_call_figures(clinic_id: str, today: date) -> tuple[dict, dict]:
    """S8: the renewal rate of member packages that ended in the last 12 months; S2/S6: the
    follow-up calls of the last 30 days and the share of them that reached the patient or booked.
    Returns the figures and the counts each rate is computed from."""
    from chalicelib.services import packages
    from chalicelib.store import followups

    renewals = packages.renewal_rate(clinic_id, today - timedelta(days=365), today)
    calls = followups.totals_between(clinic_id, (today - timedelta(days=29)).isoformat(), today.isoformat())
    outcomes = {name: sum(row[name] for row in calls) for name in followups.OUTCOMES}
    made = sum(outcomes.values())
    reached = outcomes["reached"] + outcomes["booked"]
    rate = renewals["rate"]
    figures = {"package_renewal_rate_12m": None if rate is None else round(rate, 4),
               "packages_ended_12m": renewals["ended"], "followup_calls_30": made, "followup_outcomes_30": outcomes,
               "followup_reach_rate_30": figures_of.share(reached, made),
               "followup_booked_rate_30": figures_of.share(outcomes["booked"], made)}
    basis = {"package_renewal_rate_12m": {"hits": renewals["renewed"], "decided": renewals["renewed"] + renewals["lapsed"],
                                          "pending": renewals["pending"]},
             "followup_reach_rate_30": {"hits": reached, "decided": made, "pending": 0},
             "followup_booked_rate_30": {"hits": outcomes["booked"], "decided": made, "pending": 0}}
    shown, shown_basis = _appointment_figures(clinic_id, today)
    return {**figures, **shown}, {**basis, **shown_basis}


def _appointment_figures(clinic_id: str, today: date) -> tuple[dict, dict]:
    """Point 1 of the appointments: the bookings of the last 30 days (by the day of their slot) and the
    show and no-show rates of those decided (arrived or missed), from the day counters the bookings'
    transactions keep (one Query, never the bookings themselves)."""
    from chalicelib.domain.appointments import MAX_AHEAD_DAYS, rates
    from chalicelib.store import appointments

    # the slot days from 30 days ago to the furthest bookable one: the past ones give the outcomes,
    # all of them the bookings that followed a reminder (a booking is often for a later day)
    days = appointments.day_totals(clinic_id, (today - timedelta(days=29)).isoformat(),
                                   (today + timedelta(days=MAX_AHEAD_DAYS)).isoformat())
    past = [row for day, row in days.items() if day <= today.isoformat()]
    total = {name: sum(row[name] for row in past) for name in ("booked", "cancelled", "arrived", "no_show")}
    shown = rates(total["arrived"], total["no_show"])
    reminded = sum(row["reminded"] for row in days.values())
    gap_days = sum(row["reminder_days"] for row in days.values())
    figures = {"appointments_booked_30": total["booked"], "appointments_cancelled_30": total["cancelled"],
               "appointments_arrived_30": total["arrived"], "appointments_no_show_30": total["no_show"],
               "show_rate_30": shown["show_rate"], "no_show_rate_30": shown["no_show_rate"],
               "reminder_bookings": reminded,
               "reminder_to_booking_days": round(gap_days / reminded, 1) if reminded else None}
    basis = {"show_rate_30": {"hits": total["arrived"], "decided": shown["decided"], "pending": 0},
             "no_show_rate_30": {"hits": total["no_show"], "decided": shown["decided"], "pending": 0}}
    return figures, basis


def compute(clinic_id: str) -> dict:
    """The clinic's figures now. Every rate comes with `basis[name]`: the counts it is computed
    from (hits of decided, and pending for windowed rates), so the dashboard shows "x / y"."""
    clinic = clinics.get(clinic_id)
    tz = clinic.tz
    today = local_date(clock.now(), tz)
    silent_days = figures_of.silent_days_of(clinic.silent_days)
    totals = {"patients": 0, "checkins_today": 0, "points_issued": 0, "points_redeemed": 0, "reminders_sent": 0}
    conditions: dict[str, int] = {}
    new_since = (today - timedelta(days=90)).isoformat()
    new_patients = referred = silent = 0
    quiet: list[int | None] = []
    exam_days: list[list[str]] = []
    by_patient: dict[str, dict] = {}
    joined: list[tuple[str, bool]] = []
    for row in reports.patient_rows(clinic_id):
        by_patient[row["patient_id"]] = {"department": row["department"], "cohort": (row["created_at"] or "")[:7],
                                         "last_visit_date": row["last_visit_date"], "conditions": row["conditions"],
                                         "joined_challenges": row["joined_challenges"],
                                         "segments": row["segments"]}
        joined.append(((row["created_at"] or "")[:10], bool(row["referred_by"])))
        days_quiet = figures_of.days_silent(row, today, tz)
        quiet.append(days_quiet)
        silent += figures_of.is_silent(days_quiet, silent_days)
        if row["exam_days"]:
            exam_days.append(row["exam_days"])
        if row["created_at"] and row["created_at"][:10] >= new_since:
            new_patients += 1
            referred += 1 if row["referred_by"] else 0
        totals["patients"] += 1
        totals["points_issued"] += row["earned_total"]
        totals["points_redeemed"] += row["redeemed_total"]
        totals["reminders_sent"] += row["reminders_received"]
        if row["last_checkin_date"] == today.isoformat():
            totals["checkins_today"] += 1
        for condition in row["conditions"]:
            conditions[condition] = conditions.get(condition, 0) + 1
    window = figures_of.REVISIT_WINDOW_DAYS
    series_start = figures_of.weeks(today)[0].isoformat()
    all_dues = reports.dues_between(clinic_id, min(series_start, figures_of.period_start(today, CHALLENGE_DAYS, window)),
                                    today.isoformat())
    first_90 = figures_of.period_start(today, 90, window)
    dues = [d for d in all_dues if d["due_date"] >= first_90]
    reminders = _reminder_outcomes(clinic_id, tz, today, {pid: p["last_visit_date"] for pid, p in by_patient.items()})
    recent = [r for r in reminders if r["day"] >= figures_of.period_start(today, 90, figures_of.CONVERSION_DAYS)]
    known = lambda due: by_patient.get(due["patient_id"], {})  # noqa: E731
    tallies = {
        "revisit_rate_30": figures_of.revisits(all_dues, today, 30),
        "revisit_rate_90": figures_of.revisits(all_dues, today, 90),
        "postpartum_checkup_rate": figures_of.revisits(
            [d for d in all_dues if "postpartum" in (known(d).get("conditions") or [])], today, 90),
        "annual_recheck_rate": figures_of.recheck(exam_days, today),
        "reminder_conversion_90": figures_of.windowed(((r["day"], r["converted"]) for r in recent), today,
                                                      figures_of.CONVERSION_DAYS),
    }
    names = _segment_names(clinic_id)
    by_source = [_source_row(row, names) for row in figures_of.rate_by(
        recent, lambda r: [f"{r['kind']}:{r['rule_id']}"], day_of=lambda r: r["day"], hit=lambda r: r["converted"],
        today=today, window=figures_of.CONVERSION_DAYS)]
    # S3: of the silent patients the reactivation campaign reached, the share who came back
    reactivation = next((row for row in by_source if row["source"] == f"content:{SILENT_SEGMENT_ID}"), None)
    tallies["silent_reactivation_rate_90"] = reactivation or figures_of.windowed((), today, None)
    kpis = {**totals, **{name: tally["rate"] for name, tally in tallies.items()},
            "new_patients_90": new_patients, "referral_share_90": figures_of.share(referred, new_patients),
            "silent_days": silent_days, "silent_patients": silent,
            "silent_share": figures_of.share(silent, totals["patients"]),
            "reminders_sent_90": sum(1 for r in reminders if r["day"] >= (today - timedelta(days=90)).isoformat())}
    basis = {name: figures_of.basis(tally) for name, tally in tallies.items()}
    basis["referral_share_90"] = {"hits": referred, "decided": new_patients, "pending": 0}
    basis["silent_share"] = {"hits": silent, "decided": totals["patients"], "pending": 0}
    packages_and_calls, more = _package_and_call_figures(clinic_id, today)
    kpis.update(packages_and_calls)
    basis.update(more)
    kpis["holdout_effect"] = holdout.effect(all_dues, clinic_id, holdout.share_of(clinic.holdout_share), today)
    kpis["basis"] = basis

    def revisit_by(group_of: Callable[[dict[str, Any]], Iterable[str | None]]) -> list[dict[str, Any]]:
        return figures_of.rate_by(dues, group_of, day_of=lambda d: d["due_date"], hit=figures_of.kept, today=today,
                                  window=window)

    charts = {
        "silence": figures_of.silence_histogram(quiet, silent_days),
        "conditions": [{"condition": c, "count": n} for c, n in sorted(conditions.items(), key=lambda kv: -kv[1])],
        "revisit_by_department": revisit_by(lambda d: [known(d).get("department")]),
        "revisit_by_condition": revisit_by(lambda d: known(d).get("conditions") or []),
        "revisit_by_segment": _with_segment_names(names, revisit_by(lambda d: known(d).get("segments") or [])),
        "revisit_by_cohort": sorted(revisit_by(lambda d: [known(d).get("cohort") or None]),
                                    key=lambda row: row["group"]),
        "weekly_revisit": figures_of.weekly(((d["due_date"], figures_of.kept(d)) for d in all_dues), today,
                                            window=window),
        "weekly_reminders": figures_of.weekly(((r["day"], r["converted"]) for r in reminders), today,
                                              window=figures_of.CONVERSION_DAYS),
        "weekly_new_patients": figures_of.weekly(joined, today),
        "challenge_revisit_180": _challenge_figures(clinic_id, all_dues, by_patient, today),
        "conversion_by_source": by_source,
    }
    return {"kpis": kpis, "charts": charts}


def compute_counted(clinic_id: str) -> dict:
    """The clinic's figures from its stream-fed counters (services.kpi_counters), with the figures
    that keep day counters of their own (packages, calls, appointments) and the per-challenge rates
    from the requested revisits of their period: what the dashboard shows. Reads grow with the days
    shown and the events of the period, never with the patients (docs/kpis.md)."""
    from chalicelib.services import kpi_counters

    clinic = clinics.get(clinic_id)
    today = local_date(clock.now(), clinic.tz)
    counted = kpi_counters.figures(clinic_id, today)
    kpis, charts = counted["kpis"], counted["charts"]
    kpis["basis"] = counted["basis"]
    packages_and_calls, more = _package_and_call_figures(clinic_id, today)
    kpis.update(packages_and_calls)
    kpis["basis"].update(more)
    names = _segment_names(clinic_id)
    charts["revisit_by_segment"] = _with_segment_names(names, charts["revisit_by_segment"])
    charts["conversion_by_source"] = [_source_row(row, names) for row in charts["conversion_by_source"]]
    first = figures_of.period_start(today, CHALLENGE_DAYS, figures_of.REVISIT_WINDOW_DAYS)
    dues = reports.dues_between(clinic_id, first, today.isoformat())
    charts["challenge_revisit_180"] = _challenge_figures(clinic_id, dues, reports.due_patients(dues), today)
    return {"kpis": kpis, "charts": charts}


BACKFILL_PAGES = 50  # a refresh builds at most this many pages of a clinic's counters, then resumes next time


def counters_ready(clinic_id: str) -> bool:
    """Whether the clinic's counters hold its whole history: a clinic whose counters were never built
    (one that existed before the stream fed them) is backfilled first, a part at each refresh."""
    from chalicelib.services import kpi_counters
    from chalicelib.store import counters

    if counters.state(clinic_id).get("phase") == "live":
        return True
    return kpi_counters.backfill(clinic_id, pages=BACKFILL_PAGES) is None


def refresh_clinic(clinic_id: str) -> dict:
    """One clinic's refresh (one message of the `refresh_kpis` fan-out, chalicelib/jobs/clinic_jobs.py):
    the figures from the clinic's counters, once they hold its whole history. Safe twice: it
    overwrites the clinic's figures and today's row with what it computes now."""
    if not counters_ready(clinic_id):
        logger.info("kpi counters still being built", extra={"clinic_id": clinic_id})
        return {"patients": None, "building": True}
    figures = compute_counted(clinic_id)
    now = clock.now()
    today = local_date(now, clinics.get(clinic_id).tz)
    reports.save_day(clinic_id, today.isoformat(), iso(now), {k: figures["kpis"].get(k) for k in HEADLINE})
    figures["charts"]["daily"] = reports.days_since(clinic_id, (today - timedelta(days=DAILY_DAYS - 1)).isoformat())
    reports.save_kpis(clinic_id, iso(now), figures["kpis"], figures["charts"])
    logger.info("kpis refreshed", extra={"clinic_id": clinic_id})
    return {"patients": figures["kpis"]["patients"]}
