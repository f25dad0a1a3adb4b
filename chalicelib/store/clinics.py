"""Clinics, their settings, rewards catalogue and recall rules."""

from __future__ import annotations

import time
from typing import Any, NamedTuple, TYPE_CHECKING

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError
from pynamodb.expressions.update import Action

from chalicelib.domain.rules import RecallRule
from chalicelib.errors import Conflict, NotFound
from chalicelib.store import db, keys
from chalicelib.store.models import (
    ClinicItem,
    ClinicRegistryItem,
    RecallRuleItem,
    RewardItem,
    bind,
)
from chalicelib.store.records import Clinic, clinic_of

if TYPE_CHECKING:  # types only; the catalogue's record lives with the redemptions
    from chalicelib.store.points import Reward

__all__ = ["Clinic"]  # the record (chalicelib/store/records.py), as services see it

_CACHE_SECONDS = 60
_cache: dict[str, tuple[float, Clinic]] = {}


def create(clinic_id: str, name: str, tz: str, wrapped_key: str, conditions: list[str], created_at: str,
           catalogue: dict[str, Any] | None = None) -> Clinic:
    bind()
    item = ClinicItem(keys.clinic_pk(clinic_id), keys.CLINIC_SK, name=name, tz=tz, wrapped_key=wrapped_key,
                      earning_rules={}, conditions=conditions, created_at=created_at, catalogue=catalogue)
    try:
        item.save(condition=ClinicItem.pk.does_not_exist())
    except PutError as exc:
        raise Conflict("clinic exists", code="clinic_exists") from exc
    ClinicRegistryItem(keys.REGISTRY_PK, clinic_id, name=name).save()
    return clinic_of(clinic_id, item)


def get(clinic_id: str, *, fresh: bool = False) -> Clinic:
    """The clinic's settings, cached for a minute per container (they change rarely)."""
    bind()
    hit = _cache.get(clinic_id)
    if hit and not fresh and time.monotonic() - hit[0] < _CACHE_SECONDS:
        return hit[1]
    try:
        item = clinic_of(clinic_id, ClinicItem.get(keys.clinic_pk(clinic_id), keys.CLINIC_SK))
    except DoesNotExist as exc:
        raise NotFound("clinic not found", code="clinic_not_found") from exc
    _cache[clinic_id] = (time.monotonic(), item)
    return item


def forget_cache() -> None:
    _cache.clear()


def _set(clinic_id: str, action: Action) -> Clinic:
    """One setting changed on the clinic's item (which must exist); the record as the update left it."""
    bind()
    item = ClinicItem(keys.clinic_pk(clinic_id), keys.CLINIC_SK)
    try:
        item.update(actions=[action], condition=ClinicItem.pk.exists())
    except UpdateError as exc:
        if db.condition_failed(exc):
            raise NotFound("clinic not found", code="clinic_not_found") from exc
        raise
    _cache.pop(clinic_id, None)
    return clinic_of(clinic_id, item)


def set_earning_rules(clinic_id: str, rules: dict[str, int]) -> Clinic:
    return _set(clinic_id, ClinicItem.earning_rules.set(rules))


def set_earning_limits(clinic_id: str, limits: dict[str, dict[str, int]]) -> Clinic:
    return _set(clinic_id, ClinicItem.earning_limits.set(limits))


def set_points_expiry(clinic_id: str, months: int) -> Clinic:
    return _set(clinic_id, ClinicItem.points_expiry_months.set(months))


def set_silent_days(clinic_id: str, days: int) -> Clinic:
    """After how many days without any interaction a patient counts as silent (KPIs, the default segment)."""
    return _set(clinic_id, ClinicItem.silent_days.set(days))


def set_followup_assignee(clinic_id: str, username: str | None) -> Clinic:
    """Who gets the follow-up plans nobody started by hand (a challenge's); None: nobody."""
    action = ClinicItem.followup_assignee.set(username) if username else ClinicItem.followup_assignee.remove()
    return _set(clinic_id, action)


def set_holdout_share(clinic_id: str, share: float) -> Clinic:
    """The share of the clinic's patients held out of marketing messages (domain.holdout)."""
    return _set(clinic_id, ClinicItem.holdout_share.set(share))


def set_recall_timing(clinic_id: str, bounds: dict[str, int]) -> Clinic:
    """The earliest and latest day a learned recall may be sent on (domain.timing)."""
    return _set(clinic_id, ClinicItem.recall_timing.set(bounds))


def set_learned_recall_days(clinic_id: str, computed_at: str, days: dict[str, int]) -> Clinic:
    """Each condition's suggested recall day from the latest drop-out curves (the daily training)."""
    return _set(clinic_id, ClinicItem.learned_recall_days.set({"computed_at": computed_at, "days": days}))


def all_clinic_ids() -> list[str]:
    bind()
    return [item.sk for item in ClinicRegistryItem.query(keys.REGISTRY_PK)]


def clinic_ids_after(after: str | None, limit: int) -> list[str]:
    """One page of the registry: up to `limit` clinic ids in id order, after `after` (from the
    first when None). A page shorter than `limit` is the last; the last id is where the next starts."""
    bind()
    condition = ClinicRegistryItem.sk > after if after else None
    return [item.sk for item in ClinicRegistryItem.query(keys.REGISTRY_PK, condition, limit=limit, page_size=limit)]


def registry() -> list[tuple[str, str]]:
    """(clinic id, name) of every clinic."""
    bind()
    return [(item.sk, item.name) for item in ClinicRegistryItem.query(keys.REGISTRY_PK)]


