"""Login routes: WeChat mini-program login, token refresh, staff sign-in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.api import replies
from chalicelib.api.models import RefreshBody, StaffLogin, WechatLogin
from chalicelib.api.routing import PUBLIC, route
from chalicelib.lazy import lazy

# The services each route calls, as type checkers and import analysis see them; at run time
# each module loads on first use, so a function's cold start pays only for what it runs.
if TYPE_CHECKING:
    from chalicelib.services import login
else:
    login = lazy("chalicelib.services.login")

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
       reply=replies.StaffLoginReply, errors=("account_unknown", "invalid_credentials", "new_password_required"),
       summary="Staff sign-in through the Cognito user pool")
def staff_login(call):
    return login.staff_login(call.body.username, call.body.password)


@route(bp, "/auth/staff/refresh", methods=("POST",), roles=PUBLIC, body=RefreshBody,
       reply=replies.StaffRefreshReply, errors=("invalid_token",), summary="Refresh a staff id token")
def staff_refresh(call):
    return login.staff_refresh(call.body.refresh_token)
