"""The patient's own routes (the WeChat mini-program): record, consent, check-ins, points, inbox."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.api import replies
from chalicelib.api.models import (CheckInBody, ConsentUpdate, ConsentWithdrawal, OwnProfileUpdate,
                                   OwnRegistration, Page, RedeemBody, ShareBody,
                                   WerunBody)
from chalicelib.api.routing import IN_TRANSACTION, PATIENT, STAFF, route
from chalicelib.domain.clock import clock, iso
from chalicelib.lazy import lazy

if TYPE_CHECKING:
    from chalicelib.services import activity, audit, home, segments, sessions
    from chalicelib.services import inbox as inbox_service
    from chalicelib.services import patients as patient_service
    from chalicelib.services import redemptions as redemption_service
    from chalicelib.services import setup as setup_service
    from chalicelib.services import werun
else:
    home = lazy("chalicelib.services.home")
    audit = lazy("chalicelib.services.audit")
    werun = lazy("chalicelib.services.werun")
    redemption_service = lazy("chalicelib.services.redemptions")
    setup_service = lazy("chalicelib.services.setup")
    sessions = lazy("chalicelib.services.sessions")
    activity = lazy("chalicelib.services.activity")
    patient_service = lazy("chalicelib.services.patients")
    inbox_service = lazy("chalicelib.services.inbox")
    segments = lazy("chalicelib.services.segments")

bp: Blueprint = Blueprint(__name__)


def _me(call):
    return patient_service.own_patient(call.principal.clinic_id, call.principal.patient_id)


@route(bp, "/me/register", methods=("POST",), roles=("visitor",), body=OwnRegistration,
       reply=replies.RegisterReply, status=201,
       errors=("invalid_phone", "invalid_phone_code", "phone_registered", "self_referral", "unknown_condition",
               "unknown_department", "unknown_persona", "unknown_invite_code", "wechat_unavailable", "wechat_error"),
       summary="Create the caller's own record (建档) with consent per purpose")
def register(call):
    item = patient_service.register(call.principal.clinic_id, call.body, openid_hash=call.principal.openid_hash)
    tokens = sessions.after_registration(call.principal, item.patient_id)
    return 201, {"patient": patient_service.profile_view(item, full_phone=True), **tokens}


@route(bp, "/me/setup", roles=("visitor", "patient"), reply=replies.SetupReply,
       summary="What the registration and consent pages show: clinic, conditions, consent texts, privacy policy, "
               "subscribe templates")
def setup(call):
    return setup_service.setup_view(call.principal.clinic_id)


@route(bp, "/consent-texts/{version}", roles=("visitor", "patient") + STAFF, reply=replies.ConsentTextsReply,
       errors=("consent_version_not_found",),
       summary="The consent texts of one published version, as the patient read them when agreeing")
def consent_texts(call):
    return setup_service.consent_texts(call.params["version"])


@route(bp, "/me/home", roles=PATIENT, reply=replies.HomeReply, session_checked_by_service=True,
       summary="Everything the mini-program's home page shows, in one request (three DynamoDB reads)")
def my_home(call):
    return home.view(call.principal)


@route(bp, "/me", roles=PATIENT, reply=replies.MeReply, summary="The caller's own profile")
def me(call):
    return {"patient": patient_service.profile_view(_me(call), full_phone=True)}


@route(bp, "/me", methods=("PUT",), roles=PATIENT, body=OwnProfileUpdate, reply=replies.MeReply,
       summary="Change the caller's nickname, birth year or district (null clears one)")
def update_me(call):
    changes = {name: getattr(call.body, name) for name in call.body.model_fields_set}
    return {"patient": patient_service.profile_view(patient_service.update_own(_me(call), changes), full_phone=True)}


@route(bp, "/me", methods=("DELETE",), roles=PATIENT,
       reply=replies.EraseReply,
       summary="Erase the caller's record and all its data")
def erase(call):
    removed = patient_service.erase(_me(call))
    audit.record(call.principal, audit.ERASE, patient_id=call.principal.patient_id, detail={"items": removed})
    return {"erased": True, "items_removed": removed}


@route(bp, "/me/export", roles=PATIENT, reply=replies.ExportReply, summary="Everything stored about the caller")
def export(call):
    data = patient_service.export(_me(call))
    audit.record(call.principal, audit.EXPORT, patient_id=call.principal.patient_id, detail={"what": "own_data"})
    return data


@route(bp, "/me/consents", roles=PATIENT, reply=replies.ConsentsReply, summary="The caller's consent per purpose")
def consents(call):
    return {"consents": patient_service.consents_view(_me(call))}


@route(bp, "/me/consents", methods=("PUT",), roles=PATIENT, body=ConsentUpdate,
       reply=replies.ConsentsReply, summary="Grant or withdraw consent per purpose")
def update_consents(call):
    return {"consents": patient_service.update_consents(_me(call), call.body.consents, call.body.consent_version)}


@route(bp, "/me/consents/withdraw", methods=("POST",), roles=PATIENT, body=ConsentWithdrawal,
       reply=replies.ConsentsReply, summary="Withdraw consent in one call (all purposes unless some are named)")
def withdraw(call):
    return {"consents": patient_service.withdraw(_me(call), call.body.purposes, call.body.consent_version)}


@route(bp, "/me/checkins", methods=("POST",), roles=PATIENT, body=CheckInBody, idempotent=IN_TRANSACTION,
       session_checked_by_service=True,
       reply=replies.CheckInReply, status=201,
       errors=("invalid_client_time", "invalid_reading", "unknown_checkin_type"),
       summary="Check in a reading or a task; the first per type per clinic day earns points")
def check_in(call):
    return 201, activity.check_in(call.principal, call.body, call.idem)


@route(bp, "/me/checkins/werun", methods=("POST",), roles=PATIENT, body=WerunBody, idempotent=True,
       reply=replies.WerunReply, status=201,
       errors=("invalid_werun_data", "invalid_wechat_code", "wechat_code_used", "wechat_account_mismatch",
               "no_wechat_account", "wechat_user_blocked", "wechat_unavailable", "wechat_error"),
       summary="Record the last week's WeRun steps (wx.getWeRunData with a fresh wx.login code), one check-in a day")
def werun_checkins(call):
    return 201, werun.record(call.principal, call.body.code, call.body.encrypted_data, call.body.iv)


@route(bp, "/me/checkins", roles=PATIENT, reply=replies.CheckinsReply, summary="The caller's check-ins, newest first")
def checkins(call):
    return {"items": patient_service.checkins(call.principal.clinic_id, call.principal.patient_id)}


@route(bp, "/me/visits", roles=PATIENT, reply=replies.MyVisitsReply, summary="The caller's visits, newest first")
def my_visits(call):
    return {"items": patient_service.visits(call.principal.clinic_id, call.principal.patient_id)}


@route(bp, "/me/points", roles=PATIENT, query=Page, reply=replies.MyPointsReply,
       summary="Balance, expiring points and the ledger, newest first, by cursor")
def my_points(call):
    return activity.points_view(call.principal.clinic_id, _me(call), call.query.limit, call.query.cursor)


@route(bp, "/me/shares", methods=("POST",), roles=PATIENT, body=ShareBody, idempotent=IN_TRANSACTION,
       reply=replies.ShareReply, status=201, errors=("share_already_rewarded",),
       summary="Record a share of clinic content (earns the share rule's points once per share)")
def share(call):
    return 201, activity.share(call.principal, call.body.share_ref, call.idem)


@route(bp, "/me/redemptions", methods=("POST",), roles=PATIENT, body=RedeemBody, idempotent=IN_TRANSACTION,
       session_checked_by_service=True,
       reply=replies.RedeemReply, status=201,
       errors=("insufficient_points", "out_of_stock", "reward_limit_reached", "reward_not_found"),
       summary="Redeem a reward; never overdraws, a retried request is answered once")
def redeem(call):
    return 201, activity.redeem(call.principal, call.body.reward_id, call.idem)


@route(bp, "/me/redemptions", roles=PATIENT, query=Page, reply=replies.MyRedemptionsReply,
       summary="The caller's redemptions, newest first, each with the code the desk types, by cursor")
def my_redemptions(call):
    return redemption_service.mine(call.principal.clinic_id, call.principal.patient_id, call.query.limit,
                                   call.query.cursor)


@route(bp, "/me/inbox", roles=PATIENT, reply=replies.InboxReply, summary="The caller's in-app inbox, newest first")
def inbox(call):
    return inbox_service.view(call.principal.clinic_id, call.principal.patient_id)


@route(bp, "/me/inbox/{message_id}/read", methods=("POST",), roles=PATIENT,
       reply=replies.MarkReadReply,
       summary="Mark an inbox message read")
def mark_read(call):
    message = inbox_service.mark_read(call.principal.clinic_id, call.principal.patient_id, call.params["message_id"],
                                      iso(clock.now()))
    segments.record_event(call.principal.clinic_id, call.principal.patient_id)  # reading counts as an interaction
    return {"message": message}


@route(bp, "/me/referral", roles=PATIENT,
       reply=replies.ReferralReply,
       summary="The caller's invite code and mini-program share path")
def referral(call):
    return patient_service.referral(_me(call))