"""A clinic's message templates per kind of message: the WeChat subscribe template (its id and how
our fields fill its typed keys) and the SMS template (its id and parameters), kept with the
clinic's delivery settings so the sender reads them with the settings it reads already."""

from __future__ import annotations

from chalicelib.domain import templates
from chalicelib.domain.clock import clock, iso
from chalicelib.domain.policy import MESSAGE_KINDS
from chalicelib.errors import BadRequest
from chalicelib.store import channels as store


def _kinds() -> list[str]:
    from chalicelib.services.outbound import COMPOSERS

    return sorted(COMPOSERS)


def view(clinic_id: str) -> dict:
    from chalicelib.services.channels import known_templates

    stored = (store.delivery_settings(clinic_id).get("message_templates") or {})
    ids = known_templates(clinic_id)
    return {
        "kinds": [{"kind": kind, "name": MESSAGE_KINDS.get(kind, ("", kind))[1],
                   "wechat": stored.get(kind, {}).get("wechat")
                   or ({"template_id": ids[kind], "fields": []} if kind in ids else None),
                   "sms": stored.get(kind, {}).get("sms")} for kind in _kinds()],
        "sources": list(templates.SOURCES),
        "wechat_types": list(templates.WECHAT_TYPES),
        "fits": {source: list(kinds) for source, kinds in templates.FITS.items()},
    }


def put(clinic_id: str, kind: str, body: dict) -> dict:
    """Set the WeChat and/or SMS template of one kind of message (a part left out keeps its value;
    null clears it). The WeChat template's id also becomes the one patients subscribe to."""
    if kind not in _kinds():
        raise BadRequest(f"unknown kind of message {kind!r}", code="unknown_kind", field="kind")
    stored = dict(store.delivery_settings(clinic_id, fresh=True))
    mine = dict((stored.get("message_templates") or {}).get(kind) or {})
    try:
        if "wechat" in body:
            wechat = body["wechat"]
            mine["wechat"] = None if wechat is None else templates.checked_wechat(
                wechat["template_id"], wechat.get("fields") or [],
                known={"kind_name": MESSAGE_KINDS.get(kind, ("", kind))[1]})
        if "sms" in body:
            sms = body["sms"]
            mine["sms"] = None if sms is None else templates.checked_sms(sms["template_id"], sms.get("params") or [])
    except templates.TemplateError as err:
        raise BadRequest(str(err), code=err.code, field=err.field) from err
    mine = {part: value for part, value in mine.items() if value}
    stored["message_templates"] = {**(stored.get("message_templates") or {}), kind: mine}
    if mine.get("wechat"):
        stored["wechat_templates"] = {**(stored.get("wechat_templates") or {}), kind: mine["wechat"]["template_id"]}
    store.put_delivery_settings(clinic_id, stored, iso(clock.now()))
    return view(clinic_id)
