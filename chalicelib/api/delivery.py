"""Recall rules, anchor events, delivery settings (quiet hours, caps, relevance windows) and the
patient's channels."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Literal, Optional

from chalice import Blueprint
from pydantic import Field

from chalicelib.api import replies
from chalicelib.api.models import Strict, real
from chalicelib.api.routing import ADMIN, MANAGER, PATIENT, READERS, STAFF, route
from chalicelib.domain.delivery import CHANNELS, MAX_CAP, MAX_DAILY_CAP, MAX_RELEVANCE_DAYS
from chalicelib.domain.rules import MAX_OFFSETS
from chalicelib.lazy import lazy

# The services each route calls, as type checkers and import analysis see them; at run time
# each module loads on first use, so a function's cold start pays only for what it runs.
if TYPE_CHECKING:
    from chalicelib.services import recall
    from chalicelib.services import channels
    from chalicelib.services import households
else:
    recall = lazy("chalicelib.services.recall")
    channels = lazy("chalicelib.services.channels")
    households = lazy("chalicelib.services.households")

bp: Blueprint = Blueprint(__name__)


Wall = Field(min_length=1, max_length=5, description="HH:MM, clinic time")
if TYPE_CHECKING:  # what type checkers see; at run time a bounded, rounded float (api/models.real)
    Threshold = float
else:
    Threshold = real(3, -10, 10)


class RecallRuleBody(Strict):
    condition: Optional[str] = Field(default=None, max_length=40)
    department: Optional[str] = Field(default=None, max_length=40)
    anchor: str = Field(min_length=1, max_length=40)
    # the domain checks each offset against the anchor (MAX_OFFSET_DAYS, MAX_LEAD_DAYS) with its own code
    offsets: list[Annotated[int, Field(ge=-10_000, le=10_000)]] = Field(max_length=MAX_OFFSETS * 2,
                                                                         description="days after the anchor")
    send_at: str = Wall
    template: str = Field(max_length=500, description="variables: {nickname} {clinic} {doctor} {slot}")
    purpose: Literal["service", "marketing"] = "service"
    stop_on: list[str] = Field(default_factory=lambda: ["booked", "visited"], max_length=4)
    active: bool = True
    timing: Literal["fixed", "learned"] = Field(
        default="fixed", description="learned: send on the condition's learned recall day (docs/delivery.md)")
    targeting: Literal["all", "uplift"] = Field(
        default="all", description="uplift: a marketing rule reaches only patients whose predicted uplift is above "
                                   "the threshold (everyone while the clinic has no uplift model)")
    # the domain checks -1 .. 1 with its own code (invalid_uplift_threshold); this bounds the schema
    uplift_threshold: Optional[Threshold] = Field(
        default=None, description="with uplift, -1 to 1 (a change of probability, 3 decimals); null: 0")


class RulePreviewBody(RecallRuleBody):
    rule_id: Optional[str] = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$",
                                   description="the rule being changed: its jobs planned already count as planned")


class TimingBoundsBody(Strict):
    # the domain checks the range and order with its own codes
    earliest_day: int = Field(ge=-10_000, le=10_000, description="earliest day after the anchor of a learned recall")
    latest_day: int = Field(ge=-10_000, le=10_000, description="latest day after the anchor of a learned recall")


class ActiveBody(Strict):
    active: bool


class AnchorContext(Strict):
    doctor: Optional[str] = Field(default=None, max_length=40)
    package: Optional[str] = Field(default=None, max_length=60)


class AnchorBody(Strict):
    anchor: str = Field(min_length=1, max_length=40)
    date: dt.date
    condition: Optional[str] = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    department: Optional[str] = Field(default=None, max_length=40)
    context: Optional[AnchorContext] = None


class QuietHours(Strict):
    start: str = Wall
    end: str = Wall


class Caps(Strict):
    marketing: Optional[int] = Field(default=None, ge=0, le=MAX_CAP)
    service: Optional[int] = Field(default=None, ge=0, le=MAX_CAP)


class Opening(Strict):
    days: list[Annotated[int, Field(ge=0, le=6)]] = Field(min_length=1, max_length=7, description="0 = Monday ... 6 = Sunday")
    at: str = Wall


RelevanceDays = Annotated[int, Field(ge=1, le=MAX_RELEVANCE_DAYS)]


class DeliveryBody(Strict):
    quiet_hours: Optional[QuietHours] = None
    caps: Optional[Caps] = None
    daily_cap: Optional[int] = Field(default=None, ge=1, le=MAX_DAILY_CAP,
                                     description="messages per patient and clinic-local day, every purpose")
    relevance_days: Optional[dict[str, RelevanceDays]] = Field(
        default=None, max_length=10,
        description="kind of message -> days after its planned time it may still be sent (else stale)")
    opening: Optional[Opening] = None
    wechat_templates: Optional[dict[str, str]] = Field(default=None, max_length=10,
                                                       description="kind of message -> template id")
    # the domain checks 1-28 and 0.05-1 with their own codes; these bound the schema
    capacity_days: Optional[Annotated[int, Field(ge=-10_000, le=10_000)]] = Field(
        default=None, description="recall offers are measured against the free slot places of this many days "
                                  "ahead (1-28; else 400 invalid_capacity_days)")
    capacity_share: Optional[Threshold] = Field(
        default=None, description="the share of a department's free slot places recall offers may hold at once "
                                  "(0.05-1; else 400 invalid_capacity_share)")


class PreferenceBody(Strict):
    preferred: Optional[Literal[CHANNELS]] = None  # type: ignore[valid-type]


class SubscriptionBody(Strict):
    template_id: str = Field(min_length=1, max_length=128)
    code: str = Field(min_length=1, max_length=128)


RULE_ERRORS = ("condition_or_department", "duplicate_offset", "empty_offsets", "empty_template", "invalid_rule_id",
               "invalid_template", "invalid_time", "learned_needs_condition", "learned_not_for_anchor",
               "offset_out_of_range", "too_many_offsets", "unknown_anchor",
               "unknown_condition", "unknown_department", "unknown_purpose", "unknown_stop_condition",
               "unknown_template_variable", "unknown_targeting", "uplift_needs_marketing", "invalid_uplift_threshold")


def _rule_id(call) -> str:
    import re

    rule_id = call.params["rule_id"]
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", rule_id):
        from chalicelib.errors import BadRequest

        raise BadRequest("rule id: 1-64 letters, digits, - or _", code="invalid_rule_id", field="rule_id")
    return rule_id


@route(bp, "/recall-rules", roles=READERS,
       reply=replies.ListRulesReply,
       summary="The clinic's recall rules and the choices a rule may use")
def list_rules(call):
    return recall.rules_view(call.principal.clinic_id)


@route(bp, "/recall-rules/{rule_id}", methods=("PUT",), roles=ADMIN, body=RecallRuleBody,
       reply=replies.RecallRuleReply,
       errors=RULE_ERRORS,
       summary="Create or replace a recall rule (condition or department, anchor, offsets, time, template, timing, targeting)")
def put_rule(call):
    return recall.put_rule(call.principal.clinic_id, _rule_id(call), call.body)


@route(bp, "/recall-rules/preview", methods=("POST",), roles=MANAGER, body=RulePreviewBody,
       reply=replies.RuleReachReply, errors=RULE_ERRORS,
       summary="How many patients a rule (new or changed, not saved) reaches from the recorded anchors: due now, "
               "within 30 days, and with an anchor inside its window not planned yet")
def preview_rule(call):
    return recall.preview(call.principal.clinic_id, call.body)


@route(bp, "/recall-rules/{rule_id}/backfill", methods=("POST",), roles=ADMIN, idempotent=True,
       reply=replies.BackfillReply, errors=("invalid_rule_id", "rule_inactive", "rule_not_found"),
       summary="Plan a saved rule for the patients whose anchor already lies inside its window (once each)")
def backfill_rule(call):
    return recall.backfill(call.principal.clinic_id, _rule_id(call))


@route(bp, "/clinic/recall-timing", roles=READERS, reply=replies.RecallTimingReply,
       summary="Bounds of learned recall days and each condition's learned day from the daily training")
def recall_timing(call):
    return recall.timing_view(call.principal.clinic_id)


@route(bp, "/clinic/recall-timing", methods=("PUT",), roles=ADMIN, body=TimingBoundsBody,
       reply=replies.RecallTimingReply, errors=("bounds_reversed", "day_out_of_range"),
       summary="Set the earliest and latest day after the anchor a learned recall may be sent on")
def put_recall_timing(call):
    return recall.put_timing(call.principal.clinic_id, call.body)


@route(bp, "/recall-rules/{rule_id}/active", methods=("PUT",), roles=ADMIN, body=ActiveBody,
       reply=replies.RecallRuleReply,
       errors=("invalid_rule_id", "rule_not_found"),
       summary="Activate or deactivate a recall rule; jobs of an inactive rule are stopped when due")
def set_active(call):
    return recall.set_active(call.principal.clinic_id, _rule_id(call), call.body.active)


@route(bp, "/recall-rules/{rule_id}", methods=("DELETE",), roles=ADMIN,
       reply=replies.DeleteRuleReply, errors=("invalid_rule_id", "rule_not_found"),
       summary="Delete a recall rule; its open jobs are stopped when due")
def delete_rule(call):
    return recall.delete_rule(call.principal.clinic_id, _rule_id(call))


@route(bp, "/patients/{patient_id}/anchors", methods=("POST",), roles=STAFF, body=AnchorBody,
       reply=replies.RecordAnchorReply, status=201,
       errors=("invalid_date", "unknown_anchor", "unknown_condition", "unknown_department", "use_visit_route"),
       summary="Record an anchor event (surgery, delivery date, package end, remission); plans its recall jobs")
def record_anchor(call):
    b = call.body
    context = b.context.model_dump(exclude_none=True) if b.context else None
    recorded = recall.record_anchor(call.principal.clinic_id, call.params["patient_id"], b.anchor, b.date,
                                    condition=b.condition, department=b.department, context=context)
    if b.anchor == "delivery":  # the postpartum path: her infant dependants' check-ups (docs/households.md)
        households.plan_for_mother(call.principal.clinic_id, call.params["patient_id"], b.date)
    return 201, recorded


@route(bp, "/clinic/delivery", roles=READERS,
       reply=replies.DeliverySettingsReply,
       summary="Quiet hours, frequency caps, relevance windows, opening times and WeChat templates")
def delivery_settings(call):
    return channels.delivery_view(call.principal.clinic_id)


@route(bp, "/clinic/delivery", methods=("PUT",), roles=ADMIN, body=DeliveryBody,
       reply=replies.DeliverySettingsReply,
       errors=("invalid_time", "unknown_kind", "invalid_capacity_days", "invalid_capacity_share"),
       summary="Change quiet hours, weekly caps per purpose, the daily cap, relevance windows per kind, opening "
               "times or WeChat templates")
def put_delivery(call):
    return channels.put_delivery(call.principal.clinic_id, call.body)


@route(bp, "/me/channels", roles=PATIENT,
       reply=replies.ChannelsReply,
       summary="The caller's preferred channel and WeChat subscribe quotas")
def my_channels(call):
    return channels.view(call.principal.clinic_id, call.principal.patient_id)


@route(bp, "/me/channels", methods=("PUT",), roles=PATIENT, body=PreferenceBody,
       reply=replies.ChannelsReply,
       summary="Choose the preferred channel (wechat, inbox, sms) or none for the default order")
def set_channel(call):
    return channels.set_preferred(call.principal.clinic_id, call.principal.patient_id, call.body.preferred)


@route(bp, "/me/subscriptions", methods=("POST",), roles=PATIENT, body=SubscriptionBody,
       reply=replies.ChannelsReply, status=201, errors=("unknown_template", "wechat_account_mismatch"),
       summary="Report an accepted WeChat subscribe opt-in (allows one message of that template)")
def subscribe(call):
    b = call.body
    return 201, channels.subscribe(call.principal.clinic_id, call.principal.patient_id, b.template_id, b.code)

