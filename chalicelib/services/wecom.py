"""Staff sign-in through WeCom (企业微信) web login, for stages without a Cognito user pool.

The admin site sends the member to WeCom's login page (`login_url`); WeCom sends them back with a
one-time `code`, which the API exchanges for the member's UserID with the corp's access token
(`gettoken`, then `auth/getuserinfo`). The UserID is matched to the staff account of the clinic
it was linked to (store.sessions.link_wecom), and the API issues its own staff session tokens
(auth.issue_staff_tokens), checked on every request like Cognito's (sessions.check_staff).
The corp secret and access token are never logged or returned.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from chalicelib import auth
from chalicelib.config import settings
from chalicelib.errors import BadRequest, Forbidden, Unauthorized, UpstreamError
from chalicelib.observability import logger
from chalicelib.services import sessions
from chalicelib.store import clinics
from chalicelib.store import sessions as store

# WeCom error codes (developer.work.weixin.qq.com, 全局错误码) this module tells apart.
INVALID_CODE = 40029  # the code is wrong, used already or older than five minutes
TOKEN_CODES = {40014, 42001}  # access token invalid or expired: fetch a new one and try once more
SETUP_CODES = {40001, 40013, 40091, 50001}  # bad secret, bad CorpID, secret invalid, redirect domain not trusted

_token: dict = {}
_lock = threading.Lock()


def forget_token() -> None:
    """Drop the cached access token (tests and the local stack start a new fake server)."""
    with _lock:
        _token.clear()


def providers() -> dict:
    """What the admin site needs to show the sign-in of this stage (nothing secret)."""
    conf = settings()
    reply: dict = {"staff_identity": conf.staff_identity}
    if conf.staff_identity == "wecom":
        reply["wecom"] = {"login_url": f"{conf.wecom_login_base.rstrip('/')}/wwlogin/sso/login",
                          "login_type": "CorpApp", "appid": conf.wecom_corp_id, "agentid": conf.wecom_agent_id}
    return reply


def require_wecom() -> None:
    if settings().staff_identity != "wecom":
        raise BadRequest("staff of this stage sign in with a user name and password", code="wrong_identity_provider")


def _get(path: str, query: dict) -> dict:
    conf = settings()
    url = f"{conf.wecom_api_base.rstrip('/')}/cgi-bin/{path}?{urllib.parse.urlencode(query)}"
    try:
        with urllib.request.urlopen(url, timeout=5) as reply:
            data = json.loads(reply.read().decode("utf-8"))
    except (urllib.error.URLError, TimeoutError, ValueError) as exc:
        raise UpstreamError("WeCom sign-in is unavailable, try again", code="wecom_unavailable") from exc
    if not isinstance(data, dict):
        raise UpstreamError("WeCom answered something unexpected", code="wecom_error")
    return data


def _failed(step: str, errcode: int) -> UpstreamError:
    logger.warning("WeCom call failed", extra={"step": step, "errcode": errcode})
    if errcode in SETUP_CODES:
        return UpstreamError("WeCom sign-in is not set up correctly for this deployment", code="wecom_error")
    return UpstreamError("WeCom sign-in failed, try again", code="wecom_error")


def access_token(fresh: bool = False) -> str:
    """The corp's access token for the sign-in app, cached until shortly before WeCom's expiry."""
    conf = settings()
    with _lock:
        if not fresh and _token.get("value") and _token.get("until", 0) > time.monotonic():
            return _token["value"]
    data = _get("gettoken", {"corpid": conf.wecom_corp_id, "corpsecret": conf.wecom_secret})
    errcode = int(data.get("errcode") or 0)
    if errcode or not data.get("access_token"):
        raise _failed("gettoken", errcode)
    with _lock:
        _token.update(value=data["access_token"], until=time.monotonic() + int(data.get("expires_in") or 7200) - 300)
    return data["access_token"]


def userid_for(code: str) -> str:
    """The UserID of the corp member who signed in with `code` (single use, five minutes)."""
    data = _get("auth/getuserinfo", {"access_token": access_token(), "code": code})
    errcode = int(data.get("errcode") or 0)
    if errcode in TOKEN_CODES:
        data = _get("auth/getuserinfo", {"access_token": access_token(fresh=True), "code": code})
        errcode = int(data.get("errcode") or 0)
    if errcode == INVALID_CODE:
        raise Unauthorized("the WeCom sign-in code was rejected; scan the QR code again", code="invalid_wecom_code",
                           field="code")
    if errcode:
        raise _failed("getuserinfo", errcode)
    userid = data.get("userid") or data.get("UserId")
    if not userid:
        # someone outside the corp (WeCom answers an openid): never staff
        raise Forbidden("this WeCom user is not a member of the clinic's organisation", code="wecom_not_member",
                        field="code")
    return str(userid)


def _reply(tokens: dict, account: store.StaffAccount, with_refresh: bool) -> dict:
    """The shape of the Cognito sign-in's reply, so the admin site treats both alike: the
    access token goes as `id_token`. A refresh keeps the refresh token it was given."""
    reply = {"id_token": tokens["access_token"], "expires_in": tokens["expires_in"], "clinic_id": account.clinic_id,
             "roles": [account.role], "username": account.username}
    if with_refresh:
        reply["refresh_token"] = tokens["refresh_token"]
    return reply


def sign_in(clinic_id: str, code: str) -> dict:
    """Tokens for the staff account of `clinic_id` the WeCom member behind `code` signs in as."""
    require_wecom()
    clinics.get(clinic_id)  # 404 for an unknown clinic before calling WeCom
    userid = userid_for(code)
    account = store.staff_by_wecom(clinic_id, userid)
    if account is None:
        logger.info("WeCom member has no account in the clinic", extra={"clinic_id": clinic_id})
        raise Unauthorized("this WeCom member has no staff account in this clinic", code="account_unknown",
                           field="code")
    tokens = auth.issue_staff_tokens(clinic_id, account.subject, account.username, account.role)
    sessions.require_live(auth.authenticate("Bearer " + tokens["access_token"]))  # disabled: no tokens
    return _reply(tokens, account, with_refresh=True)


def refresh(refresh_token: str) -> dict:
    """New tokens for a live account; a disabled, re-roled or signed-out account gets none."""
    principal = auth.decode_staff_refresh(refresh_token)
    account = store.staff_account(principal.clinic_id, principal.subject)
    sessions.check_staff(principal, account)
    assert account is not None
    return _reply(auth.issue_staff_tokens(principal.clinic_id, account.subject, account.username, account.role),
                  account, with_refresh=False)
