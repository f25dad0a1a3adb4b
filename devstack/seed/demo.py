"""The whole demo: both clinics seeded, each patient written through the services or in bulk,
then the follow-ups, packages, experiments and segment builds, and the staff accounts.

demo-dental (齿护口腔门诊部, Shanghai time) gets a few thousand patients and north-derm (Urumqi
time) a few dozen, each with up to 18 months of visits, check-ins, shares, points and consent,
and eczema remissions whose day-30 reminders fall due at the first sweep (what fell due long
before, such as the content steps of mothers who joined months ago, is closed as stale then).
The scenarios in demo-dental: persona segments with members (S1); glucose-guard participants on
weekly follow-up plans with four weeks of calls, coming back far more often than diabetic
patients who did not join (S2); a stopped A/B experiment on the eczema reminder with exposures
and conversions, and a running one (S5); a history the risk model learns from (S6); maternity
packs sold at the first obstetrics visit, 68% renewed, with a renewal reminder rule on the
package end (S8). Both clinics have doctors with weekly schedules and a few bookings for today and
the next days (devstack/seed/appointments.py).

The first LIVE_PATIENTS of each clinic, and every patient with engagement or a referrer, go
through the services (service_path.py): a referred one from its registration, the others from
their first engagement event or SERVICE_RECENT_DAYS ago (`service_cut`). The rest of the history,
and that of every other patient, is built as items (bulk.py) and sent with BatchWriteItem.
"""

from __future__ import annotations

import random
import secrets
import time as timer
from datetime import datetime, timedelta

from chalicelib.auth import OPERATOR_ROLE, PLATFORM_CLINIC, STAFF_ROLES
from chalicelib.domain.clock import UTC, clock, iso
from devstack.seed.appointments import seed_appointments
from devstack.seed.bulk import history_items, membership_items
from devstack.seed.planner import ENGAGEMENT_KINDS, PatientPlan, Planner
from devstack.seed.service_path import (
    apply_follow_ups,
    apply_history,
    apply_packages,
    relaunch_challenges,
    seed_experiments,
)
from devstack.seed.spec import (
    DEFAULT_SEED,
    DEMO_DENTAL,
    HISTORY_DAYS,
    LIVE_PATIENTS,
    NORTH_DERM,
    PACKAGE_PATIENTS,
    REDEEM_SHARE,
    SERVICE_RECENT_DAYS,
    ClinicSpec,
    north_patients,
)


def staff_password() -> str:
    """A password the user pool's policy accepts (10+, upper, lower, digit), new for each install."""
    return f"Rv-{secrets.token_hex(4)}-{secrets.choice('ABCDEFGHJKLMNPQRSTUVWXYZ')}{secrets.randbelow(10)}"


def create_staff_accounts(pool_id: str, accounts: list[dict]) -> None:
    """In the user pool; or, on a stack whose staff sign in through WeCom, as records linked to
    the WeCom UserID of each account (kept in the saved data, so made once)."""
    from devstack import bootstrap

    from chalicelib.config import settings

    if settings().staff_identity == "wecom":
        from chalicelib.services import staff_accounts
        from chalicelib.store import sessions

        for account in accounts:
            userid = account.get("wecom_userid") or wecom_userid(account["username"])
            if sessions.staff_by_wecom(account["clinic_id"], userid) is None:
                staff_accounts.create_wecom(userid, account["clinic_id"], account["role"])
        return
    for account in accounts:
        bootstrap.create_staff_user(pool_id, account["username"], account["password"], account["clinic_id"],
                                    account["role"])


def wecom_userid(username: str) -> str:
    """The WeCom UserID the demo gives an account (admin@demo-dental -> admin.demo-dental)."""
    return username.replace("@", ".")


def demo_staff() -> list[dict]:
    """An account of every role in both clinics, and the platform's operator."""
    return [{"username": f"{role}@{spec.clinic_id}", "password": staff_password(), "clinic_id": spec.clinic_id,
             "role": role, "wecom_userid": wecom_userid(f"{role}@{spec.clinic_id}")}
            for spec in (DEMO_DENTAL, NORTH_DERM) for role in STAFF_ROLES] + [
        {"username": f"{OPERATOR_ROLE}@{PLATFORM_CLINIC}", "password": staff_password(), "clinic_id": PLATFORM_CLINIC,
         "role": OPERATOR_ROLE}]


def _quiet_report(what: str, done: int | None = None, total: int | None = None, unit: str = "") -> None:
    pass


