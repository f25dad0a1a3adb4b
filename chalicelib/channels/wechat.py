"""WeChat subscribe messages (订阅消息): one accepted opt-in allows one send of its template.

The quota is spent by the sender before this is called (store.recall.begin_external). Error
43101 means the user refused or has no quota left: it is never retried. The access token is
kept per container until shortly before it expires.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request

from chalicelib.config import settings
from chalicelib.domain.delivery import Message, Outcome

name = "wechat"
external = True
REFUSED = 43101
_TOKEN_ERRORS = {40001, 42001, 40014}
_token: dict = {}


def forget_token() -> None:
    _token.clear()


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as reply:
        return json.loads(reply.read().decode("utf-8"))


def _post(url: str, body: dict) -> dict:
    request = urllib.request.Request(url, data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=5) as reply:
        return json.loads(reply.read().decode("utf-8"))


def access_token(force: bool = False) -> str:
    if not force and _token.get("value") and _token["until"] > time.monotonic():
        return _token["value"]
    conf = settings()
    query = urllib.parse.urlencode({"grant_type": "client_credential", "appid": conf.wechat_appid,
                                    "secret": conf.wechat_secret})
    data = _get(f"{conf.wechat_api_base.rstrip('/')}/cgi-bin/token?{query}")
    if not data.get("access_token"):
        raise RuntimeError(f"WeChat token refused ({data.get('errcode')})")
    _token.update(value=data["access_token"], until=time.monotonic() + int(data.get("expires_in", 7200)) - 300)
    return _token["value"]


def reachable(target, message: Message) -> bool:
    """A quota for the template and an openid; with a clinic's template setting, also values that
    keep its keys' rules (a message WeChat would refuse is left to the next channel unspent)."""
    if not (message.template_id and target.quotas.get(message.template_id, 0) > 0):
        return False
    if "wechat" in message.templates and not fillable(message):
        return False
    return bool(target.openid())


def fillable(message: Message) -> bool:
    from chalicelib.domain.templates import TemplateError

    try:
        _data(message)
    except TemplateError:
        return False
    return True


def _data(message: Message) -> dict:
    """The template's data: the clinic's mapping of our fields onto its typed keys, each fitted to
    its type (domain.templates); without one, title and text in thing1 and thing2 as before."""
    setting = message.templates.get("wechat")
    if setting:
        from chalicelib.domain.templates import wechat_data

        return wechat_data(setting, {**message.values, "body": message.body})
    from chalicelib.domain.templates import THING_MAX, cut

    data = {"thing1": {"value": message.title[:THING_MAX]},
            "thing2": {"value": cut(" ".join(message.body.split()), THING_MAX)}}
    data.update({k: {"value": str(v)[:20]} for k, v in message.data.items()})
    return data


def payload(openid: str, message: Message) -> dict:
    """The subscribeMessage.send body; TemplateError when a value cannot keep its key's rule."""
    return {"touser": openid, "template_id": message.template_id, "page": message.link, "data": _data(message)}


def send(target, message: Message) -> Outcome:
    from chalicelib.domain.templates import TemplateError

    base = settings().wechat_api_base.rstrip("/")
    try:
        body = payload(target.openid(), message)
    except TemplateError as err:
        return Outcome("failed", err.code)  # never sent: WeChat would answer 47003
    try:
        for attempt in range(2):
            token = access_token(force=attempt > 0)
            reply = _post(f"{base}/cgi-bin/message/subscribe/send?access_token={urllib.parse.quote(token)}", body)
            code = int(reply.get("errcode") or 0)
            if code not in _TOKEN_ERRORS:
                break
    except (urllib.error.URLError, TimeoutError, ValueError, RuntimeError):
        return Outcome("failed", "unreachable")
    if code == 0:
        return Outcome("sent")
    if code == REFUSED:
        return Outcome("refused", str(code))
    return Outcome("failed", str(code))


class PhoneCodeRefused(Exception):
    """WeChat refused a getPhoneNumber code (unknown, used or expired: errcode 40029)."""


class WechatUnavailable(Exception):
    """WeChat could not be reached or answered with an error of its own."""


def phone_number(code: str) -> str:
    """The phone number behind a getPhoneNumber button's code (`phone_info.purePhoneNumber`,
    without country code), exchanged once with WeChat. The number is never logged."""
    base = settings().wechat_api_base.rstrip("/")
    try:
        for attempt in range(2):
            token = access_token(force=attempt > 0)
            reply = _post(f"{base}/wxa/business/getuserphonenumber?access_token={urllib.parse.quote(token)}",
                          {"code": code})
            errcode = int(reply.get("errcode") or 0)
            if errcode not in _TOKEN_ERRORS:
                break
    except (urllib.error.URLError, TimeoutError, ValueError, RuntimeError) as exc:
        raise WechatUnavailable("unreachable") from exc
    if errcode in (40029, 40163, 40125):
        raise PhoneCodeRefused(str(errcode))
    number = (reply.get("phone_info") or {}).get("purePhoneNumber")
    if errcode or not number:
        raise WechatUnavailable(str(errcode))
    return str(number)


class UndecryptableData(Exception):
    """Encrypted user data (wx.getWeRunData ...) that is not valid base64, does not decrypt with
    the session key or is not the JSON object WeChat seals."""


def decrypt_user_data(session_key: str, encrypted_data: str, iv: str) -> dict:
    """Open data WeChat encrypted for the mini-program: AES-128-CBC, the key and IV base64,
    PKCS#7 padding, a JSON object inside. The key is used here only, never kept."""
    import base64
    import binascii

    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    try:
        key = base64.b64decode(session_key, validate=True)
        vector = base64.b64decode(iv, validate=True)
        sealed = base64.b64decode(encrypted_data, validate=True)
        if len(key) != 16 or len(vector) != 16 or not sealed or len(sealed) % 16:
            raise UndecryptableData("wrong sizes")
        decryptor = Cipher(algorithms.AES(key), modes.CBC(vector)).decryptor()
        padded = decryptor.update(sealed) + decryptor.finalize()
        unpadder = padding.PKCS7(128).unpadder()
        plain = unpadder.update(padded) + unpadder.finalize()
        data = json.loads(plain.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise UndecryptableData(type(exc).__name__) from exc
    if not isinstance(data, dict):
        raise UndecryptableData("not an object")
    return data
