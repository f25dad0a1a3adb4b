"""Login routes: WeChat mini-program login, token refresh, staff sign-in (Cognito or WeCom)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.api import replies
from chalicelib.api.models import RefreshBody, StaffLogin, WechatLogin, WecomLogin
from chalicelib.api.routing import PUBLIC, route
from chalicelib.lazy import lazy

# The services each route calls, as type checkers and import analysis see them; at run time
# each module loads on first use, so a function's cold start pays only for what it runs.
if TYPE_CHECKING:
    from chalicelib.services import login, wecom
else:
    login = lazy("chalicelib.services.login")
    wecom = lazy("chalicelib.services.wecom")

bp: Blueprint = Blueprint(__name__)


@route(bp, "/auth/wechat/login", methods=("POST",), roles=PUBLIC, body=WechatLogin,
       reply=replies.SessionTokensReply, errors=("clinic_not_found", "invalid_wechat_code", "wechat_code_used", "wechat_user_blocked"),
       summary="Exchange a wx.login code for our session tokens (visitor until registered)")
def wechat_login(call):
    return login.wechat_login(call.body.clinic_id, call.body.code)


@route(bp, "/auth/refresh", methods=("POST",), roles=PUBLIC, body=RefreshBody,
       reply=replies.SessionTokensReply, errors=("invalid_token", "refresh_token_reused", "session_revoked"),
       summary="Exchange a patient refresh token for new tokens")
def refresh(call):
    return login.refresh_patient(call.body.refresh_token)


@route(bp, "/auth/staff/login", methods=("POST",), roles=PUBLIC, body=StaffLogin,
       reply=replies.StaffLoginReply,
       errors=("account_unknown", "invalid_credentials", "new_password_required", "wrong_identity_provider"),
       summary="Staff sign-in through the Cognito user pool")
def staff_login(call):
    return login.staff_login(call.body.username, call.body.password)


@route(bp, "/auth/staff/refresh", methods=("POST",), roles=PUBLIC, body=RefreshBody,
       reply=replies.StaffRefreshReply,
       errors=("invalid_token", "token_expired", "account_unknown", "account_disabled", "role_changed",
               "session_revoked"),
       summary="Refresh a staff id token (a Cognito refresh token, or ours on a WeCom stage)")
def staff_refresh(call):
    return login.staff_refresh(call.body.refresh_token)


@route(bp, "/auth/staff/providers", roles=PUBLIC, reply=replies.StaffProvidersReply,
       summary="How staff of this stage sign in: the Cognito user pool, or WeCom web login and its parameters")
def staff_providers(call):
    return wecom.providers()


@route(bp, "/auth/staff/wecom/login", methods=("POST",), roles=PUBLIC, body=WecomLogin,
       reply=replies.StaffLoginReply,
       errors=("clinic_not_found", "wrong_identity_provider", "invalid_wecom_code", "wecom_not_member",
               "account_unknown", "account_disabled", "session_revoked", "role_changed", "wecom_error",
               "wecom_unavailable"),
       summary="Exchange a WeCom web login code for staff session tokens of the clinic's matching account")
def staff_wecom_login(call):
    return wecom.sign_in(call.body.clinic_id, call.body.code)