def seed_clinic(spec: ClinicSpec, count: int, now: datetime, seed: int = DEFAULT_SEED, live: int = LIVE_PATIENTS,
                report=_quiet_report, put_items=None, after_flows=None) -> tuple[list[PatientPlan], dict[str, int]]:
    """Create the clinic and its patients; returns the plans and what was written. `report(what,
    done, total, unit)` hears of each step and patient; `put_items` writes the bulk items
    (DynamoDB JSON; BatchWriteItem by default); `after_flows()` is called once every visit,
    check-in, share and call is written (before the packages, the experiments and the segment
    build, which add none: the first start's builder starts the risk training then)."""
    if put_items is None:
        from devstack.snapshot import put_items
    from chalicelib.services import activity
    from chalicelib.services.clinics import create_clinic
    from chalicelib.services.patients import clinic_key
    from chalicelib.store import clinics, patients

    clock.set(now - timedelta(days=HISTORY_DAYS + 30))
    try:
        create_clinic(spec.clinic_id, spec.name, spec.tz, spec.conditions)
    finally:
        clock.release()
    clinic = clinics.get(spec.clinic_id, fresh=True)
    key = clinic_key(spec.clinic_id)
    rewards = sorted((r["reward_id"], r["cost"]) for r in activity.rewards(spec.clinic_id))
    plans = Planner(spec, now, seed, engaged=live).plans(count)
    totals = {"patients": 0, "live": 0, "items": 0}
    balances: dict[str, int] = {}
    pending: list[dict] = []
    referrers = {plan.referrer_index for plan in plans if plan.referrer_index is not None}
    label = f"seeding {spec.clinic_id}"
    report(label, 0, count, "patients")
    relaunch_challenges(spec, now)
    for plan in plans:
        if plan.index < live or plan.engaged:
            if pending:  # a referrer written in bulk must be in the table before its invite code is used
                totals["items"] += put_items(pending)
                pending = []
            referrer = plans[plan.referrer_index].patient_id if plan.referrer_index is not None else None
            cut = service_cut(plan, now)
            if cut is not None:  # the older history in bulk, in the table before the services go on
                items, _ = history_items(plan, key, clinic.earning_rules, until=cut)
                totals["items"] += put_items([item.serialize() for item in items])
            apply_history(plan, referrer, since=cut)
            totals["live"] += 1
            totals["referred"] = totals.get("referred", 0) + (referrer is not None)
        else:
            items, patient = history_items(plan, key, clinic.earning_rules)
            if not changed_later(plan, int(patient.balance), rewards, referrers):
                items += membership_items(patient, now, spec.tz)
            pending += [item.serialize() for item in items]
            balances[plan.patient_id] = int(patient.balance)
            if len(pending) >= 500:
                totals["items"] += put_items(pending)
                pending = []
        totals["patients"] += 1
        report(label, totals["patients"], count, "patients")
    totals["items"] += put_items(pending)
    rng = random.Random(f"{seed}:{spec.clinic_id}:follow-ups")
    label = f"seeding {spec.clinic_id}: recent consents, remissions, bookings, redemptions, packages"
    for done, plan in enumerate(plans, 1):
        report(label, done, count, "patients")
        balance = balances.get(plan.patient_id)
        if balance is None:
            balance = int(patients.get(spec.clinic_id, plan.patient_id).balance or 0)
        for name, n in apply_follow_ups(plan, now, balance, rewards, rng).items():
            totals[name] = totals.get(name, 0) + n
    report(f"seeding {spec.clinic_id}: doctors, schedules and bookings")
    totals.update(seed_appointments(spec, plans, now, seed))
    if after_flows is not None:
        after_flows()
    for plan in plans:
        if plan.packages and plan.index < PACKAGE_PATIENTS:
            for name, n in apply_packages(plan, now).items():
                totals[name] = totals.get(name, 0) + n
    if spec.clinic_id == DEMO_DENTAL.clinic_id:
        report(f"seeding {spec.clinic_id}: the A/B experiments")
        totals.update(seed_experiments(spec.clinic_id, plans, now))
    report(f"seeding {spec.clinic_id}: building the segments")
    totals["segment_pages"] = build_segments(spec.clinic_id)
    return plans, totals


def service_cut(plan: PatientPlan, now: datetime) -> datetime | None:
    """The moment from which a patient going through the services must: its first engagement event
    (a challenge joined, an exam, a plan ...: those and everything after them read and move state
    only the services build) or SERVICE_RECENT_DAYS ago, whichever is earlier. What came before is
    written in bulk. None for a patient registered with an invite code (the referral is the
    registration) or registered after the cut: the services write it all."""
    if plan.referrer_index is not None:
        return None
    engaged = [e.at for e in plan.events if e.kind in ENGAGEMENT_KINDS]
    cut = min([now - timedelta(days=SERVICE_RECENT_DAYS), *engaged])
    return cut if plan.created_at < cut else None


