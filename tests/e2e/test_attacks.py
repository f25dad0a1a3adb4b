"""The running local stack attacked over HTTP, as an attacker or a fuzzer would: the same
Idempotency-Key ten times at once on the threaded `chalice local`, malformed and huge bodies,
a reused refresh token, an erased patient's old token."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone


def send(base: str, method: str, path: str, body: bytes | None = None, token: str | None = None,
         headers: dict | None = None, content_type: str = "application/json") -> tuple[int, dict | None, dict]:
    sent = {"Content-Type": content_type, **(headers or {})}
    if token:
        sent["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(base + path, data=body, method=method, headers=sent)
    try:
        with urllib.request.urlopen(request, timeout=60) as reply:
            return reply.status, json.loads(reply.read() or b"null"), dict(reply.headers)
    except urllib.error.HTTPError as err:
        raw = err.read()
        try:
            return err.code, json.loads(raw or b"null"), dict(err.headers)
        except ValueError:
            return err.code, {"raw": raw[:200].decode("utf-8", "replace")}, dict(err.headers)


def as_json(value) -> bytes:
    return json.dumps(value).encode()


def new_patient(stack, name: str, phone: str) -> dict:
    status, login, _ = send(stack.api_url, "POST", "/auth/wechat/login",
                            as_json({"clinic_id": "demo-dental", "code": f"wx-{name}.1"}))
    assert status == 200, login
    record = {"name": "测试患者", "phone": phone, "consents": {"service": True}, "consent_version": "v1"}
    status, data, _ = send(stack.api_url, "POST", "/me/register", as_json(record), token=login["access_token"])
    assert status == 201, data
    return data


def test_ten_checkins_with_one_key_at_once_over_http(local_stack):
    patient = new_patient(local_stack, "racer", "13855550001")
    token = patient["access_token"]
    reading = as_json({"type": "glucose", "value": 6.3,
                       "client_time": datetime.now(timezone.utc).isoformat(timespec="seconds")})

    def check_in(_):
        return send(local_stack.api_url, "POST", "/me/checkins", reading, token=token,
                    headers={"Idempotency-Key": "e2e-race-1"})

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(check_in, range(10)))
    assert all(status < 500 for status, _, _ in answers), answers
    done = [body for status, body, _ in answers if status == 201]
    assert done and all(body == done[0] for body in done), answers
    assert all(body["code"] == "request_in_progress" for status, body, _ in answers if status != 201), answers
    status, points, _ = send(local_stack.api_url, "GET", "/me/points", token=token)
    assert [e["reason"] for e in points["entries"]].count("checkin") == 1
    status, again, headers = send(local_stack.api_url, "POST", "/me/checkins", reading, token=token,
                                  headers={"Idempotency-Key": "e2e-race-1"})
    assert status == 201 and again == done[0] and headers.get("Idempotent-Replay") == "true"


def test_malformed_and_huge_bodies_get_4xx_in_our_shape(local_stack):
    base = local_stack.api_url
    for body, content_type, wanted in (
            (b"[" * 10_000, "application/json", 400),
            (b'{"clinic_id": "demo-dental", "code": "' + b"x" * 400_000 + b'"}', "application/json", 413),
            (b"clinic_id=demo-dental", "application/x-www-form-urlencoded", 415)):
        status, data, _ = send(base, "POST", "/auth/wechat/login", body, content_type=content_type)
        assert status == wanted, (status, data)
        assert set(data) == {"code", "message", "field"}, data


def test_a_reused_refresh_token_ends_the_sign_in(local_stack):
    base = local_stack.api_url
    patient = new_patient(local_stack, "thief", "13855550002")
    status, renewed, _ = send(base, "POST", "/auth/refresh", as_json({"refresh_token": patient["refresh_token"]}))
    assert status == 200
    status, err, _ = send(base, "POST", "/auth/refresh", as_json({"refresh_token": patient["refresh_token"]}))
    assert status == 401 and err["code"] == "refresh_token_reused"
    status, err, _ = send(base, "GET", "/me", token=renewed["access_token"])
    assert status == 401 and err["code"] == "session_revoked"


def test_an_erased_patients_old_token_writes_nothing(local_stack):
    base = local_stack.api_url
    patient = new_patient(local_stack, "eraser", "13855550003")
    token = patient["access_token"]
    assert send(base, "PUT", "/me/channels", as_json({"preferred": "inbox"}), token=token)[0] == 200
    status, erased, _ = send(base, "DELETE", "/me", token=token)
    assert status == 200 and erased["erased"]
    for method, path, body in (("PUT", "/me/channels", {"preferred": "sms"}), ("GET", "/me", None),
                               ("POST", "/me/shares", {"share_ref": "after"})):
        status, err, _ = send(base, method, path, as_json(body) if body else None, token=token)
        assert status == 401 and err["code"] == "session_revoked", (path, status, err)
    # nothing of the patient is left in the table
    import boto3

    env = local_stack.env
    dynamodb = boto3.client("dynamodb", endpoint_url=env["AWS_ENDPOINT_URL"], region_name=env["AWS_DEFAULT_REGION"],
                            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])
    pk = f"demo-dental#P#{patient['patient']['patient_id']}"
    left = dynamodb.query(TableName=env["REVISIT_TABLE"], KeyConditionExpression="pk = :pk",
                          ExpressionAttributeValues={":pk": {"S": pk}})["Items"]
    assert left == []