def list_rewards(clinic_id: str) -> list[Reward]:
    from chalicelib.store.points import reward_of

    bind()
    return [reward_of(item) for item in
            RewardItem.query(keys.clinic_pk(clinic_id), RewardItem.sk.startswith(keys.REWARD_PREFIX))]


def get_reward(clinic_id: str, reward_id: str) -> Reward:
    from chalicelib.store.points import reward_of

    bind()
    try:
        return reward_of(RewardItem.get(keys.clinic_pk(clinic_id), keys.reward_sk(reward_id)))
    except DoesNotExist as exc:
        raise NotFound("reward not found", code="reward_not_found", field="reward_id") from exc


def put_reward(clinic_id: str, reward_id: str, name: str, cost: int, name_en: str | None = None,
               active: bool = True, stock: int | None = None, per_patient_limit: int | None = None) -> Reward:
    from chalicelib.store.points import reward_of

    bind()
    item = RewardItem(keys.clinic_pk(clinic_id), keys.reward_sk(reward_id), reward_id=reward_id, name=name,
                      name_en=name_en, cost=cost, active=active, stock=stock, per_patient_limit=per_patient_limit)
    item.save()
    return reward_of(item)


class RuleRecord(NamedTuple):
    """A recall rule as kept for the clinic: the rule and when an admin last changed it."""

    rule: RecallRule
    updated_at: str | None = None

    @property
    def rule_id(self) -> str:
        return self.rule.rule_id

    @property
    def active(self) -> bool:
        return self.rule.active


def recall_rules(clinic_id: str) -> list[RuleRecord]:
    bind()
    return [_rule_of(item) for item in
            RecallRuleItem.query(keys.clinic_pk(clinic_id), RecallRuleItem.sk.startswith(keys.RECALL_RULE))]


def put_recall_rule(clinic_id: str, rule: RecallRule, active: bool | None = None,
                    updated_at: str | None = None) -> RuleRecord:
    bind()
    offsets = list(rule.all_offsets())
    item = RecallRuleItem(
        keys.clinic_pk(clinic_id), keys.recall_rule_sk(rule.rule_id), rule_id=rule.rule_id, condition=rule.condition,
        department=rule.department, anchor=rule.anchor, offset_days=offsets[0], offsets=offsets,
        send_at=rule.send_at.strftime("%H:%M"), template=rule.template, purpose=rule.purpose,
        stop_on=list(rule.stop_on), active=rule.active if active is None else active, updated_at=updated_at,
        timing=rule.timing if rule.timing != "fixed" else None,
        targeting=rule.targeting if rule.targeting != "all" else None, uplift_threshold=rule.uplift_threshold,
    )
    item.save()
    return _rule_of(item)


def recall_rule(clinic_id: str, rule_id: str) -> RuleRecord | None:
    bind()
    try:
        return _rule_of(RecallRuleItem.get(keys.clinic_pk(clinic_id), keys.recall_rule_sk(rule_id)))
    except DoesNotExist:
        return None


def delete_recall_rule(clinic_id: str, rule_id: str) -> bool:
    """Delete a rule; False if there was none."""
    from pynamodb.exceptions import DeleteError

    bind()
    try:
        RecallRuleItem(keys.clinic_pk(clinic_id), keys.recall_rule_sk(rule_id)).delete(
            condition=RecallRuleItem.pk.exists())
        return True
    except DeleteError:
        return False


def as_rule(record: RuleRecord) -> RecallRule:
    return record.rule


def _rule_of(item: RecallRuleItem) -> RuleRecord:
    from datetime import time as wall

    from chalicelib.domain.rules import STOP_EVENTS

    hour, minute = (int(x) for x in item.send_at.split(":"))
    offsets = tuple(int(o) for o in (item.offsets or [item.offset_days]))
    rule = RecallRule(item.rule_id, item.condition, item.anchor, offsets[0], wall(hour, minute),
                      item.template, item.purpose, department=item.department, offsets=offsets,
                      stop_on=tuple(item.stop_on) if item.stop_on is not None else STOP_EVENTS,
                      active=bool(item.active), timing=item.timing or "fixed",
                      targeting=item.targeting or "all",
                      uplift_threshold=float(item.uplift_threshold) if item.uplift_threshold is not None else None)
    return RuleRecord(rule, item.updated_at)


def set_catalogue(clinic_id: str, previous: dict[str, Any] | None, catalogue: dict[str, Any],
                  conditions: list[str] | None) -> Clinic:
    """Store the clinic's catalogue if nobody changed it since `previous` was read (Conflict
    otherwise); `conditions`: the active condition codes, kept on the clinic beside it."""
    bind()
    item = ClinicItem(keys.clinic_pk(clinic_id), keys.CLINIC_SK)
    actions: list[Action] = [ClinicItem.catalogue.set(catalogue)]
    if conditions is not None:
        actions.append(ClinicItem.conditions.set(conditions))
    unchanged = (ClinicItem.catalogue.does_not_exist() if previous is None
                 else ClinicItem.catalogue == previous)
    try:
        item.update(actions=actions, condition=ClinicItem.pk.exists() & unchanged)
    except UpdateError as exc:
        if db.condition_failed(exc):
            raise Conflict("the catalogue changed meanwhile; load it again", code="try_again") from exc
        raise
    _cache.pop(clinic_id, None)
    return clinic_of(clinic_id, item)
