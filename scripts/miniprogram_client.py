#!/usr/bin/env python3
"""Act as the WeChat mini-program against a running Revisit API, printing each step.

    python scripts/miniprogram_client.py http://127.0.0.1:8000 [--name dd0000] [--clinic demo-dental]

Logs in with a wx.login-style code (`wx-<name>.<n>`: the local fake WeChat maps it to the
openid `o<name>` and accepts each code once), registers with consent if this WeChat user has no
record yet, checks in a glucose reading, reads the points, the challenges, vouchers, tasks, badges,
perks, the monthly board and the invite code, shares an article, redeems the cheapest
affordable reward with an Idempotency-Key and sends the same request again to show the replay,
then reads the inbox and marks a message read. Exits non-zero on any unexpected reply.
Standard library only, so it runs with any Python 3.9+.
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


def run(base: str, clinic: str, name: str, tz_offset_hours: int = 8, require_redemption: bool = False,
        require_inbox: bool = False) -> dict:
    api = Api(base)
    summary: dict = {"name": name, "clinic_id": clinic}

    _, health, _ = api.call("GET", "/health")
    step(f"API is up at {api.base}: {health}")

    code = f"wx-{name}.{uuid.uuid4().hex[:8]}"
    _, login, _ = api.call("POST", "/auth/wechat/login", {"clinic_id": clinic, "code": code})
    api.token = login["access_token"]
    step(f"wx.login code {code} -> {'patient ' + login['patient_id'] if login['registered'] else 'visitor (no record yet)'}")

    if not login["registered"]:
        record = {
            "name": "小程序用户", "phone": phone_for(name), "birth_year": 1990, "sex": "F", "district": "徐汇区",
            "conditions": ["diabetes"], "department": "endocrinology", "persona_tags": ["knowledge_seeking"],
            "consents": {"service": True, "marketing": False, "analytics": True}, "consent_version": "v1",
        }
        _, registered, _ = api.call("POST", "/me/register", record, expect=(201,))
        api.token = registered["access_token"]
        step(f"registered (建档) as patient {registered['patient']['patient_id']} with consent "
             f"service=yes marketing=no analytics=yes")
        summary["registered"] = True
    else:
        summary["registered"] = False

    _, me, _ = api.call("GET", "/me")
    patient = me["patient"]
    summary["patient_id"] = patient["patient_id"]
    step(f"profile: {patient['name'][0]}** · conditions {', '.join(patient['conditions']) or '-'} · "
         f"balance {patient['balance']}")

    zone = timezone(timedelta(hours=tz_offset_hours))
    reading = {"type": "glucose", "value": 6.2, "client_time": datetime.now(zone).isoformat(timespec="seconds")}
    _, checkin, _ = api.call("POST", "/me/checkins", reading, expect=(201,),
                             headers={"Idempotency-Key": f"checkin-{uuid.uuid4().hex}"})
    step(f"glucose 6.2 mmol/L checked in for {checkin['checkin']['local_date']}: "
         f"{'+' + str(checkin['points_awarded']) + ' point(s)' if checkin['checkin']['counted'] else 'already counted today'}")

    _, points, _ = api.call("GET", "/me/points")
    step(f"points: balance {points['balance']}, earned {points['earned_total']}, {len(points['entries'])} ledger entries")
    engagement(api, checkin, summary)

    share_ref = f"article-{datetime.now(zone):%Y%m%d}-{uuid.uuid4().hex[:6]}"
    _, shared, _ = api.call("POST", "/me/shares", {"share_ref": share_ref}, expect=(201,),
                            headers={"Idempotency-Key": f"share-{share_ref}"})
    step(f"shared {share_ref}: +{shared['points_awarded']} -> balance {shared['balance']}")
    balance = shared["balance"]

    _, rewards, _ = api.call("GET", "/rewards")
    affordable = sorted((r for r in rewards["items"] if r["cost"] <= balance), key=lambda r: r["cost"])
    catalogue = ", ".join(f"{r['name']} ({r['cost']})" for r in rewards["items"])
    step(f"rewards: {catalogue or 'none'}")
    if affordable:
        reward = affordable[0]
        key = f"redeem-{uuid.uuid4().hex}"
        body = {"reward_id": reward["reward_id"]}
        _, first, _ = api.call("POST", "/me/redemptions", body, expect=(201,),
                               headers={"Idempotency-Key": key})
        step(f"redeemed {reward['name']} for {reward['cost']} (Idempotency-Key {key}): "
             f"redemption {first['redemption']['redemption_id']}, balance {first['balance']}")
        _, again, again_headers = api.call("POST", "/me/redemptions", body, expect=(201,),
                                           headers={"Idempotency-Key": key})
        if again != first or again_headers.get("idempotent-replay") != "true":
            raise UnexpectedReply(f"the retried redemption was not a replay of the first: {again}")
        _, after, _ = api.call("GET", "/me/points")
        if after["balance"] != first["balance"]:
            raise UnexpectedReply(f"the retry changed the balance: {first['balance']} -> {after['balance']}")
        step(f"sent the same request again: replayed (Idempotent-Replay: true), same redemption, balance still "
             f"{after['balance']}")
        summary["redemption"] = first["redemption"]["redemption_id"]
    else:
        cheapest = min((r["cost"] for r in rewards["items"]), default=None)
        step(f"no reward affordable yet (balance {balance}, cheapest {cheapest}); skipping the redemption")
        if require_redemption:
            raise UnexpectedReply("a redemption was required but the balance does not allow one")

    _, inbox, _ = api.call("GET", "/me/inbox")
    step(f"inbox: {len(inbox['items'])} message(s), {inbox['unread']} unread")
    unread = [m for m in inbox["items"] if not m["read_at"]]
    if unread:
        message = unread[0]
        step(f"  {message['title']}: {message['body']}")
        _, read, _ = api.call("POST", f"/me/inbox/{message['message_id']}/read")
        if not read["message"]["read_at"]:
            raise UnexpectedReply("the message was not marked read")
        step(f"  marked read at {read['message']['read_at']}")
        summary["read_message"] = message["message_id"]
    elif require_inbox:
        raise UnexpectedReply("an unread inbox message was required but there is none")
    summary["balance"] = balance if not affordable else after["balance"]
    return summary


def engagement(api: Api, checkin: dict, summary: dict) -> None:
    """The engagement screens: challenges and streaks, vouchers, tasks and badges, perks, the board, invites."""
    for streak in checkin.get("challenges", []):
        step(f"  challenge {streak['name']}: {streak['current_streak']}/{streak['days']} days in a row")
    _, challenges, _ = api.call("GET", "/me/challenges")
    for c in challenges["items"]:
        progress = c["progress"]
        state = (f"joined, streak {progress['current_streak']}/{c['days']}, {progress['streaks_completed']} completed"
                 if c["joined"] else "open to join")
        step(f"challenge {c['name']}: {state}")
    _, vouchers, _ = api.call("GET", "/me/vouchers")
    for v in vouchers["items"][:3]:
        step(f"voucher {v['name']} {v['code']}: {v['status']} (valid until {v['valid_until']})")
    _, tasks, _ = api.call("GET", "/me/tasks")
    for t in tasks["tasks"]:
        step(f"task {t['name']}: {t['progress']}/{t['target']} · {t['status']} · due {t['due_on']}")
    badges = ", ".join(b["name"] for b in tasks["badges"]) or "none yet"
    perks = ", ".join(f"{p['name']} ({'unlocked' if p['unlocked'] else str(p['badges_required']) + ' badges'})"
                      for p in tasks["perks"])
    step(f"badges: {badges}; perks: {perks}")
    _, board, _ = api.call("GET", "/leaderboard")
    mine = board.get("me") or {}
    step(f"star of the month {board['month']}: {len(board['items'])} on the board, my score {mine.get('score', 0)}, "
         f"rank {mine.get('rank') or '-'}")
    _, invite, _ = api.call("GET", "/me/referral")
    step(f"invite code {invite['invite_code']} (+{invite['reward_points']} when a friend registers): "
         f"{invite['share_path']}")
    summary.update(tasks=len(tasks["tasks"]), badges=len(tasks["badges"]), invite_code=invite["invite_code"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base_url", help="the API, e.g. http://127.0.0.1:8000")
    parser.add_argument("--clinic", default="demo-dental")
    parser.add_argument("--name", default="mini-demo",
                        help="WeChat user: the code is wx-<name>.<n>; a seeded demo patient's name (e.g. dd0000) "
                             "logs in as that patient")
    parser.add_argument("--tz-offset", type=int, default=8, help="the phone's UTC offset in hours (default 8)")
    parser.add_argument("--require-redemption", action="store_true", help="fail if no reward is affordable")
    parser.add_argument("--require-inbox", action="store_true", help="fail if there is no unread message")
    parser.add_argument("--json", action="store_true", help="print a JSON summary at the end")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        summary = run(args.base_url, args.clinic, args.name, args.tz_offset, args.require_redemption,
                      args.require_inbox)
    except UnexpectedReply as err:
        print(f"FAILED: {err}", file=sys.stderr, flush=True)
        return 1
    step(f"done in {time.monotonic() - started:.1f}s")
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
