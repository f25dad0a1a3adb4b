"""The KPI refresh (schedule): compute each clinic's dashboard figures into one item.

The dashboard then reads one item instead of thousands. The refresh walks the clinic's
patient list through its index (a Query, never a Scan) and the revisit-due dates of the
last 90 days; its cost grows with the clinic, which is why it runs on a schedule, not per request.
"""

from __future__ import annotations

from datetime import date, time, timedelta

from chalicelib.domain import kpis as figures_of
from chalicelib.domain.clock import clock, iso, local_date, local_moment, parse_iso
from chalicelib.observability import logger
from chalicelib.store import clinics, reports

AGE_BUCKETS = ((0, 30, "0-30"), (31, 90, "31-90"), (91, 180, "91-180"), (181, 365, "181-365"), (366, None, ">365"))


def age_bucket(days: int | None) -> str:
    if days is None:
        return "never"
    for low, high, label in AGE_BUCKETS:
        if days >= low and (high is None or days <= high):
            return label
    return ">365"


def revisit_rate(dues: list[dict], today: date, days: int) -> float | None:
    start = (today - timedelta(days=days)).isoformat()
    window = [d for d in dues if start <= d["due_date"] <= today.isoformat()]
    if not window:
        return None
    met = sum(1 for d in window if d["status"] in ("on_time", "late"))
    return round(met / len(window), 4)


RECHECK_DUE_DAYS = 365  # an annual check-up is due a year after the last one
RECHECK_GRACE_DAYS = 90  # and counts as kept up to three months late


def recheck_rate(exam_days: list[list[str]], today: date) -> float | None:
    """Share of patients whose annual re-check fell due in the last three months and who came.

    The cohort: patients with an exam 12 to 15 months ago (their re-check is due or overdue now,
    the grace ended at most today); kept: another exam 10 to 15 months after that one.
    """
    first = (today - timedelta(days=RECHECK_DUE_DAYS + RECHECK_GRACE_DAYS)).isoformat()
    last = (today - timedelta(days=RECHECK_DUE_DAYS)).isoformat()
    due = kept = 0
    for days in exam_days:
        anchors = sorted(d for d in days if first <= d <= last)
        if not anchors:
            continue
        due += 1
        anchor = date.fromisoformat(anchors[0])
        early = (anchor + timedelta(days=300)).isoformat()
        late = (anchor + timedelta(days=RECHECK_DUE_DAYS + RECHECK_GRACE_DAYS)).isoformat()
        kept += any(early <= d <= late for d in days)
    return round(kept / due, 4) if due else None


DAILY_DAYS = 90  # the daily headline series the dashboard charts
HEADLINE = ("patients", "revisit_rate_30", "silent_share", "reminder_conversion_90", "checkins_today")


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
    """Six-month revisit rate of each challenge's participants against eligible patients who did not join."""
    from chalicelib.store import challenges

    first = (today - timedelta(days=180)).isoformat()
    recent = [d for d in dues if d["due_date"] >= first]
    rows = []
    for item in challenges.list_challenges(clinic_id):
        terms = item.terms or {}
        rows.append({"challenge_id": item.challenge_id, "name": terms.get("name"), "name_en": terms.get("name_en"),
                     **figures_of.joined_versus_not(recent, by_patient, item.challenge_id, terms.get("conditions"))})
    return rows


def _with_segment_names(clinic_id: str, rows: list[dict]) -> list[dict]:
    """Revisit rate rows per segment (the patient's memberships now), with the segments' names."""
    from chalicelib.store import segments

    names = {s.segment_id: (s.name, s.name_en) for s in segments.definitions(clinic_id)}
    return [{**row, "name": names.get(row["group"], (row["group"], None))[0],
             "name_en": names.get(row["group"], (None, None))[1]} for row in rows if row["group"] in names]


def _package_and_call_figures(clinic_id: str, today: date) -> dict:
    """S8: the renewal rate of member packages that ended in the last 12 months; S2/S6: the
    follow-up calls of the last 30 days and the share of them that reached the patient or booked."""
    from chalicelib.services import packages
    from chalicelib.store import followups

    renewals = packages.renewal_rate(clinic_id, today - timedelta(days=365), today)
    calls = followups.totals_between(clinic_id, (today - timedelta(days=29)).isoformat(), today.isoformat())
    outcomes = {name: sum(row[name] for row in calls) for name in followups.OUTCOMES}
    made = sum(outcomes.values())
    rate = renewals["rate"]
    return {"package_renewal_rate_12m": None if rate is None else round(rate, 4), "packages_ended_12m": renewals["ended"],
            "followup_calls_30": made, "followup_outcomes_30": outcomes,
            "followup_reach_rate_30": figures_of.share(outcomes["reached"] + outcomes["booked"], made),
            "followup_booked_rate_30": figures_of.share(outcomes["booked"], made)}


