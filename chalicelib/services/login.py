"""Logging in: patients through WeChat code2session, staff through the Cognito user pool.

The WeChat session_key never leaves this module: it is neither stored, logged nor returned.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

from chalicelib import crypto
from chalicelib.aws import client
from chalicelib.config import settings
from chalicelib.errors import BadRequest, Conflict, Forbidden, Unauthorized, UpstreamError
from chalicelib.observability import logger
from chalicelib.services import sessions
from chalicelib.store import clinics, patients

# WeChat error codes a client can cause (a bad or reused code) versus the platform's own.
_CLIENT_CODES = {40029: "invalid_wechat_code", 40163: "wechat_code_used"}
BLOCKED_USER = 40226  # WeChat's risk control refuses this user's login to mini-programs


def code2session(code: str) -> dict:
    """The openid (and unionid) behind a fresh wx.login code; the session key is dropped."""
    session = _session(code)
    return {"openid": session["openid"], "unionid": session.get("unionid")}


def open_user_data(code: str, encrypted_data: str, iv: str) -> tuple[str, dict]:
    """(openid, data) for data WeChat encrypted with the session of a fresh wx.login code
    (wx.getWeRunData). The session key is used to decrypt and dropped; the data's watermark must
    name our AppID."""
    from chalicelib.channels import wechat

    session = _session(code)
    try:
        data = wechat.decrypt_user_data(str(session.get("session_key") or ""), encrypted_data, iv)
    except wechat.UndecryptableData as exc:
        raise BadRequest("the WeChat data does not decrypt with this login code", code="invalid_werun_data",
                         field="encrypted_data") from exc
    watermark = data.get("watermark")
    if not isinstance(watermark, dict) or watermark.get("appid") != settings().wechat_appid:
        raise BadRequest("the WeChat data was not made for this mini-program", code="invalid_werun_data",
                         field="encrypted_data")
    return session["openid"], data


def _session(code: str) -> dict:
    conf = settings()
    query = urllib.parse.urlencode({"appid": conf.wechat_appid, "secret": conf.wechat_secret, "js_code": code,
                                    "grant_type": "authorization_code"})
    url = f"{conf.wechat_api_base.rstrip('/')}/sns/jscode2session?{query}"
    try:
        with urllib.request.urlopen(url, timeout=5) as reply:
            data = json.loads(reply.read().decode("utf-8"))
    except (urllib.error.URLError, TimeoutError, ValueError) as exc:
        raise UpstreamError("WeChat login is unavailable, try again", code="wechat_unavailable") from exc
    errcode = int(data.get("errcode") or 0)
    if errcode == BLOCKED_USER:
        raise Forbidden("WeChat does not let this account sign in to mini-programs at the moment",
                        code="wechat_user_blocked", field="code")
    if errcode in _CLIENT_CODES:
        raise Unauthorized("WeChat login code was rejected", code=_CLIENT_CODES[errcode], field="code")
    if errcode or not data.get("openid"):
        logger.warning("code2session failed", extra={"errcode": errcode})
        raise UpstreamError("WeChat login failed, try again", code="wechat_error")
    return data


def wechat_login(clinic_id: str, code: str) -> dict:
    clinics.get(clinic_id)  # 404 for an unknown clinic before calling WeChat
    session = code2session(code)
    openid_hash = crypto.keyed_hash("openid", clinic_id, session["openid"])
    patient_id = patients.by_openid(clinic_id, openid_hash)
    return sessions.open_session(clinic_id, openid_hash, patient_id)


def refresh_patient(refresh_token: str) -> dict:
    return sessions.refresh(refresh_token)


def _password_auth(username: str, password: str) -> dict:
    """Cognito's answer to a username and password (tokens, or a challenge such as a first
    sign-in's new password); a wrong pair, or a stage whose staff use WeCom, is refused."""
    conf = settings()
    if conf.staff_identity != "cognito":
        raise BadRequest("staff of this stage sign in through WeCom", code="wrong_identity_provider")
    cognito = client("cognito-idp")
    try:
        reply: dict = cognito.initiate_auth(
            ClientId=conf.cognito_client_id, AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )
    except (cognito.exceptions.NotAuthorizedException, cognito.exceptions.UserNotFoundException) as exc:
        raise Unauthorized("wrong username or password", code="invalid_credentials") from exc
    return reply


def _signed_in(result: dict) -> dict:
    """The session answered for Cognito's tokens, the sign-in recorded in the audit trail."""
    reply = _staff_reply(result, refresh_token=result.get("RefreshToken"))
    from chalicelib.auth import authenticate
    from chalicelib.services import audit

    audit.record(authenticate("Bearer " + result["IdToken"]), audit.SIGN_IN)
    return reply


def staff_login(username: str, password: str) -> dict:
    reply = _password_auth(username, password)
    if reply.get("ChallengeName") == "NEW_PASSWORD_REQUIRED":
        raise Conflict("choose a new password to finish the first sign-in", code="new_password_required",
                       field="new_password")
    result = reply.get("AuthenticationResult")
    if not result:
        raise BadRequest("this account must finish setup (challenge " + reply.get("ChallengeName", "?") + ")",
                         code="challenge_required")
    return _signed_in(result)


def staff_new_password(username: str, password: str, new_password: str) -> dict:
    """An invited account's first sign-in: the temporary password, then the one the person chose."""
    reply = _password_auth(username, password)
    if reply.get("ChallengeName") != "NEW_PASSWORD_REQUIRED":
        raise Unauthorized("this account has no temporary password to replace", code="invalid_credentials")
    cognito = client("cognito-idp")
    try:
        done = cognito.respond_to_auth_challenge(
            ClientId=settings().cognito_client_id, ChallengeName="NEW_PASSWORD_REQUIRED", Session=reply["Session"],
            ChallengeResponses={"USERNAME": username, "NEW_PASSWORD": new_password},
        )
    except cognito.exceptions.InvalidPasswordException as exc:
        raise BadRequest("the new password is too weak: 10 or more characters with upper- and lower-case "
                         "letters and digits", code="weak_password", field="new_password") from exc
    return _signed_in(done["AuthenticationResult"])


def staff_refresh(refresh_token: str) -> dict:
    conf = settings()
    if conf.staff_identity == "wecom":
        from chalicelib.services import wecom

        return wecom.refresh(refresh_token)
    cognito = client("cognito-idp")
    try:
        reply = cognito.initiate_auth(ClientId=conf.cognito_client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                                      AuthParameters={"REFRESH_TOKEN": refresh_token})
    except cognito.exceptions.NotAuthorizedException as exc:
        raise Unauthorized("refresh token rejected", code="invalid_token") from exc
    return _staff_reply(reply["AuthenticationResult"], refresh_token=None)


def _staff_reply(result: dict, refresh_token: str | None) -> dict:
    from chalicelib.auth import authenticate

    principal = authenticate("Bearer " + result["IdToken"])
    sessions.require_live(principal)  # a disabled account or a changed role gets no token
    reply = {
        "id_token": result["IdToken"],
        "expires_in": result.get("ExpiresIn", 3600),
        "clinic_id": principal.clinic_id,
        "roles": list(principal.roles),
        "username": principal.username,
    }
    if refresh_token:
        reply["refresh_token"] = refresh_token
    return reply
