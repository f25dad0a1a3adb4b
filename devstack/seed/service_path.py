"""The service-path writer: a demo plan replayed through the real services with the injected
clock set to each event's moment (registration, visits, check-ins, shares, engagement, the
recent follow-ups, package sales, the experiments), as the patients and the desk would have
made it happen.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from chalicelib.domain.clock import clock, iso, local_date, local_moment
from chalicelib.errors import AppError
from devstack.seed.ids import openid_hash_for
from devstack.seed.planner import ENGAGEMENT_KINDS, Event, PatientPlan, past_exposures
from devstack.seed.spec import (
    CHALLENGE_LAUNCH_DAYS,
    CONSENT_VERSION,
    CURRENT_EXPERIMENT,
    PAST_EXPERIMENT,
    PAST_RUN_DAYS,
    RECORDED_BY,
    REDEEM_SHARE,
    REVISIT_DAYS,
    VISIT_SOURCE,
    ClinicSpec,
)

# Who the seed acts as when a flow needs a member of staff.
STAFF_USERNAME = "demo-import@demo"  # the demo history's recorder, shown as a staff username
ADMIN_USERNAME = "seed-admin"


def principal_for(plan: PatientPlan, openid_hash: str | None):
    from chalicelib.auth import Principal

    return Principal(role="patient", clinic_id=plan.clinic_id, subject=plan.patient_id, patient_id=plan.patient_id,
                     openid_hash=openid_hash, roles=("patient",))


def _staff(clinic_id: str):
    from chalicelib.auth import Principal

    return Principal(role="front_desk", clinic_id=clinic_id, subject=STAFF_USERNAME, username=STAFF_USERNAME,
                     roles=("front_desk",))


def _manager(clinic_id: str):
    """The clinic's demo health manager, who starts the demo's follow-up plans and makes their
    calls, so the plans are in their 我今天的电话 (plans a challenge starts wait under 未分配)."""
    from chalicelib.auth import Principal

    username = f"health_manager@{clinic_id}"
    return Principal(role="health_manager", clinic_id=clinic_id, subject=username, username=username,
                     roles=("health_manager",))


def apply_history(plan: PatientPlan, referrer: str | None = None, since: datetime | None = None) -> None:
    """Register the patient (with the invite code of `referrer`, a patient id, if any) and replay its
    visits, check-ins, shares and engagement through the services, with the clock set to each moment.
    With `since`, the patient and its events before that moment are in the table already (written
    by bulk.history_items with `until`): only the events from then on are replayed."""
    from chalicelib.api.models import CheckInBody, PatientRecord
    from chalicelib.services import activity, patients, visits

    openid_hash = openid_hash_for(plan)
    principal = principal_for(plan, openid_hash)
    try:
        if since is None:
            clock.set(plan.created_at)
            invite = invite_code_of(plan.clinic_id, referrer) if referrer else None
            record = PatientRecord(name=plan.name, phone=plan.phone, birth_year=plan.birth_year, sex=plan.sex,
                                   district=plan.district, conditions=plan.conditions, department=plan.department,
                                   persona_tags=plan.persona_tags, consents=plan.consents,
                                   consent_version=CONSENT_VERSION, invite_code=invite)
            patients.register(plan.clinic_id, record, openid_hash=openid_hash, patient_id=plan.patient_id)
        elif referrer is not None:
            raise ValueError("a patient registered with an invite code is written through the services from the start")
        for event in sorted((e for e in plan.events if since is None or e.at >= since), key=lambda e: e.at):
            clock.set(event.at)
            if event.kind in ENGAGEMENT_KINDS:
                apply_engagement(plan, event, principal)
            elif event.kind == "visit":
                visits.record_visit(plan.clinic_id, plan.patient_id, visit_date=event.day,
                                    department=event.department, next_due_date=event.next_due,
                                    recorded_by=RECORDED_BY, source=VISIT_SOURCE, external_id=event.external_id)
            elif event.kind == "checkin":
                activity.check_in(principal, CheckInBody(type=event.type, value=event.value,
                                                         client_time=event.client_time))
            elif event.kind == "share":
                activity.share(principal, event.share_ref)
    finally:
        clock.release()


def invite_code_of(clinic_id: str, patient_id: str) -> str:
    from chalicelib.store import patients, referrals

    return referrals.ensure_code(patients.get(clinic_id, patient_id))


def apply_engagement(plan: PatientPlan, event: Event, principal) -> None:
    """One engagement event through the service a patient or the desk would call."""
    from chalicelib.services import activity, challenges, followups, leaderboard, tasks
    from chalicelib.services.tasks import _task_id

    staff = _staff(plan.clinic_id)
    if event.kind == "join":
        challenges.join(principal, "glucose-guard-365")
    elif event.kind == "exam":
        tasks.record_exam(plan.clinic_id, plan.patient_id, taken_on=event.day, flags=event.flags, exam_id=None,
                          recorded_by=STAFF_USERNAME, source="import")
    elif event.kind == "confirm":
        task_id = _task_id(plan.clinic_id, plan.patient_id, event.day.isoformat(), event.task_key)
        try:
            tasks.confirm(staff, plan.patient_id, task_id, None)
        except AppError as err:
            if err.code not in ("task_not_found", "task_closed"):  # not assigned (a task still running) or done
                raise
    elif event.kind == "hide":
        leaderboard.set_visibility(plan.clinic_id, plan.patient_id, False)  # the month of the clock, event.at
    elif event.kind == "adjust":
        activity.adjust(staff, plan.patient_id, int(event.value), "活动积分补发 (event points make-up)")
    elif event.kind == "followup":
        followups.start(_manager(plan.clinic_id), plan.patient_id, None, event.day)
    elif event.kind == "call":
        followups.record(_manager(plan.clinic_id), plan.patient_id, event.type, None, event.day)


def apply_follow_ups(plan: PatientPlan, now: datetime, balance: int, rewards: list[tuple[str, int]],
                     rng: random.Random) -> dict[str, int]:
    """What happened lately, always through the services: consent withdrawals, remissions (which
    plan the day-30 reminders), bookings and visits after them, redemptions."""
    from chalicelib.services import activity, patients, visits

    done = {"remissions": 0, "bookings": 0, "visits_after_remission": 0, "redemptions": 0, "withdrawals": 0}
    try:
        if plan.withdraw_marketing_at:
            clock.set(plan.withdraw_marketing_at)
            patients.update_consents(patients.own_patient(plan.clinic_id, plan.patient_id), {"marketing": False},
                                     "v1-withdrawal")
            done["withdrawals"] += 1
        if plan.remission:
            clock.set(local_moment(plan.remission, time(18, 0), plan.tz))
            visits.record_remission(plan.clinic_id, plan.patient_id, "eczema", plan.remission)
            done["remissions"] += 1
        if plan.after_remission:
            kind, day = plan.after_remission
            clock.set(local_moment(day, time(11, 30), plan.tz))
            if kind == "booking":
                visits.record_booking(plan.clinic_id, plan.patient_id, day + timedelta(days=rng.randint(1, 14)))
                done["bookings"] += 1
            else:
                visits.record_visit(plan.clinic_id, plan.patient_id, visit_date=day, department="dermatology",
                                    next_due_date=day + timedelta(days=REVISIT_DAYS["eczema"]),
                                    recorded_by=RECORDED_BY, source=VISIT_SOURCE,
                                    external_id=f"{plan.clinic_id}-{plan.index}-after-remission")
                done["visits_after_remission"] += 1
        affordable = [(reward_id, cost) for reward_id, cost in rewards if cost <= balance]
        if affordable and plan.redeem_draw < REDEEM_SHARE:
            clock.set(now - timedelta(days=rng.randint(1, 20), minutes=rng.randint(0, 900)))
            activity.redeem(principal_for(plan, openid_hash_for(plan)), rng.choice(affordable)[0])
            done["redemptions"] += 1
    finally:
        clock.release()
    return done


def apply_packages(plan: PatientPlan, now: datetime) -> dict[str, int]:
    """Record the plan's package sales through the services with the clock at each sale; each sale
    plans its renewal reminders through the clinic's `package_end` rule (the default fires 30 and
    7 days before the end; a reminder already more than a week past is skipped by the planner, one
    of a package renewed meanwhile stops when it falls due, and one whose package ended before the
    first sweep is closed as stale then, not sent)."""
    from chalicelib.api.packages import SaleBody
    from chalicelib.services import packages

    done = {"packages": 0, "renewals": 0}
    staff = _staff(plan.clinic_id)
    try:
        for sale in plan.packages:
            clock.set(sale.at)
            reply = packages.record_sale(staff, plan.patient_id, SaleBody(package_id=sale.package_id,
                                                                          start_date=sale.start,
                                                                          sale_ref=sale.sale_ref))
            done["packages"] += 1
            done["renewals"] += reply["package"]["renewal_of"] is not None
    finally:
        clock.release()
    return done


def relaunch_challenges(spec: ClinicSpec, now: datetime) -> None:
    """The demo clinic started on Revisit 18 months ago but launched its default challenges
    CHALLENGE_LAUNCH_DAYS ago, so they are open today (they run for a year)."""
    from chalicelib.domain.challenges import DEFAULT_CHALLENGES
    from chalicelib.store import challenges

    start = local_date(now, spec.tz) - timedelta(days=CHALLENGE_LAUNCH_DAYS)
    for default in DEFAULT_CHALLENGES:
        if default.condition in spec.conditions:
            challenges.edit_challenge(spec.clinic_id, default.challenge_id, default.terms(start).as_dict(), True,
                                      iso(now))


def seed_experiments(clinic_id: str, plans: list[PatientPlan], now: datetime) -> dict[str, int]:
    """The stopped experiment (created, started, exposures, the visits' conversions, stopped, with
    the clock at each step) and the running one, through services.experiments."""
    from chalicelib.api.experiments import ExperimentBody
    from chalicelib.auth import Principal
    from chalicelib.services import experiments
    from chalicelib.store import clinics, patients

    admin = Principal(role="admin", clinic_id=clinic_id, subject=ADMIN_USERNAME, username=ADMIN_USERNAME,
                      roles=("admin",))
    tz = clinics.get(clinic_id).tz
    today = local_date(now, tz)
    started, stopped = (local_moment(today - timedelta(days=d), time(9, 0), tz) for d in PAST_RUN_DAYS)
    exposures = past_exposures(plans, now)
    done = {"exposures": 0, "conversions": 0}
    past_id = PAST_EXPERIMENT["experiment_id"]
    try:
        clock.set(started - timedelta(days=2))
        experiments.create(admin, ExperimentBody(**PAST_EXPERIMENT))
        clock.set(started)
        experiments.start(admin, past_id)
        for exposure in exposures:
            clock.set(exposure.sent_at)
            done["exposures"] += experiments.record_exposure(clinic_id, past_id, exposure.arm_id, exposure.patient_id,
                                                             iso(exposure.sent_at))
        clinic = clinics.get(clinic_id)
        for exposure in sorted((e for e in exposures if e.visit), key=lambda e: e.visit[0]):
            at, day, visit_id = exposure.visit
            # the hook record_visit runs after a visit, for a visit written before its exposure was
            clock.set(at)
            done["conversions"] += experiments.on_visit(clinic, patients.get(clinic_id, exposure.patient_id),
                                                        day.isoformat(), visit_id)
        clock.set(stopped)
        experiments.stop(admin, past_id)
        clock.set(now - timedelta(days=1))
        experiments.create(admin, ExperimentBody(**CURRENT_EXPERIMENT))
        clock.set(now - timedelta(hours=20))
        experiments.start(admin, CURRENT_EXPERIMENT["experiment_id"])
    finally:
        clock.release()
    return done