def compute(clinic_id: str) -> dict:
    clinic = clinics.get(clinic_id)
    today = local_date(clock.now(), clinic.tz)
    totals = {"patients": 0, "checkins_today": 0, "points_issued": 0, "points_redeemed": 0, "reminders_sent": 0}
    ages: dict[str, int] = {label: 0 for *_, label in AGE_BUCKETS}
    ages["never"] = 0
    conditions: dict[str, int] = {}
    new_since = (today - timedelta(days=90)).isoformat()
    new_patients = referred = silent = 0
    exam_days: list[list[str]] = []
    by_patient: dict[str, dict] = {}
    joined: list[tuple[str, bool]] = []
    for row in reports.patient_rows(clinic_id):
        by_patient[row["patient_id"]] = {"department": row["department"], "cohort": (row["created_at"] or "")[:7],
                                         "last_visit_date": row["last_visit_date"], "conditions": row["conditions"],
                                         "joined_challenges": row["joined_challenges"],
                                         "segments": row["segments"]}
        joined.append(((row["created_at"] or "")[:10], bool(row["referred_by"])))
        silent += figures_of.is_silent(row, today)
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
        days = (today - date.fromisoformat(row["last_visit_date"])).days if row["last_visit_date"] else None
        ages[age_bucket(days)] += 1
        for condition in row["conditions"]:
            conditions[condition] = conditions.get(condition, 0) + 1
    series_start = figures_of.weeks(today)[0]
    all_dues = reports.dues_between(clinic_id, series_start.isoformat(), today.isoformat())
    first_90 = (today - timedelta(days=90)).isoformat()
    dues = [d for d in all_dues if d["due_date"] >= first_90]
    reminders = _reminder_outcomes(clinic_id, clinic.tz, today,
                                   {pid: p["last_visit_date"] for pid, p in by_patient.items()})
    recent = [r for r in reminders if r["day"] >= first_90]
    kpis = {**totals, "revisit_rate_30": revisit_rate(dues, today, 30), "revisit_rate_90": revisit_rate(dues, today, 90),
            "new_patients_90": new_patients,
            "referral_share_90": round(referred / new_patients, 4) if new_patients else None,
            "annual_recheck_rate": recheck_rate(exam_days, today),
            "silent_share": figures_of.share(silent, totals["patients"]), "silent_patients": silent,
            "reminders_sent_90": len(recent),
            "reminder_conversion_90": figures_of.share(sum(r["converted"] for r in recent), len(recent))}
    kpis.update(_package_and_call_figures(clinic_id, today))
    by_source = figures_of.revisit_rate_by(recent, lambda r: [f"{r['kind']}:{r['rule_id']}"],
                                           hit=lambda r: r["converted"])
    # S3: of the silent patients the reactivation campaign reached, the share who came back
    reactivation = next((row for row in by_source if row["group"] == "content:silent-180"), None)
    kpis["silent_reactivation_rate_90"] = reactivation["rate"] if reactivation else None
    known = lambda due: by_patient.get(due["patient_id"], {})  # noqa: E731
    postpartum = [d for d in dues if "postpartum" in (known(d).get("conditions") or [])]
    kpis["postpartum_checkup_rate"] = revisit_rate(postpartum, today, 90)
    charts = {
        "last_visit_age": [{"bucket": label, "count": n} for label, n in ages.items()],
        "conditions": [{"condition": c, "count": n} for c, n in sorted(conditions.items(), key=lambda kv: -kv[1])],
        "revisit_by_department": figures_of.revisit_rate_by(dues, lambda d: [known(d).get("department")]),
        "revisit_by_condition": figures_of.revisit_rate_by(dues, lambda d: known(d).get("conditions") or []),
        "revisit_by_segment": _with_segment_names(
            clinic_id, figures_of.revisit_rate_by(dues, lambda d: known(d).get("segments") or [])),
        "revisit_by_cohort": sorted(figures_of.revisit_rate_by(dues, lambda d: [known(d).get("cohort") or None]),
                                    key=lambda row: row["group"]),
        "weekly_revisit": figures_of.weekly(((d["due_date"], d["status"] in figures_of.MET) for d in all_dues), today),
        "weekly_reminders": figures_of.weekly(((r["day"], r["converted"]) for r in reminders), today),
        "weekly_new_patients": figures_of.weekly(joined, today),
        "challenge_revisit_180": _challenge_figures(clinic_id, all_dues, by_patient, today),
        "conversion_by_source": [{"source": row["group"], "sent": row["due"], "converted": row["met"],
                                  "rate": row["rate"]} for row in by_source],
    }
    return {"kpis": kpis, "charts": charts}


def refresh_kpis() -> dict:
    done = {}
    for clinic_id in clinics.all_clinic_ids():
        figures = compute(clinic_id)
        now = clock.now()
        today = local_date(now, clinics.get(clinic_id).tz)
        reports.save_day(clinic_id, today.isoformat(), iso(now), {k: figures["kpis"].get(k) for k in HEADLINE})
        figures["charts"]["daily"] = reports.days_since(clinic_id, (today - timedelta(days=DAILY_DAYS - 1)).isoformat())
        reports.save_kpis(clinic_id, iso(now), figures["kpis"], figures["charts"])
        done[clinic_id] = figures["kpis"]["patients"]
    logger.info("kpis refreshed", extra={"clinics": len(done)})
    return done
