"""Setting up a clinic (tenant): its data key, default rewards, recall rules, challenges and task rules."""

from __future__ import annotations

import re

from chalicelib import crypto
from chalicelib.domain.clock import clock, iso, zone
from chalicelib.domain.rules import CONDITIONS, DEFAULT_RECALL_RULES
from chalicelib.errors import BadRequest
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
    wrapped = crypto.new_wrapped_key(clinic_id)
    item = clinics.create(clinic_id, name, tz, wrapped, list(conditions), iso(clock.now()))
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
