"""Staff accounts and clinics: an admin invites, re-roles, disables and enables the clinic's staff;
the platform's operators create clinics with their first admin. A first sign-in with a temporary
password chooses a new one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.api import replies
from chalicelib.api.models import CreateClinicBody, NewPasswordBody, StaffInviteBody, StaffRoleBody
from chalicelib.api.routing import ADMIN, OPERATOR, PUBLIC, route
from chalicelib.lazy import lazy

if TYPE_CHECKING:
    from chalicelib.services import clinics, login, staff_accounts
else:
    clinics = lazy("chalicelib.services.clinics")
    login = lazy("chalicelib.services.login")
    staff_accounts = lazy("chalicelib.services.staff_accounts")

bp: Blueprint = Blueprint(__name__)


def _by(call) -> str:
    return call.principal.username or call.principal.subject


@route(bp, "/staff", roles=ADMIN, reply=replies.StaffListReply,
       summary="The clinic's staff accounts with their role and status")
def list_staff(call):
    return {"items": staff_accounts.listing(call.principal.clinic_id)}


@route(bp, "/staff", methods=("POST",), roles=ADMIN, body=StaffInviteBody, idempotent=True,
       reply=replies.StaffAccountReply, status=201, errors=("invalid_username", "username_taken"),
       summary="Invite a colleague: a new account of a role and a temporary password, answered once")
def invite_staff(call):
    return 201, staff_accounts.invite(call.principal.clinic_id, call.body.username, call.body.role, _by(call))


@route(bp, "/staff/{username}/role", methods=("PUT",), roles=ADMIN, body=StaffRoleBody,
       reply=replies.StaffAccountReply, errors=("account_not_found", "last_admin", "own_account"),
       summary="Give a staff account another role; its signed-in sessions end")
def set_staff_role(call):
    return staff_accounts.set_role(call.principal.clinic_id, call.params["username"], call.body.role, by=_by(call))


@route(bp, "/staff/{username}/disable", methods=("POST",), roles=ADMIN,
       reply=replies.StaffAccountReply, errors=("account_not_found", "last_admin", "own_account"),
       summary="Disable a staff account: no sign-in, and its sessions end at once")
def disable_staff(call):
    return staff_accounts.disable(call.principal.clinic_id, call.params["username"], by=_by(call))


@route(bp, "/staff/{username}/enable", methods=("POST",), roles=ADMIN,
       reply=replies.StaffAccountReply, errors=("account_not_found",),
       summary="Enable a disabled staff account again")
def enable_staff(call):
    return staff_accounts.enable(call.principal.clinic_id, call.params["username"], by=_by(call))


@route(bp, "/auth/staff/new-password", methods=("POST",), roles=PUBLIC, body=NewPasswordBody,
       reply=replies.StaffLoginReply, errors=("invalid_credentials", "weak_password"),
       summary="First sign-in of an invited account: the temporary password and the new one; answers the session")
def new_password(call):
    return login.staff_new_password(call.body.username, call.body.password, call.body.new_password)


@route(bp, "/clinics", roles=OPERATOR, reply=replies.ClinicListReply,
       summary="Every clinic of the platform (operators)")
def list_clinics(call):
    return {"items": clinics.registry()}


@route(bp, "/clinics", methods=("POST",), roles=OPERATOR, body=CreateClinicBody, idempotent=True,
       reply=replies.CreateClinicReply, status=201,
       errors=("clinic_exists", "invalid_clinic_id", "invalid_tz", "unknown_condition", "invalid_username",
               "username_taken"),
       summary="Create a clinic with today's default settings and its first admin (temporary password, once)")
def create_clinic(call):
    b = call.body
    return 201, clinics.create_with_admin(b.clinic_id, b.name, b.tz, tuple(b.conditions), b.admin_username,
                                          by=_by(call))
