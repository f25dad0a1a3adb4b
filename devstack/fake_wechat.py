"""A stand-in for the WeChat server APIs on loopback, for the local stack and tests.

Implements code2session (`/sns/jscode2session`), access tokens (`/cgi-bin/token`) and
subscribe-message send (`/cgi-bin/message/subscribe/send`) and phone numbers
(`/wxa/business/getuserphonenumber`) with WeChat's own error codes: 40029 invalid code, 40163
code already used, 40001 invalid credential, 40013 invalid appid, 43101 user refused the message.
A login code `wx-<name>` maps to openid `o<name>` and works once, as on WeChat; codes never seen
before but shaped like that are accepted, anything else is 40029; a name starting `blocked` is
40226 (WeChat's risk control refusing that user's login).

The session key of a login code is derived from the code (`session_key_for`), so a test or the
mini-program's journey can encrypt a WeRun payload (wx.getWeRunData) with the key the server
will get for that code: `werun_payload(code, steps_by_day)` here, or over HTTP
`POST /_fake/werun` with `{"code": ..., "stepInfoList": [{"timestamp": ..., "step": ...}]}`,
which answers `{"encrypted_data": ..., "iv": ...}` exactly as WeChat encrypts it (AES-128-CBC,
PKCS#7, base64). A phone code `phone-<11 digits>` (getPhoneNumber) answers that number once;
any other is 40029.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class FakeWechat:
    def __init__(self, appid: str, secret: str):
        self.appid = appid
        self.secret = secret
        self.used_codes: set[str] = set()
        self.tokens: set[str] = set()
        self.refusing_openids: set[str] = set()
        self.sent: list[dict] = []
        self.lock = threading.Lock()

    def code2session(self, query: dict) -> dict:
        if query.get("appid") != self.appid:
            return {"errcode": 40013, "errmsg": "invalid appid"}
        if query.get("secret") != self.secret:
            return {"errcode": 40001, "errmsg": "invalid credential"}
        code = query.get("js_code", "")
        if not code.startswith("wx-") or len(code) < 4:
            return {"errcode": 40029, "errmsg": "invalid code"}
        with self.lock:
            if code in self.used_codes:
                return {"errcode": 40163, "errmsg": "code been used"}
            self.used_codes.add(code)
        name = code[3:].split(".", 1)[0]
        if name.startswith("blocked"):
            return {"errcode": 40226, "errmsg": "user is blocked by risk control"}
        return {"openid": "o" + name, "session_key": self.session_key_for(code)}

    def session_key_for(self, code: str) -> str:
        """The session key code2session answers for a login code (base64 of 16 bytes)."""
        return base64.b64encode(hmac.new(self.secret.encode(), code.encode(), hashlib.sha256).digest()[:16]).decode()

    def werun_payload(self, code: str, steps: list[dict], appid: str | None = None) -> dict:
        """What wx.getWeRunData hands the mini-program, for a session opened with `code`:
        `steps` is WeChat's stepInfoList ([{"timestamp": <local midnight, epoch s>, "step": n}]).
        `appid` overrides the watermark's (a payload made for another app)."""
        return encrypt_werun(self.session_key_for(code), {
            "stepInfoList": steps, "watermark": {"timestamp": 0, "appid": appid or self.appid}})

    def phone_number(self, query: dict, body: dict) -> dict:
        if query.get("access_token") not in self.tokens:
            return {"errcode": 40001, "errmsg": "invalid credential"}
        code = str(body.get("code") or "")
        match = re.fullmatch(r"phone-(\d{11})", code)
        with self.lock:
            if not match or code in self.used_codes:
                return {"errcode": 40029, "errmsg": "invalid code"}
            self.used_codes.add(code)
        number = match.group(1)
        return {"errcode": 0, "errmsg": "ok", "phone_info": {
            "phoneNumber": "+86" + number, "purePhoneNumber": number, "countryCode": "86",
            "watermark": {"timestamp": 0, "appid": self.appid}}}

    def token(self, query: dict) -> dict:
        if query.get("appid") != self.appid or query.get("secret") != self.secret:
            return {"errcode": 40001, "errmsg": "invalid credential"}
        token = secrets.token_hex(16)
        with self.lock:
            self.tokens.add(token)
        return {"access_token": token, "expires_in": 7200}

    def subscribe_send(self, query: dict, body: dict) -> dict:
        if query.get("access_token") not in self.tokens:
            return {"errcode": 40001, "errmsg": "invalid credential"}
        if body.get("touser") in self.refusing_openids:
            return {"errcode": 43101, "errmsg": "user refuse to accept the msg"}
        with self.lock:
            self.sent.append(body)
        return {"errcode": 0, "errmsg": "ok", "msgid": len(self.sent)}


def encrypt_werun(session_key: str, data: dict) -> dict:
    """Encrypt as WeChat does for wx.getWeRunData: AES-128-CBC with the base64 session key,
    a random 16-byte IV, PKCS#7 padding; both parts base64."""
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    iv = os.urandom(16)
    padder = padding.PKCS7(128).padder()
    plain = padder.update(json.dumps(data).encode()) + padder.finalize()
    encryptor = Cipher(algorithms.AES(base64.b64decode(session_key)), modes.CBC(iv)).encryptor()
    sealed = encryptor.update(plain) + encryptor.finalize()
    return {"encrypted_data": base64.b64encode(sealed).decode(), "iv": base64.b64encode(iv).decode()}


def _handler(fake: FakeWechat):
    class Handler(BaseHTTPRequestHandler):
        def _reply(self, data: dict) -> None:
            payload = json.dumps(data).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _query(self) -> dict:
            return {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}

        def do_GET(self):  # noqa: N802 (http.server's naming)
            path = urlparse(self.path).path
            if path == "/sns/jscode2session":
                self._reply(fake.code2session(self._query()))
            elif path == "/cgi-bin/token":
                self._reply(fake.token(self._query()))
            else:
                self._reply({"errcode": 404, "errmsg": "not found"})

        def do_POST(self):  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                body = {}
            path = urlparse(self.path).path
            if path == "/cgi-bin/message/subscribe/send":
                self._reply(fake.subscribe_send(self._query(), body))
            elif path == "/wxa/business/getuserphonenumber":
                self._reply(fake.phone_number(self._query(), body))
            elif path == "/_fake/werun":  # the fake's own helper, not a WeChat API
                self._reply(fake.werun_payload(str(body.get("code") or ""), list(body.get("stepInfoList") or [])))
            else:
                self._reply({"errcode": 404, "errmsg": "not found"})

        def log_message(self, *args):
            pass

    return Handler


def serve(appid: str, secret: str, host: str = "127.0.0.1", port: int = 0) -> tuple[FakeWechat, ThreadingHTTPServer]:
    """Start the fake in a daemon thread; returns it and the server (server.server_port is the port)."""
    fake = FakeWechat(appid, secret)
    server = ThreadingHTTPServer((host, port), _handler(fake))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return fake, server


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Run the fake WeChat server")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--appid", default="wx-local-app")
    parser.add_argument("--secret", default="local-wechat-secret")
    args = parser.parse_args()
    _, srv = serve(args.appid, args.secret, port=args.port)
    print(f"fake WeChat on http://127.0.0.1:{srv.server_port}", flush=True)
    threading.Event().wait()