def changed_later(plan: PatientPlan, balance: int, rewards: list[tuple[str, int]], referrers: set[int]) -> bool:
    """Whether a service call after the bulk writes changes the facts of this bulk patient's profile
    (a consent withdrawal, a visit after a remission, a redemption, its invite code used): its
    memberships are then left to the segment build; the others are written with its bulk items."""
    redeems = plan.redeem_draw < REDEEM_SHARE and any(cost <= balance for _, cost in rewards)
    return bool(plan.withdraw_marketing_at or plan.after_remission or redeems or plan.index in referrers)


def build_segments(clinic_id: str) -> int:
    """Patients written in bulk never passed through the events: build the clinic's segments once.
    Most of them come with their memberships already (membership_items), so the walk writes only
    for the others.

    A build's walk evaluates every live segment for each patient it reads (the build job says so:
    it repairs anything stale on the way), so one build, of the first live segment, writes every
    membership of every segment; building each segment in turn walked the clinic as many times
    for no change. Member counts are COUNT queries of each segment's members, not build figures."""
    from chalicelib.domain.clock import clock, iso
    from chalicelib.jobs.segments import build_clinic
    from chalicelib.services import segments as service
    from chalicelib.store import segments as store

    live = [item for item in store.definitions(clinic_id, fresh=True) if item.status in service.LIVE]
    if not live:
        return 0
    item = min(live, key=lambda s: s.created_at)
    read_version = item.version
    item = service._start_build(item._replace(updated_at=iso(clock.now())), clinic_id, read_version, clock.now())
    store.replace(item, read_version)
    return build_clinic(clinic_id)["pages"]


def run(patients: int = 3000, pool_id: str | None = None, seed: int = DEFAULT_SEED, now: datetime | None = None,
        live: int = LIVE_PATIENTS, out=print, report=_quiet_report, put_items=None,
        clinic_ids: tuple[str, ...] | None = None, after_flows=None) -> dict:
    """Seed both clinics, or those of `clinic_ids` (and their staff accounts when a user pool is
    given). Returns what the runner prints and keeps: staff logins, patient login codes, counts.
    `report`, `put_items` and `after_flows` as for seed_clinic. A clinic's data depends on `seed`, `now` and
    `patients` only, so two processes can seed one clinic each (devstack/seed/offline.py)."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    started = timer.monotonic()
    out(f"seeding demo data: {patients} patients at {DEMO_DENTAL.clinic_id}, "
        f"{north_patients(patients)} at {NORTH_DERM.clinic_id} ...", flush=True)
    counts, logins = {}, []
    for spec, count in ((DEMO_DENTAL, patients), (NORTH_DERM, north_patients(patients))):
        if clinic_ids is not None and spec.clinic_id not in clinic_ids:
            continue
        plans, totals = seed_clinic(spec, count, now, seed, live, report, put_items, after_flows)
        counts[spec.clinic_id] = totals
        logins += [{"code": f"wx-{p.wechat}", "clinic_id": spec.clinic_id, "patient_id": p.patient_id,
                    "note": p.note} for p in plans if p.note and p.wechat]
    staff = demo_staff() if pool_id else []
    if pool_id:
        create_staff_accounts(pool_id, staff)
    seconds = timer.monotonic() - started
    total = sum(c["patients"] for c in counts.values())
    out(f"seeded {total} patients in {seconds:.1f}s ({total / max(seconds, 1e-6):.0f}/s): "
        + "; ".join(f"{cid} {', '.join(f'{k} {v}' for k, v in c.items())}" for cid, c in counts.items()),
        flush=True)
    return {"seed": seed, "now": iso(now), "patients": patients, "north_patients": north_patients(patients),
            "counts": counts, "patient_logins": logins, "staff": staff, "seconds": round(seconds, 1)}


def set_quiet_hours(window: str | None) -> None:
    """DEMO_QUIET_HOURS=HH:MM-HH:MM sets the seeded clinics' quiet hours (equal ends: none). The
    browser tests start their stacks with none, so their reminders go out at any hour of the day;
    a developer's `make run` keeps the default 21:00-08:00."""
    if not window:
        return
    from chalicelib.domain.rules import parse_wall_time
    from chalicelib.store import channels, clinics

    start, _, end = window.partition("-")
    quiet = {"start": parse_wall_time(start).strftime("%H:%M"), "end": parse_wall_time(end).strftime("%H:%M")}
    for clinic_id in clinics.all_clinic_ids():
        stored = dict(channels.delivery_settings(clinic_id, fresh=True))
        channels.put_delivery_settings(clinic_id, {**stored, "quiet_hours": quiet}, iso(clock.now()))
