"""A stand-in for the Tencent Cloud SMS API (2021-01-11) on loopback, for the local stack and
tests: the official SDK is pointed at it (TENCENT_SMS_ENDPOINT=127.0.0.1:<port>).

Answers `SendSms` and `PullSmsSendStatus` (the action in the X-TC-Action header, JSON bodies, the
answer inside `{"Response": ...}`) with Tencent's shapes and error codes: a SecretId other than
the configured one is `AuthFailure.SecretIdNotFound`, an unknown SmsSdkAppId
`InvalidParameterValue.SdkAppIdNotExist`, a sign name not approved `FailedOperation.SignatureIncorrectOrUnapproved`, a template not approved
`FailedOperation.TemplateIncorrectOrUnapproved`, a wrong number of template variables
`InvalidParameterValue.TemplateParameterFormatError`, a number that is not a mobile number
`InvalidParameterValue.IncorrectPhoneNumber` (per number, in SendStatusSet).

Every message it accepts is kept in `sent` (number, template, variables, session context) and gets
a delivery receipt, `SUCCESS` unless the number is in `undeliverable` (then `FAIL`); each receipt
is handed out once by PullSmsSendStatus, as Tencent does. The signature is not verified.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET_ID = "local-sms-secret-id"
APP_ID = "1400000000"
SIGN_NAME = "齿护口腔"
# approved templates: id -> number of variables
TEMPLATES = {"2000001": 2, "2000002": 2}


class FakeSms:
    def __init__(self, secret_id: str = SECRET_ID, app_id: str = APP_ID, sign_names=(SIGN_NAME,),
                 templates: dict | None = None):
        self.secret_id = secret_id
        self.app_id = app_id
        self.sign_names = set(sign_names)
        self.templates = dict(TEMPLATES if templates is None else templates)
        self.sent: list[dict] = []
        self.pending: list[dict] = []  # receipts not yet pulled
        self.undeliverable: set[str] = set()  # E.164 numbers whose messages are not delivered
        self.lock = threading.Lock()

    @staticmethod
    def _error(code: str, message: str) -> dict:
        return {"Error": {"Code": code, "Message": message}, "RequestId": secrets.token_hex(8)}

    def send_sms(self, body: dict) -> dict:
        if body.get("SmsSdkAppId") != self.app_id:
            return self._error("InvalidParameterValue.SdkAppIdNotExist", "SdkAppId not exist")
        if body.get("SignName") not in self.sign_names:
            return self._error("FailedOperation.SignatureIncorrectOrUnapproved", "signature unapproved")
        template = str(body.get("TemplateId") or "")
        if template not in self.templates:
            return self._error("FailedOperation.TemplateIncorrectOrUnapproved", "template unapproved")
        values = list(body.get("TemplateParamSet") or [])
        if len(values) != self.templates[template]:
            return self._error("InvalidParameterValue.TemplateParameterFormatError", "template parameter error")
        statuses = []
        for number in body.get("PhoneNumberSet") or []:
            serial = "2433:" + secrets.token_hex(10)
            if not re.fullmatch(r"\+861[3-9]\d{9}", str(number)):
                statuses.append({"SerialNo": "", "PhoneNumber": number, "Fee": 0, "SessionContext": "",
                                 "Code": "InvalidParameterValue.IncorrectPhoneNumber",
                                 "Message": "incorrect phone number", "IsoCode": ""})
                continue
            context = body.get("SessionContext") or ""
            with self.lock:
                self.sent.append({"number": number, "template_id": template, "params": values,
                                  "sign_name": body.get("SignName"), "session_context": context, "serial": serial})
                delivered = number not in self.undeliverable
                self.pending.append({
                    "UserReceiveTime": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
                    "CountryCode": "86", "SubscriberNumber": number[3:], "PhoneNumber": number,
                    "SerialNo": serial, "ReportStatus": "SUCCESS" if delivered else "FAIL",
                    "Description": "DELIVRD" if delivered else "MK:0001", "SessionContext": context})
            statuses.append({"SerialNo": serial, "PhoneNumber": number, "Fee": 1, "SessionContext": context,
                             "Code": "Ok", "Message": "send success", "IsoCode": "CN"})
        return {"SendStatusSet": statuses, "RequestId": secrets.token_hex(8)}

    def pull_status(self, body: dict) -> dict:
        if body.get("SmsSdkAppId") != self.app_id:
            return self._error("InvalidParameterValue.SdkAppIdNotExist", "SdkAppId not exist")
        limit = max(1, min(int(body.get("Limit") or 100), 100))
        with self.lock:
            handed, self.pending = self.pending[:limit], self.pending[limit:]
        return {"PullSmsSendStatusSet": handed, "RequestId": secrets.token_hex(8)}

    def answer(self, action: str, authorization: str, body: dict) -> dict:
        match = re.search(r"Credential=([^/]+)/", authorization or "")
        if not match or match.group(1) != self.secret_id:
            return self._error("AuthFailure.SecretIdNotFound", "secret id not found")
        if action == "SendSms":
            return self.send_sms(body)
        if action == "PullSmsSendStatus":
            return self.pull_status(body)
        return self._error("InvalidAction", f"action {action} not found")


def _handler(fake: FakeSms):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                body = {}
            reply = fake.answer(self.headers.get("X-TC-Action") or "", self.headers.get("Authorization") or "",
                                body if isinstance(body, dict) else {})
            payload = json.dumps({"Response": reply}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    return Handler


def serve(host: str = "127.0.0.1", port: int = 0, **options) -> tuple[FakeSms, ThreadingHTTPServer]:
    """Start the fake in a daemon thread; returns it and the server (server.server_port is the port)."""
    fake = FakeSms(**options)
    server = ThreadingHTTPServer((host, port), _handler(fake))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return fake, server


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Run the fake Tencent Cloud SMS endpoint")
    parser.add_argument("--port", type=int, default=8092)
    args = parser.parse_args()
    _, srv = serve(port=args.port)
    print(f"fake Tencent Cloud SMS on 127.0.0.1:{srv.server_port}", flush=True)
    threading.Event().wait()
