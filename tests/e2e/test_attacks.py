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


def ten_at_once(base: str, path: str, body: bytes, token: str, key: str) -> list[dict]:
    """POST the same body with one Idempotency-Key ten times at once: no 5xx, one answer (201)
    however many got it, the others told the first is still in progress. Returns the 201 bodies."""

    def post(_):
        return send(base, "POST", path, body, token=token, headers={"Idempotency-Key": key})

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(post, range(10)))
    assert all(status < 500 for status, _, _ in answers), answers
    done = [data for status, data, _ in answers if status == 201]
    assert done and all(data == done[0] for data in done), answers
    assert all(data["code"] == "request_in_progress" for status, data, _ in answers if status != 201), answers
    return done


def test_ten_checkins_with_one_key_at_once_over_http(local_stack):
    patient = new_patient(local_stack, "racer", "13855550001")
    token = patient["access_token"]
    reading = as_json({"type": "glucose", "value": 6.3,
                       "client_time": datetime.now(timezone.utc).isoformat(timespec="seconds")})

    done = ten_at_once(local_stack.api_url, "/me/checkins", reading, token, "e2e-race-1")
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


def staff_token(stack, username: str) -> str:
    status, data, _ = send(stack.api_url, "POST", "/auth/staff/login",
                           as_json({"username": username, "password": stack.password(username)}))
    assert status == 200, data
    return data["id_token"]


def test_the_desks_routes_over_http_wrong_callers_races_bad_files_and_the_table(local_stack):
    """The clinic's daily-work routes attacked from outside: one registration sent ten times at
    once with one key, each route tried by a caller it does not allow, bad import files, an
    erased patient's old token on the binding route, and the table searched for what was typed."""
    base = local_stack.api_url
    desk = staff_token(local_stack, "front_desk@demo-dental")
    admin = staff_token(local_stack, "admin@demo-dental")
    analyst = staff_token(local_stack, "analyst@demo-dental")
    other_admin = staff_token(local_stack, "admin@north-derm")
    operator = staff_token(local_stack, "operator@platform")
    patient = new_patient(local_stack, "nosy", "13855550009")["access_token"]
    name, phone, number = "欧阳测试", "13855550777", "ZY-778899"
    record = as_json({"name": name, "phone": phone, "hospital_no": number, "conditions": ["dental"],
                      "department": "dentistry", "consents": {"service": True, "marketing": False, "analytics": False},
                      "consent_version": "v1"})

    ten_at_once(base, "/patients", record, desk, "desk-race-1")
    status, found, _ = send(base, "GET", f"/patients/search?q={phone}", token=desk)
    assert status == 200 and len(found["items"]) == 1, found
    pid = found["items"][0]["patient_id"]
    assert found["items"][0]["name_masked"] != name and phone not in json.dumps(found, ensure_ascii=False)

    # every caller a route does not allow is turned away, and no answer is a 5xx
    invite = as_json({"username": "new-desk@demo-dental", "role": "front_desk"})
    for token, method, path, body, wanted in (
            (None, "GET", "/patients/search?q=13855550777", None, 401),
            (patient, "GET", "/patients/search?q=13855550777", None, 403),
            (patient, "GET", "/staff", None, 403),
            (desk, "POST", "/staff", invite, 403),
            (desk, "GET", "/audit", None, 403),
            (desk, "GET", "/audit/export", None, 403),
            (desk, "POST", f"/patients/{pid}/phone/reveal", as_json({"reason": "回访"}), 403),
            (analyst, "GET", f"/patients/{pid}", None, 403),
            (analyst, "GET", "/patients/search?q=13855550777", None, 403),
            (operator, "GET", f"/patients/{pid}", None, 403),
            (operator, "GET", "/imports", None, 403),
            (admin, "POST", "/clinics", as_json({"clinic_id": "stolen", "name": "冒名诊所", "conditions": ["dental"],
                                                  "admin_username": "thief"}), 403),
            (other_admin, "GET", f"/patients/{pid}", None, 404),
            (other_admin, "POST", f"/patients/{pid}/bind-codes", b"{}", 404),
            (other_admin, "POST", f"/patients/{pid}/phone/reveal", as_json({"reason": "回访"}), 404)):
        status, err, _ = send(base, method, path, body, token=token)
        assert status == wanted and set(err) == {"code", "message", "field"}, (method, path, status, err)

    # import files: too large, not UTF-8 text, empty, not CSV; nothing is queued
    header = "phone,visit_date,department\n"
    jobs_before = send(base, "GET", "/imports", token=desk)[1]["items"]
    for body, content_type, wanted, code in (
            ((header + "13800000000,2026-11-01,dental\n" * 90_000).encode(), "text/csv", 413, "file_too_large"),
            (b"\x00\xff\xfe" * 1000, "text/csv", 400, "invalid_encoding"),
            (b"", "text/csv", 400, "invalid_csv"),
            (as_json({"rows": []}), "application/json", 415, None)):
        status, err, _ = send(base, "POST", "/imports?kind=visits", body, token=desk, content_type=content_type)
        assert status == wanted and (code is None or err["code"] == code), (status, err)
    assert send(base, "GET", "/imports", token=desk)[1]["items"] == jobs_before

    # an erased patient's old token cannot take a binding code
    status, bind, _ = send(base, "POST", f"/patients/{pid}/bind-codes", b"{}", token=desk)
    assert status == 201, bind
    eraser = new_patient(local_stack, "erased-binder", "13855550010")
    assert send(base, "DELETE", "/me", token=eraser["access_token"])[0] == 200
    status, err, _ = send(base, "POST", "/me/bind", as_json({"code": bind["code"]}), token=eraser["access_token"])
    assert status == 401 and err["code"] == "session_revoked", err

    # an invited colleague's temporary password and the desk patient's name, phone and number are
    # nowhere in clear in the table
    status, invited, _ = send(base, "POST", "/staff", invite, token=admin, headers={"Idempotency-Key": "invite-1"})
    assert status == 201 and invited["temporary_password"], invited
    import boto3

    env = local_stack.env
    dynamodb = boto3.client("dynamodb", endpoint_url=env["AWS_ENDPOINT_URL"], region_name=env["AWS_DEFAULT_REGION"],
                            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])
    dump = json.dumps([page["Items"] for page in dynamodb.get_paginator("scan").paginate(
        TableName=env["REVISIT_TABLE"])], ensure_ascii=False)
    for secret in (name, phone, number, invited["temporary_password"]):
        assert secret not in dump, secret
