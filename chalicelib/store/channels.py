"""A clinic's delivery settings and a patient's channel state: preferred channel, WeChat openid
(encrypted) and one-time subscribe quotas per template."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from chalicelib.store import db, keys
from chalicelib.store.models import ChannelPrefItem, DeliverySettingsItem, WechatQuotaItem, bind

_CACHE_SECONDS = 60
_cache: dict[str, tuple[float, dict[str, Any]]] = {}
MAX_QUOTA = 50  # accepted one-time subscriptions kept per template


def delivery_settings(clinic_id: str, *, fresh: bool = False) -> dict[str, Any]:
    """The stored settings (the shape of domain.delivery.DeliverySettings.as_dict), cached a minute."""
    bind()
    hit = _cache.get(clinic_id)
    if hit and not fresh and time.monotonic() - hit[0] < _CACHE_SECONDS:
        return hit[1]
    # through the shared connection: the sender makes no extra client for a rarely changed item
    from chalicelib.config import settings as conf

    reply = db.connection().client.get_item(TableName=conf().table_name, Key={
        "pk": {"S": keys.clinic_pk(clinic_id)}, "sk": {"S": keys.DELIVERY_SK}})
    raw = DeliverySettingsItem.from_raw_data(reply["Item"]).settings or {} if reply.get("Item") else {}
    _cache[clinic_id] = (time.monotonic(), raw)
    return raw


def put_delivery_settings(clinic_id: str, settings: dict[str, Any], at: str) -> None:
    bind()
    DeliverySettingsItem(keys.clinic_pk(clinic_id), keys.DELIVERY_SK, settings=settings, updated_at=at).save()
    _cache.pop(clinic_id, None)


def forget_cache() -> None:
    _cache.clear()


@dataclass
class ChannelState:
    preferred: str | None = None
    openid_enc: str | None = None
    quotas: dict[str, int] = field(default_factory=dict)


def state(clinic_id: str, patient_id: str) -> ChannelState:
    """The patient's preference and quotas: one Query of the patient's `CH#` items."""
    found = ChannelState()
    for raw in db.query_partition(keys.patient_pk(clinic_id, patient_id), keys.CHANNEL, consistent=True):
        sk = raw["sk"]["S"]
        if sk == keys.CHANNEL_PREF_SK:
            pref = ChannelPrefItem.from_raw_data(raw)
            found.preferred, found.openid_enc = pref.preferred, pref.openid_enc
        elif sk.startswith(keys.WECHAT_QUOTA):
            quota = WechatQuotaItem.from_raw_data(raw)
            found.quotas[quota.template_id] = int(quota.count or 0)
    return found


def set_preferred(clinic_id: str, patient_id: str, preferred: str | None, at: str) -> None:
    """Write the preference, only while the patient's record exists (never into an erased partition)."""
    pk = keys.patient_pk(clinic_id, patient_id)
    actions = [ChannelPrefItem.updated_at.set(at)]
    actions.append(ChannelPrefItem.preferred.set(preferred) if preferred else ChannelPrefItem.preferred.remove())
    with db.transaction() as txn:
        db.require_profile(txn, pk)
        txn.update(ChannelPrefItem(pk, keys.CHANNEL_PREF_SK), actions=actions)


def add_quota(clinic_id: str, patient_id: str, template_id: str, openid_enc: str, at: str) -> int:
    """Record one accepted subscription (and the openid it came with); returns the quota after it."""
    pk = keys.patient_pk(clinic_id, patient_id)
    quota = WechatQuotaItem(pk, keys.wechat_quota_sk(template_id))
    with db.transaction() as txn:
        db.require_profile(txn, pk)
        txn.update(ChannelPrefItem(pk, keys.CHANNEL_PREF_SK), actions=[ChannelPrefItem.openid_enc.set(openid_enc),
                                                          ChannelPrefItem.updated_at.set(at)])
        txn.update(quota, actions=[WechatQuotaItem.template_id.set(template_id), WechatQuotaItem.count.add(1),
                                   WechatQuotaItem.updated_at.set(at)],
                   condition=WechatQuotaItem.count.does_not_exist() | (WechatQuotaItem.count < MAX_QUOTA),
                   label="quota")
    bind()
    return int(WechatQuotaItem.get(pk, keys.wechat_quota_sk(template_id), consistent_read=True).count)
