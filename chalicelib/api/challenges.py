"""Streak challenges, vouchers and redeemed rewards at the desk: staff define challenges, redeem
vouchers and hand over redeemed rewards by code; patients join challenges, follow their streaks
and see their vouchers."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Literal, Optional, Union

from chalice import Blueprint
from pydantic import Field, model_validator

from chalicelib.api import replies
from chalicelib.api.models import CODE, Id, Strict
from chalicelib.api.routing import ADMIN, PATIENT, READERS, STAFF, route
from chalicelib.domain.challenges import MAX_DAYS
from chalicelib.domain.streaks import MAX_GRACE
from chalicelib.lazy import lazy

# The services each route calls, as type checkers and import analysis see them; at run time
# each module loads on first use, so a function's cold start pays only for what it runs.
if TYPE_CHECKING:
    from chalicelib.services import challenges as service
    from chalicelib.services import redemptions
else:
    service = lazy("chalicelib.services.challenges")
    redemptions = lazy("chalicelib.services.redemptions")

bp: Blueprint = Blueprint(__name__)


class VoucherReward(Strict):
    """A voucher of a named kind, valid `valid_days` clinic days counting the day it is earned."""

    type: Literal["voucher"]
    voucher_kind: str = Id
    voucher_name: str = Field(min_length=1, max_length=60)
    voucher_name_en: Optional[str] = Field(default=None, max_length=60)
    valid_days: int = Field(ge=1, le=3650)

class PointsReward(Strict):
    """Points, credited through a ledger entry in the check-in's transaction."""

    type: Literal["points"]
    points: int = Field(ge=1, le=100_000)

class ChallengeTerms(Strict):
    name: str = Field(min_length=1, max_length=60)
    name_en: Optional[str] = Field(default=None, max_length=60)
    checkin_type: str = Field(min_length=2, max_length=40, pattern=CODE,
                              description="one of the clinic's active check-in types (诊所设置)")
    days: int = Field(ge=1, le=MAX_DAYS, description="counted days in a row that complete a streak")
    grace: int = Field(default=0, ge=0, le=MAX_GRACE, description="missed days one streak may step over")
    reward: Annotated[Union[VoucherReward, PointsReward], Field(discriminator="type")]
    start_date: date
    end_date: date
    conditions: list[str] = Field(default_factory=list, max_length=10,
                                  description="who may join: patients with one of these; empty: everyone")
    active: bool = True

    @model_validator(mode="after")
    def dates_in_order(self):
        if self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        return self

class ChallengeBody(ChallengeTerms):
    challenge_id: Optional[str] = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")


@route(bp, "/challenges", roles=READERS,
       reply=replies.ListChallengesReply,
       summary="The clinic's streak challenges, with how many patients joined")
def list_challenges(call):
    return {"items": service.staff_list(call.principal.clinic_id)}


@route(bp, "/challenges", methods=("POST",), roles=ADMIN, body=ChallengeBody,
       reply=replies.CreateChallengeReply, status=201, errors=("challenge_exists", "unknown_condition", "unknown_checkin_type"),
       summary="Define a streak challenge: check-in type, N days in a row, grace, reward, dates, who may join")
def create_challenge(call):
    return 201, {"challenge": service.create(call.principal.clinic_id, call.body)}


@route(bp, "/challenges/{challenge_id}", methods=("PUT",), roles=ADMIN, body=ChallengeTerms,
       reply=replies.CreateChallengeReply, errors=("unknown_condition", "unknown_checkin_type"),
       summary="Change a challenge; patients already enrolled keep the terms they joined under")
def edit_challenge(call):
    return {"challenge": service.edit(call.principal.clinic_id, call.params["challenge_id"], call.body)}


@route(bp, "/me/challenges", roles=PATIENT,
       reply=replies.MyChallengesReply,
       summary="Open challenges the caller may join and the caller's own, with streak progress and rewards")
def my_challenges(call):
    return {"items": service.my_challenges(call.principal)}


@route(bp, "/me/challenges/{challenge_id}/join", methods=("POST",), roles=PATIENT,
       reply=replies.JoinReply, status=(201, 200), errors=("challenge_closed", "not_eligible"),
       summary="Join a challenge (joining again answers the same enrolment)")
def join(call):
    created, view = service.join(call.principal, call.params["challenge_id"])
    return (201 if created else 200), {"challenge": view}


@route(bp, "/me/vouchers", roles=PATIENT,
       reply=replies.MyVouchersReply,
       summary="The caller's vouchers, newest first, with code and validity")
def my_vouchers(call):
    return {"items": service.my_vouchers(call.principal)}


@route(bp, "/vouchers/{code}", roles=STAFF,
       reply=replies.LookupVoucherReply, errors=("invalid_voucher_code",),
       summary="Find a voucher of the clinic by its code (at the desk)")
def lookup_voucher(call):
    return {"voucher": service.lookup_voucher(call.principal.clinic_id, call.params["code"])}


@route(bp, "/redemptions/{redemption_code}", roles=STAFF, reply=replies.DeskRedemptionReply,
       summary="Find a redemption of the clinic by the code the patient shows (at the desk)")
def lookup_redemption(call):
    return {"redemption": redemptions.lookup(call.principal.clinic_id, call.params["redemption_code"])}


@route(bp, "/redemptions/{redemption_code}/fulfil", methods=("POST",), roles=STAFF, idempotent=True,
       reply=replies.DeskRedemptionReply, errors=("redemption_fulfilled",),
       summary="Hand a redeemed reward over once; a second time answers 409")
def fulfil_redemption(call):
    return {"redemption": redemptions.fulfil(call.principal, call.params["redemption_code"])}


@route(bp, "/vouchers/{code}/redeem", methods=("POST",), roles=STAFF, idempotent=True,
       reply=replies.RedeemVoucherReply, errors=("invalid_voucher_code", "voucher_expired", "voucher_redeemed"),
       summary="Redeem a voucher once; redeemed or expired vouchers answer 409")
def redeem_voucher(call):
    return {"voucher": service.redeem_voucher(call.principal, call.params["code"])}

