"""A clinic (tenant): setting it up (data key, default rewards, recall rules, challenges and task
rules), its settings as staff see and change them, and its dashboard."""

from __future__ import annotations

import re

from chalicelib import crypto
from chalicelib.domain.clock import clock, iso, zone
from chalicelib.domain.rules import CONDITIONS, DEFAULT_RECALL_RULES
from chalicelib.errors import BadRequest
from chalicelib.observability import logger
from chalicelib.services import challenges, tasks
from chalicelib.store import clinics

DEFAULT_REWARDS = (
    ("teeth-cleaning", "洗牙一次", "Teeth cleaning", 100),
    ("child-fluoride", "儿童涂氟一次", "Child fluoride treatment", 100),
    ("family-cleaning-card", "家庭洁牙卡（邀请家人同享）", "Family cleaning card (share with family)", 300),
)


def create_clinic(clinic_id: str, name: str, tz: str = "Asia/Shanghai", conditions: tuple[str, ...] = CONDITIONS):
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,39}", clinic_id):
        raise BadRequest("clinic id: 2-40 lower-case letters, digits and dashes", code="invalid_clinic_id")
    try:
        zone(tz)
    except ValueError as exc:
        raise BadRequest(str(exc), code="invalid_tz", field="tz") from exc
    from chalicelib.domain.catalogue import Catalogue

    wrapped = crypto.new_wrapped_key(clinic_id)
    # today's lists are stored with the clinic: a later change of the defaults in code leaves it as it is
    item = clinics.create(clinic_id, name, tz, wrapped, list(conditions), iso(clock.now()),
                          Catalogue.of(None, conditions).as_dict())
    for reward_id, label, label_en, cost in DEFAULT_REWARDS:
        clinics.put_reward(clinic_id, reward_id, label, cost, label_en)
    for rule in DEFAULT_RECALL_RULES:
        if rule.condition in conditions:
            clinics.put_recall_rule(clinic_id, rule)
    challenges.create_defaults(clinic_id, conditions, tz)
    tasks.create_defaults(clinic_id)
    if "postpartum" in conditions:
        from chalicelib.services import packages

        packages.create_defaults(clinic_id)
    from chalicelib.services import segments

    segments.create_defaults(clinic_id, conditions)
    return item


def registry() -> list[dict]:
    """The platform's clinics with their names (operators)."""
    return [{"clinic_id": clinic_id, "name": name} for clinic_id, name in clinics.registry()]


def create_with_admin(clinic_id: str, name: str, tz: str, conditions: tuple[str, ...], admin_username: str,
                      by: str) -> dict:
    """A new clinic seeded with the default settings, and its first admin with a temporary password."""
    from chalicelib.auth import PLATFORM_CLINIC
    from chalicelib.services import staff_accounts

    if clinic_id == PLATFORM_CLINIC:
        raise BadRequest("this clinic id is reserved", code="invalid_clinic_id", field="clinic_id")
    unknown = [c for c in conditions if c not in CONDITIONS]
    if unknown:
        raise BadRequest(f"unknown condition {unknown[0]}", code="unknown_condition", field="conditions")
    if not staff_accounts.USERNAME.fullmatch(admin_username):
        raise BadRequest("username: 3-64 letters, digits and . _ @ + -", code="invalid_username",
                         field="admin_username")
    from chalicelib.services import audit

    create_clinic(clinic_id, name, tz, tuple(dict.fromkeys(conditions)))
    audit.record(None, audit.CLINIC_CREATE, clinic_id=clinic_id, actor=by, detail={"clinic": clinic_id})
    admin = staff_accounts.invite(clinic_id, admin_username, "admin", by)
    logger.info("clinic created", extra={"clinic": clinic_id, "by": by})
    return {"clinic": {"clinic_id": clinic_id, "name": name}, "admin": admin}


def set_holdout_share(clinic_id: str, share: float) -> dict:
    """The share of patients held out of marketing messages, to measure what they bring (0 ends
    the holdout; raising it keeps everyone already held out, lowering it releases some)."""
    clinics.set_holdout_share(clinic_id, share)
    return {"holdout_share": share}


