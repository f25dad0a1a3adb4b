"""A patient's channels: preferred channel, WeChat subscribe opt-ins; a clinic's delivery settings."""

from __future__ import annotations

from chalicelib import crypto
from chalicelib.domain import delivery
from chalicelib.domain.clock import clock, iso
from chalicelib.domain.rules import RuleError, parse_wall_time
from chalicelib.errors import BadRequest, Conflict, Forbidden
from chalicelib.store import channels as store
from chalicelib.store import db, patients


def known_templates(clinic_id: str) -> dict[str, str]:
    settings = delivery.settings_from(store.delivery_settings(clinic_id))
    return {**delivery.DEFAULT_WECHAT_TEMPLATES, **settings.wechat_templates}


def view(clinic_id: str, patient_id: str) -> dict:
    state = store.state(clinic_id, patient_id)
    return {"preferred": state.preferred, "order": delivery.channel_order(state.preferred),
            "wechat_linked": bool(state.openid_enc), "wechat_quota": state.quotas,
            "templates": known_templates(clinic_id)}


def set_preferred(clinic_id: str, patient_id: str, preferred: str | None) -> dict:
    store.set_preferred(clinic_id, patient_id, preferred, iso(clock.now()))
    return view(clinic_id, patient_id)


def subscribe(clinic_id: str, patient_id: str, template_id: str, code: str) -> dict:
    """The mini-program reports an accepted one-time subscription (wx.requestSubscribeMessage),
    with a fresh wx.login code: the code proves the WeChat account is the patient's own and gives
    the openid the message is sent to (kept encrypted)."""
    from chalicelib.services.login import code2session
    from chalicelib.services.patient_fields import clinic_key

    if template_id not in known_templates(clinic_id).values():
        raise BadRequest("unknown subscribe template", code="unknown_template", field="template_id")
    patient = patients.get(clinic_id, patient_id)
    if not patient.openid_hash:
        raise Conflict("this record has no WeChat account", code="no_wechat_account")
    openid = code2session(code)["openid"]
    if crypto.keyed_hash("openid", clinic_id, openid) != patient.openid_hash:
        raise Forbidden("this WeChat account is not the patient's", code="wechat_account_mismatch", field="code")
    sealed = crypto.encrypt(clinic_key(clinic_id), clinic_id, openid)
    try:
        store.add_quota(clinic_id, patient_id, template_id, sealed, iso(clock.now()))
    except db.Cancelled:
        pass  # already at the most we keep; the opt-in is not lost, it just does not add up further
    return view(clinic_id, patient_id)


def delivery_view(clinic_id: str) -> dict:
    settings = delivery.settings_from(store.delivery_settings(clinic_id))
    return {**settings.as_dict(), "defaults": delivery.DeliverySettings().as_dict(),
            "wechat_templates": known_templates(clinic_id),
            "channel_order": list(delivery.DEFAULT_ORDER)}


def put_delivery(clinic_id: str, body) -> dict:
    """Change the settings named in the body; the rest keep their values."""
    stored = dict(store.delivery_settings(clinic_id, fresh=True))
    try:
        if body.quiet_hours is not None:
            start = parse_wall_time(body.quiet_hours.start, "quiet_hours.start")
            end = parse_wall_time(body.quiet_hours.end, "quiet_hours.end")
            stored["quiet_hours"] = {"start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")}
        if body.opening is not None:
            at = parse_wall_time(body.opening.at, "opening.at")
            stored["opening"] = {"days": sorted(set(body.opening.days)), "at": at.strftime("%H:%M")}
    except RuleError as err:
        raise BadRequest(str(err), code=err.code, field=err.field) from err
    if body.caps is not None:
        stored["caps"] = {**(stored.get("caps") or {}), **body.caps.model_dump(exclude_none=True)}
    if body.daily_cap is not None:
        stored["daily_cap"] = body.daily_cap
    from chalicelib.services.outbound import COMPOSERS

    if body.relevance_days is not None:
        unknown = sorted(set(body.relevance_days) - set(COMPOSERS))
        if unknown:
            raise BadRequest(f"unknown kind of message {unknown[0]!r}", code="unknown_kind", field="relevance_days")
        stored["relevance_days"] = {**(stored.get("relevance_days") or {}), **body.relevance_days}
    if body.wechat_templates is not None:
        for kind, template_id in body.wechat_templates.items():
            if kind not in COMPOSERS:
                raise BadRequest(f"unknown kind of message {kind!r}", code="unknown_kind", field="wechat_templates")
            if not template_id.strip() or len(template_id) > 128:
                raise BadRequest("a template id is 1-128 characters", code="invalid_template_id",
                                 field="wechat_templates")
        stored["wechat_templates"] = {**(stored.get("wechat_templates") or {}), **body.wechat_templates}
    _capacity(body, stored)
    store.put_delivery_settings(clinic_id, stored, iso(clock.now()))
    return delivery_view(clinic_id)


def _capacity(body, stored: dict) -> None:
    """The capacity-aware recall settings (domain.capacity): the window in days and the share of free places."""
    from chalicelib.domain import capacity

    if body.capacity_days is not None:
        if not 1 <= body.capacity_days <= capacity.MAX_CAPACITY_DAYS:
            raise BadRequest(f"capacity_days must be 1-{capacity.MAX_CAPACITY_DAYS}", code="invalid_capacity_days",
                             field="capacity_days")
        stored["capacity_days"] = body.capacity_days
    if body.capacity_share is not None:
        problem = capacity.share_problem(body.capacity_share)
        if problem:
            raise BadRequest(problem, code="invalid_capacity_share", field="capacity_share")
        stored["capacity_share"] = round(float(body.capacity_share), 4)
