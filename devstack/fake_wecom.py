"""A stand-in for WeCom (企业微信) web login on loopback, for the local stack and tests.

Implements what staff sign-in uses, with WeCom's request and answer shapes and error codes:
`GET /cgi-bin/gettoken?corpid=&corpsecret=` (40013 invalid CorpID, 40001 invalid secret),
`GET /cgi-bin/auth/getuserinfo?access_token=&code=` (40014 invalid access token, 42001 expired,
40029 invalid code; a member gets `userid`, someone outside the corp `openid`) and the login page
`GET /wwlogin/sso/login?login_type=CorpApp&appid=&agentid=&redirect_uri=&state=`.

WeCom's page shows a QR code that the member scans with the WeCom app; this one shows a form
where you type the UserID of the member who "scans" (a UserID starting `outsider` is someone
outside the corp), and redirects to `redirect_uri?code=...&state=...` as WeCom does. A code works
once. Tests mint codes directly: `fake.code_for(userid)`, or `POST /_fake/code {"userid": ...}`.
"""

from __future__ import annotations

import html
import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse


class FakeWecom:
    def __init__(self, corp_id: str, secret: str, agent_id: str):
        self.corp_id = corp_id
        self.secret = secret
        self.agent_id = agent_id
        self.tokens: set[str] = set()
        self.codes: dict[str, str] = {}  # code -> userid, until used
        self.token_calls = 0
        self.lock = threading.Lock()

    def code_for(self, userid: str) -> str:
        """What WeCom hands the redirect after `userid` scanned the QR code."""
        code = "wc-" + secrets.token_urlsafe(12)
        with self.lock:
            self.codes[code] = userid
        return code

    def expire_tokens(self) -> None:
        """WeCom may end an access token before its time: every token answers 42001 from now on."""
        with self.lock:
            self.tokens.clear()

    def gettoken(self, query: dict) -> dict:
        if query.get("corpid") != self.corp_id:
            return {"errcode": 40013, "errmsg": "invalid corpid"}
        if query.get("corpsecret") != self.secret:
            return {"errcode": 40001, "errmsg": "invalid credential"}
        token = secrets.token_hex(16)
        with self.lock:
            self.tokens.add(token)
            self.token_calls += 1
        return {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200}

    def getuserinfo(self, query: dict) -> dict:
        token = query.get("access_token") or ""
        with self.lock:
            if token not in self.tokens:
                return ({"errcode": 42001, "errmsg": "access_token expired"} if len(token) == 32
                        else {"errcode": 40014, "errmsg": "invalid access_token"})
            userid = self.codes.pop(query.get("code") or "", None)
        if userid is None:
            return {"errcode": 40029, "errmsg": "invalid code"}
        if userid.startswith("outsider"):
            return {"errcode": 0, "errmsg": "ok", "openid": "o" + userid}
        return {"errcode": 0, "errmsg": "ok", "userid": userid}

    def login_problem(self, query: dict) -> str | None:
        if query.get("login_type") != "CorpApp":
            return "login_type 须为 CorpApp"
        if query.get("appid") != self.corp_id or query.get("agentid") != self.agent_id:
            return "appid 或 agentid 与企业的应用不符"
        if not (query.get("redirect_uri") or "").startswith(("http://", "https://")):
            return "redirect_uri 无效"
        return None


def _login_page(query: dict, problem: str | None) -> str:
    hidden = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                     for k, v in query.items() if k in ("redirect_uri", "state"))
    body = (f'<p role="alert">{html.escape(problem)}</p>' if problem else
            f'<form method="post" action="/wwlogin/sso/confirm">{hidden}'
            '<label for="userid">扫码成员的 UserID</label> <input id="userid" name="userid" required> '
            '<button type="submit">确认登录</button></form>')
    return ('<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>企业微信登录（本地模拟）</title>'
            '</head><body><h1>企业微信登录（本地模拟）</h1>'
            '<p>真实的企业微信在此显示二维码，成员用企业微信扫码确认。</p>' + body + '</body></html>')


def _handler(fake: FakeWecom):
    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, payload: bytes, content_type: str, headers: dict | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def _json(self, data: dict) -> None:
            self._send(200, json.dumps(data).encode(), "application/json")

        def _query(self) -> dict:
            return {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}

        def do_GET(self):  # noqa: N802 (http.server's naming)
            path = urlparse(self.path).path
            if path == "/cgi-bin/gettoken":
                self._json(fake.gettoken(self._query()))
            elif path == "/cgi-bin/auth/getuserinfo":
                self._json(fake.getuserinfo(self._query()))
            elif path == "/wwlogin/sso/login":
                query = self._query()
                self._send(200, _login_page(query, fake.login_problem(query)).encode(), "text/html; charset=utf-8")
            else:
                self._json({"errcode": 404, "errmsg": "not found"})

        def do_POST(self):  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) or b""
            path = urlparse(self.path).path
            if path == "/wwlogin/sso/confirm":
                form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                target = form.get("redirect_uri") or ""
                if not target.startswith(("http://", "https://")) or not form.get("userid"):
                    self._send(400, "缺少 redirect_uri 或 UserID".encode(), "text/plain; charset=utf-8")
                    return
                joiner = "&" if urlparse(target).query else "?"
                where = target + joiner + urlencode({"code": fake.code_for(form["userid"]),
                                                     "state": form.get("state") or ""})
                self._send(302, b"", "text/plain", {"Location": where})
            elif path == "/_fake/code":  # the fake's own helper, not a WeCom API
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {}
                self._json({"code": fake.code_for(str(body.get("userid") or ""))})
            else:
                self._json({"errcode": 404, "errmsg": "not found"})

        def log_message(self, *args):
            pass

    return Handler


def serve(corp_id: str, secret: str, agent_id: str, host: str = "127.0.0.1",
          port: int = 0) -> tuple[FakeWecom, ThreadingHTTPServer]:
    """Start the fake in a daemon thread; returns it and the server (server.server_port is the port)."""
    fake = FakeWecom(corp_id, secret, agent_id)
    server = ThreadingHTTPServer((host, port), _handler(fake))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return fake, server


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Run the fake WeCom server")
    parser.add_argument("--port", type=int, default=8091)
    parser.add_argument("--corp-id", default="ww-local-corp")
    parser.add_argument("--secret", default="local-wecom-secret")
    parser.add_argument("--agent-id", default="1000002")
    args = parser.parse_args()
    _, srv = serve(args.corp_id, args.secret, args.agent_id, port=args.port)
    print(f"fake WeCom on http://127.0.0.1:{srv.server_port}", flush=True)
    threading.Event().wait()