def set_silent_days(clinic_id: str, days: int, by: str) -> dict:
    """The clinic's one definition of a silent patient: more than `days` days without any
    interaction. The dashboard's silent figures use it from the next KPI refresh; the default
    silent segment takes it now and rebuilds its membership.

    The segment is changed first: if the setting's write then fails, a retry finds the segment
    already following and only writes the setting.
    """
    from chalicelib.domain.kpis import SILENT_DAYS_MAX, SILENT_DAYS_MIN, valid_silent_days
    from chalicelib.services import segments

    if not valid_silent_days(days):
        raise BadRequest(f"days: a whole number from {SILENT_DAYS_MIN} to {SILENT_DAYS_MAX}",
                         code="invalid_silent_days", field="days")
    segment = segments.follow_silent_days(clinic_id, days, by)
    clinics.set_silent_days(clinic_id, days)
    return {"silent_days": days, "segment": segment}


def settings_view(clinic_id: str) -> dict:
    """The caller's clinic: name, zone, conditions, its catalogue (labels of every code), earning
    rules and limits, points term, silent days, the default assignee of follow-up plans."""
    from chalicelib.domain.holdout import share_of
    from chalicelib.domain.kpis import silent_days_of
    from chalicelib.domain.rules import DEFAULT_EARNING_RULES
    from chalicelib.store import lots

    from chalicelib.services.catalogue import of_clinic

    item = clinics.get(clinic_id)
    return {"clinic_id": clinic_id, "name": item.name, "tz": item.tz,
            "conditions": list(item.conditions), "catalogue": of_clinic(item).as_dict(), "earning_rules": {**DEFAULT_EARNING_RULES, **(item.earning_rules or {})},
            "earning_limits": _limits(item), "points_expiry_months": lots.term_months(item),
            "silent_days": silent_days_of(item.silent_days), "followup_assignee": item.followup_assignee,
            "holdout_share": share_of(item.holdout_share)}


def _limits(item) -> dict:
    from chalicelib.domain.earning import effective_limits
    from chalicelib.domain.rules import DEFAULT_EARNING_RULES

    return effective_limits(item.earning_limits, DEFAULT_EARNING_RULES)


def set_earning_rules(clinic_id: str, rules: dict) -> dict:
    clinics.set_earning_rules(clinic_id, rules)
    return {"earning_rules": rules}


def set_earning_limits(clinic_id: str, limits: dict[str, dict]) -> dict:
    """Change the limits of the rules given (`{rule: {day, week, month}}`); the others keep theirs."""
    from chalicelib.domain.earning import limits_in_order

    item = clinics.get(clinic_id, fresh=True)
    settings = dict(item.earning_limits or {})
    for rule, chosen in limits.items():
        if not limits_in_order(chosen):
            raise BadRequest(f"{rule}: a day's limit cannot exceed the week's, nor the week's the month's",
                             code="limits_out_of_order", field=f"limits.{rule}")
        settings[rule] = chosen
    return {"earning_limits": _limits(clinics.set_earning_limits(clinic_id, settings))}


def set_points_expiry(clinic_id: str, months: int) -> dict:
    clinics.set_points_expiry(clinic_id, months)
    return {"points_expiry_months": months}


def put_reward(clinic_id: str, body) -> dict:
    from chalicelib.services.activity import reward_row

    item = clinics.put_reward(clinic_id, body.reward_id, body.name, body.cost, body.name_en, body.active, body.stock,
                              body.per_patient_limit)
    return reward_row(item)


def dashboard(clinic_id: str) -> dict:
    """The precomputed KPIs and chart data (written by jobs.kpis), never computed on a request."""
    from chalicelib.domain.kpis import silent_days_of
    from chalicelib.store import reports

    item = clinics.get(clinic_id)
    kpi = reports.load_kpis(clinic_id)
    return {"clinic": {"clinic_id": clinic_id, "name": item.name, "tz": item.tz,
                       "silent_days": silent_days_of(item.silent_days)},
            "generated_at": kpi.generated_at if kpi else None,
            "kpis": kpi.kpis if kpi else {}, "charts": kpi.charts if kpi else {}}
