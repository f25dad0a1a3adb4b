"""Households (家庭): a patient's own household in the mini-program (invites, joining by consent,
carers, dependants, check-ins and reminders for them, leaving) and the desk's view of a patient's
household with the shared family card. docs/households.md."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Literal

from chalice import Blueprint
from pydantic import Field

from chalicelib.api import replies
from chalicelib.api.models import CheckInBody, Strict
from chalicelib.api.routing import IN_TRANSACTION, PATIENT, STAFF, route
from chalicelib.domain.households import MAX_CARD_USES
from chalicelib.lazy import lazy

if TYPE_CHECKING:
    from chalicelib.services import households as service
else:
    service = lazy("chalicelib.services.households")

bp: Blueprint = Blueprint(__name__)

Relation = Literal["spouse", "child", "parent", "grandparent", "other"]


class InviteBody(Strict):
    relation: Relation = Field(description="how the invitee relates to the caller")


class JoinBody(Strict):
    code: str = Field(min_length=4, max_length=16, pattern=r"^[A-Za-z0-9]+$")
    consent: bool = Field(description="the invitee agrees to join the household (must be true)")


class CarerBody(Strict):
    checkins: bool = Field(description="the member may check in for the caller")
    reminders: bool = Field(description="the member receives the caller's reminders")


class DependantBody(Strict):
    name: str = Field(min_length=1, max_length=40)
    birth_date: date
    sex: Literal["F", "M"]
    relation: Literal["child"] = "child"


class CardBody(Strict):
    uses: int = Field(ge=1, le=MAX_CARD_USES)
    valid_until: date


@route(bp, "/me/family", roles=PATIENT, reply=replies.FamilyReply,
       summary="The caller's household: members (masked names, relations, carer marks) and the family card")
def my_family(call):
    return service.my_family(call.principal)


@route(bp, "/me/family/invites", methods=("POST",), roles=PATIENT, body=InviteBody,
       reply=replies.FamilyInviteReply, status=201, errors=("not_an_adult", "already_in_family"),
       summary="A one-time code (24 h) inviting another adult patient into the caller's household")
def create_invite(call):
    return 201, service.create_invite(call.principal, call.body.relation)


@route(bp, "/me/family/join", methods=("POST",), roles=PATIENT, body=JoinBody,
       reply=replies.FamilyJoinReply,
       errors=("consent_required", "invalid_code", "code_expired", "already_in_family", "own_code", "not_an_adult"),
       summary="Join the household of an invite code, with the caller's own consent")
def join(call):
    return service.join(call.principal, call.body.code, call.body.consent)


@route(bp, "/me/family/carers/{member_id}", methods=("PUT",), roles=PATIENT, body=CarerBody,
       reply=replies.FamilyMembersReply, errors=("not_a_member", "not_an_adult"),
       summary="Let a member of the household check in for the caller and/or receive the caller's reminders "
               "(both false ends it)")
def set_carer(call):
    return service.set_carer(call.principal, call.params["member_id"], call.body.checkins, call.body.reminders)


@route(bp, "/me/family/dependants", methods=("POST",), roles=PATIENT, body=DependantBody, idempotent=True,
       reply=replies.FamilyMember, status=201,
       errors=("not_a_minor", "invalid_birth_date", "not_an_adult", "consent_required", "already_in_family"),
       summary="Register a minor (an infant) as a patient in the caller's household, the caller their carer")
def add_dependant(call):
    return 201, service.add_dependant(call.principal, call.body)


@route(bp, "/me/family/{member_id}/checkins", methods=("POST",), roles=PATIENT, body=CheckInBody,
       idempotent=IN_TRANSACTION, reply=replies.CheckInReply, status=201,
       errors=("not_your_dependant", "invalid_client_time", "invalid_reading", "unknown_checkin_type"),
       summary="Check in for a member the caller cares for: recorded on the member's record, by the caller")
def carer_check_in(call):
    return 201, service.carer_check_in(call.principal, call.params["member_id"], call.body, call.idem)


@route(bp, "/me/family/{member_id}/reminders", roles=PATIENT, reply=replies.FamilyRemindersReply,
       errors=("not_your_dependant",),
       summary="A member's upcoming check-ups and reminders that the caller receives")
def member_reminders(call):
    return service.member_reminders(call.principal, call.params["member_id"])


@route(bp, "/me/family", methods=("DELETE",), roles=PATIENT, reply=replies.FamilyReply,
       errors=("has_dependants",),
       summary="Leave the household (not while a minor of it has only the caller as carer)")
def leave(call):
    return service.leave(call.principal)


@route(bp, "/patients/{patient_id}/family", roles=STAFF, reply=replies.FamilyReply,
       summary="A patient's household: members (masked names, ids for links), carer marks and the family card")
def patient_family(call):
    return service.patient_family(call.principal.clinic_id, call.params["patient_id"])


@route(bp, "/patients/{patient_id}/family-card", methods=("POST",), roles=STAFF, body=CardBody,
       reply=replies.FamilyCard, errors=("no_family_card", "invalid_date"),
       summary="Sell or grant the family cleaning card to the patient's household (it starts with these uses)")
def grant_card(call):
    return service.grant_card(call.principal, call.params["patient_id"], call.body.uses, call.body.valid_until)


@route(bp, "/patients/{patient_id}/family-card/use", methods=("POST",), roles=STAFF, idempotent=IN_TRANSACTION,
       reply=replies.FamilyCard, errors=("no_family_card", "card_used_up", "card_expired"),
       summary="One use of the household's family card by this member, counted once (Idempotency-Key)")
def use_card(call):
    return service.use_card(call.principal, call.params["patient_id"], call.idem)
