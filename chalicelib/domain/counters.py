"""What one item of the table adds to its clinic's KPI counters (pure).

Each kind of item that a dashboard figure counts has a *contribution*: the counters it adds to
while it exists in its current state, as {(bucket, name): amount}. A bucket is `TOTAL` (figures
about now: patients, points, conditions) or a clinic-local day (`2026-12-07`: the check-ins, new
patients, last interactions and requested revisits of that day). A change to an item moves the
counters by `delta(contribution(old), contribution(new))`: sums of such differences do not depend
on the order they are added in, so the stream's records can be applied as they come, each once.

The dashboard's figures are then sums over a few buckets (chalicelib.domain.kpis defines them);
nothing here reads a patient list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from chalicelib.domain import holdout, kpis
from chalicelib.domain.experiments import bucket
from chalicelib.domain.segments import last_interaction_day

TOTAL = "TOTAL"
Key = tuple[str, str]  # (bucket, counter name)
Counts = dict[Key, int]

# counter names
PATIENTS = "patients"
POINTS_ISSUED = "points_issued"
POINTS_REDEEMED = "points_redeemed"
REMINDERS_SENT = "reminders_sent"
NEW_PATIENTS = "new_patients"
REFERRED = "referred"
LAST_CHECKIN = "last_checkin"  # patients whose latest check-in is on the bucket's day
LAST_TOUCH = "last_touch"  # patients whose latest interaction is on the bucket's day
UNTOUCHED = "untouched"  # patients with no interaction day at all (never silent)
DUE = "due"  # revisits requested for the bucket's day
DUE_KEPT = "due_kept"  # ... and kept (kpis.kept)
RECHECK = "recheck"  # annual check-ups due again on the bucket's day (a year after one)
RECHECK_KEPT = "recheck_kept"  # ... and kept by another check-up (kpis.recheck)
SENT = "sent"  # messages sent on the bucket's day (reminders and other outbound messages)
SENT_CONVERTED = "sent_converted"  # ... followed by a visit within kpis.CONVERSION_DAYS


def condition(name: str) -> str:
    return f"cond:{name}"


def grouped(counter: str, kind: str, group: str) -> str:
    """A counter of one group: `due@department:dermatology`, `due_kept@segment:silent-180`."""
    return f"{counter}@{kind}:{group}"


def _add(counts: Counts, bucket: str | None, name: str, amount: int = 1) -> None:
    if bucket and amount:
        counts[(bucket, name)] = counts.get((bucket, name), 0) + amount


def patient(profile: Mapping[str, Any] | None, tz: str) -> Counts:
    """A patient on the clinic's list (None: not listed, or erased): the totals, the day they
    joined (and whether a referral brought them), the day of their latest check-in and of their
    latest interaction. Days are those the full computation uses: `created_at`'s date as stored,
    check-in dates as the clinic's, the last interaction in the clinic's time zone."""
    counts: Counts = {}
    if profile is None:
        return counts
    _add(counts, TOTAL, PATIENTS)
    _add(counts, TOTAL, POINTS_ISSUED, int(profile.get("earned_total") or 0))
    _add(counts, TOTAL, POINTS_REDEEMED, int(profile.get("redeemed_total") or 0))
    _add(counts, TOTAL, REMINDERS_SENT, int(profile.get("reminders_received") or 0))
    for name in profile.get("conditions") or ():
        _add(counts, TOTAL, condition(name))
    joined = (profile.get("created_at") or "")[:10]
    if joined:
        _add(counts, joined, NEW_PATIENTS)
        if profile.get("referred_by"):
            _add(counts, joined, REFERRED)
    _add(counts, profile.get("last_checkin_date"), LAST_CHECKIN)
    for due, kept in kpis.rechecks(profile.get("exam_days") or ()):
        _add(counts, due, RECHECK)
        _add(counts, due, RECHECK_KEPT, int(kept))
    touched = last_interaction_day(profile, tz)
    if touched is not None:
        _add(counts, touched.isoformat(), LAST_TOUCH)
    else:
        _add(counts, TOTAL, UNTOUCHED)
    return counts


GROUP_KINDS = ("department", "condition", "segment", "cohort", "holdout")


def holdout_rank(clinic_id: str, patient_id: str) -> str | None:
    """The patient's place in the clinic's lasting holdout order, in thousandths, when it is below
    the largest holdout a clinic may set (the holdout at share s is the ranks below 1000 s)."""
    place = bucket(f"clinic-holdout\x1f{clinic_id}", patient_id)
    return str(int(place * 1000)) if place < holdout.MAX_SHARE else None


def due_groups(profile: Mapping[str, Any], clinic_id: str) -> dict[str, list[str]]:
    """What a requested revisit is counted by, taken from its patient when it is requested: the
    patient's department, conditions, segments, cohort (the month they joined), the challenges they
    joined and their holdout rank."""
    cohort = (profile.get("created_at") or "")[:7]
    rank = holdout_rank(clinic_id, profile["patient_id"])
    return {"department": [profile["department"]] if profile.get("department") else [],
            "condition": sorted(profile.get("conditions") or ()),
            "segment": sorted(profile.get("segments") or ()),
            "cohort": [cohort] if cohort else [],
            "challenge": sorted(profile.get("joined_challenges") or ()),
            "holdout": [rank] if rank is not None else []}


def revisit_due(due: Mapping[str, Any] | None) -> Counts:
    """A requested revisit: one on its due day, kept or not, in each of its groups."""
    counts: Counts = {}
    if due is None or not due.get("due_date"):
        return counts
    day, hit = due["due_date"], kpis.kept(due)
    _add(counts, day, DUE)
    _add(counts, day, DUE_KEPT, int(hit))
    groups = due.get("groups") or {}
    for kind in GROUP_KINDS:
        for group in groups.get(kind) or ():
            _add(counts, day, grouped(DUE, kind, group))
            _add(counts, day, grouped(DUE_KEPT, kind, group), int(hit))
    return counts


def message(job: Mapping[str, Any] | None, tz: str) -> Counts:
    """A sent message: one on its clinic-local send day, converted or not, per source
    (`recall:<rule>`, `content:<segment>` ...). `converted_on` is the first visit after it, which
    the visit (or, for a visit earlier the same day, the send) writes onto the message."""
    counts: Counts = {}
    if job is None or job.get("status") != "sent" or not job.get("processed_at"):
        return counts
    day = kpis.sent_day(job["processed_at"], tz)
    hit = int(bool(job.get("converted_on")) and kpis.converted(day, [job["converted_on"]]))
    source = f"{job.get('kind') or 'recall'}:{job.get('rule_id')}"
    _add(counts, day, SENT)
    _add(counts, day, SENT_CONVERTED, hit)
    _add(counts, day, grouped(SENT, "source", source))
    _add(counts, day, grouped(SENT_CONVERTED, "source", source), hit)
    return counts


def delta(before: Counts, after: Counts) -> Counts:
    """What moves the counters from `before` to `after` (zero moves left out)."""
    moved = {key: after.get(key, 0) - before.get(key, 0) for key in set(before) | set(after)}
    return {key: amount for key, amount in moved.items() if amount}


def total(counts: Iterable[Counts]) -> Counts:
    summed: Counts = {}
    for one in counts:
        for key, amount in one.items():
            summed[key] = summed.get(key, 0) + amount
    return summed


# --- figures from counters -----------------------------------------------------------------------


def day_sum(days: Mapping[str, Mapping[str, int]], name: str, first: str, last: str) -> int:
    return sum(int(counters.get(name, 0)) for day, counters in days.items() if first <= day <= last)


def windowed_from_days(days: Mapping[str, Mapping[str, int]], first: str, today: date, window: int,
                       count: str = DUE, hits: str = DUE_KEPT) -> dict[str, Any]:
    """kpis.windowed over per-day counts: days from `first` to today, decided when their window closed."""
    tally = kpis.Tally()
    for day, counters in days.items():
        if not first <= day <= today.isoformat():
            continue
        tally.add_many(int(counters.get(count, 0)), int(counters.get(hits, 0)), kpis.window_closed(day, window, today))
    return tally.as_dict()
