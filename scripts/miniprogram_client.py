#!/usr/bin/env python3
"""A smoke check of a running Revisit API as the WeChat mini-program would reach it, printing each step.

    python scripts/miniprogram_client.py http://127.0.0.1:8000 [--name dd0000] [--clinic demo-dental]

Logs in with a wx.login-style code (`wx-<name>.<n>`: the local fake WeChat maps it to the
openid `o<name>` and accepts each code once), registers if this WeChat user has no record yet,
reads the profile, checks in a glucose reading and counts the inbox. Exits non-zero on any
unexpected reply. Standard library only, so it runs with any Python 3.9+.

The patient's whole journey (consent, verified phone, challenges, rewards, reminders, invites,
subscriptions, WeRun, export and deletion) runs through the mini-program's own API module in
miniprogram/journey/journey.js (tests/e2e/test_miniprogram_journey.py); this script stays a quick
check that needs no Node.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone


class UnexpectedReply(Exception):
    pass


class Api:
    def __init__(self, base: str, verbose: bool = True):
        self.base = base.rstrip("/")
        self.token: str | None = None
        self.verbose = verbose

    def call(self, method: str, path: str, body=None, expect=(200,), headers: dict | None = None):
        sent = {"Content-Type": "application/json", "X-Request-Id": uuid.uuid4().hex, **(headers or {})}
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=sent)
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                status, raw, reply_headers = reply.status, reply.read(), dict(reply.headers)
        except urllib.error.HTTPError as err:
            status, raw, reply_headers = err.code, err.read(), dict(err.headers)
        except urllib.error.URLError as err:
            raise UnexpectedReply(f"{method} {path}: cannot reach the API ({err.reason})") from err
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = raw.decode("utf-8", "replace")
        if status not in expect:
            raise UnexpectedReply(f"{method} {path}: HTTP {status}, expected {'/'.join(map(str, expect))}: {payload}")
        return status, payload, {k.lower(): v for k, v in reply_headers.items()}


def step(text: str) -> None:
    print(f"- {text}", flush=True)


def phone_for(name: str) -> str:
    """A stable mobile number per name; seeded demo patients never use the 199 prefix."""
    digits = int(hashlib.sha256(name.encode()).hexdigest(), 16) % 10**8
    return f"199{digits:08d}"


def run(base: str, clinic: str, name: str, tz_offset_hours: int = 8) -> dict:
    api = Api(base)
    summary: dict = {"name": name, "clinic_id": clinic}

    _, health, _ = api.call("GET", "/health")
    step(f"API is up at {api.base}: {health}")

    code = f"wx-{name}.{uuid.uuid4().hex[:8]}"
    _, login, _ = api.call("POST", "/auth/wechat/login", {"clinic_id": clinic, "code": code})
    api.token = login["access_token"]
    step(f"wx.login code {code} -> {'patient ' + login['patient_id'] if login['registered'] else 'visitor (no record yet)'}")

    summary["registered"] = not login["registered"]
    if not login["registered"]:
        record = {
            "name": "小程序用户", "phone": phone_for(name), "birth_year": 1990, "sex": "F",
            "conditions": ["diabetes"], "department": "endocrinology",
            "consents": {"service": True, "marketing": False, "analytics": True}, "consent_version": "v1",
        }
        _, registered, _ = api.call("POST", "/me/register", record, expect=(201,))
        api.token = registered["access_token"]
        step(f"registered (建档) as patient {registered['patient']['patient_id']}")

    _, me, _ = api.call("GET", "/me")
    patient = me["patient"]
    summary["patient_id"] = patient["patient_id"]
    step(f"profile: {patient['name'][0]}** · balance {patient['balance']}")

    zone = timezone(timedelta(hours=tz_offset_hours))
    reading = {"type": "glucose", "value": 6.2, "client_time": datetime.now(zone).isoformat(timespec="seconds")}
    _, checkin, _ = api.call("POST", "/me/checkins", reading, expect=(201,),
                             headers={"Idempotency-Key": f"checkin-{uuid.uuid4().hex}"})
    step(f"glucose 6.2 mmol/L checked in for {checkin['checkin']['local_date']}: balance {checkin['balance']}")

    _, inbox, _ = api.call("GET", "/me/inbox")
    step(f"inbox: {len(inbox['items'])} message(s), {inbox['unread']} unread")
    summary.update(balance=checkin["balance"], unread=inbox["unread"])
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base_url", help="the API, e.g. http://127.0.0.1:8000")
    parser.add_argument("--clinic", default="demo-dental")
    parser.add_argument("--name", default="mini-demo",
                        help="WeChat user: the code is wx-<name>.<n>; a seeded demo patient's name (e.g. dd0000) "
                             "logs in as that patient")
    parser.add_argument("--tz-offset", type=int, default=8, help="the phone's UTC offset in hours (default 8)")
    parser.add_argument("--json", action="store_true", help="print a JSON summary at the end")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        summary = run(args.base_url, args.clinic, args.name, args.tz_offset)
    except UnexpectedReply as err:
        print(f"FAILED: {err}", file=sys.stderr, flush=True)
        return 1
    step(f"done in {time.monotonic() - started:.1f}s")
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
