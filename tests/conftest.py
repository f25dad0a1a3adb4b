"""Shared fixtures: an in-process moto account with the table, queues, key and user pool,
two clinics with staff, the fake WeChat server, and a chalice.test client."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone

import pytest


BASE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "ap-east-1",
    "REVISIT_STAGE": "test",
    "REVISIT_TABLE": "revisit-test",
    "REMINDER_QUEUE_NAME": "revisit-reminders-test",
    "KMS_KEY_ID": "alias/revisit-test",
    "JWT_SECRET": "test-jwt-secret-0123456789abcdef0123456789",
    "HASH_SECRET": "test-hash-secret-0123456789abcdef012345678",
    "WECHAT_APPID": "wx-test-app",
    "WECHAT_SECRET": "wx-test-secret",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "ACCESS_TOKEN_TTL": "7200",
}

STAFF_PASSWORD = "Clinic-Pass-2026"
T0 = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai


@pytest.fixture(scope="session")
def wechat():
    from chalicelib.local.fake_wechat import serve

    fake, server = serve(BASE_ENV["WECHAT_APPID"], BASE_ENV["WECHAT_SECRET"])
    yield fake, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def jwks_url():
    """moto signs Cognito tokens with a fixed key; serve its public JWKS on loopback, as Cognito would."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from moto.utilities.utils import load_resource

    payload = json.dumps(load_resource("cognitoidp/resources/jwks-public.json")).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/.well-known/jwks.json"
    server.shutdown()


@dataclass
class World:
    pool_id: str
    client_id: str
    fake_wechat: object

    def __post_init__(self):
        self._codes = 0


@pytest.fixture
def aws(monkeypatch, wechat, jwks_url):
    from moto import mock_aws

    from chalicelib.local.state import reset_process_state

    for key, value in BASE_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("COGNITO_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("WECHAT_API_BASE", wechat[1])
    monkeypatch.setenv("COGNITO_JWKS_URL", jwks_url)
    reset_process_state()
    with mock_aws():
        from chalicelib.local import bootstrap

        bootstrap.create_table()
        bootstrap.create_queues()
        bootstrap.create_key()
        pool_id, client_id = bootstrap.create_user_pool()
        monkeypatch.setenv("COGNITO_USER_POOL_ID", pool_id)
        monkeypatch.setenv("COGNITO_CLIENT_ID", client_id)
        reset_process_state()
        yield World(pool_id, client_id, wechat[0])
    reset_process_state()


@pytest.fixture
def clock():
    from chalicelib.domain.clock import clock as the_clock

    the_clock.set(T0)
    yield the_clock
    the_clock.release()


@pytest.fixture
def clinics(aws, clock):
    """Two clinics, each with an admin and a staff member."""
    from chalicelib.local import bootstrap
    from chalicelib.services.clinics import create_clinic

    for clinic_id, name in (("demo-dental", "齿护口腔"), ("other-clinic", "别家诊所")):
        create_clinic(clinic_id, name)
        bootstrap.create_staff_user(aws.pool_id, f"admin@{clinic_id}", STAFF_PASSWORD, clinic_id, "admin")
        bootstrap.create_staff_user(aws.pool_id, f"staff@{clinic_id}", STAFF_PASSWORD, clinic_id, "staff")
    return aws


class Api:
    """A thin JSON wrapper over chalice.test.Client."""

    def __init__(self, client):
        self.client = client

    def call(self, method: str, path: str, body=None, token: str | None = None, headers: dict | None = None,
             raw: bytes | None = None, content_type: str = "application/json"):
        sent = {"Content-Type": content_type, **(headers or {})}
        if token:
            sent["Authorization"] = f"Bearer {token}"
        payload = raw if raw is not None else (json.dumps(body) if body is not None else None)
        reply = getattr(self.client.http, method.lower())(path, headers=sent, body=payload)
        try:
            data = json.loads(reply.body) if reply.body else None
        except ValueError:
            data = reply.body
        return reply.status_code, data

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.call("POST", path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.call("PUT", path, body, **kw)

    def delete(self, path, **kw):
        return self.call("DELETE", path, **kw)


@pytest.fixture
def api(clinics):
    from chalice.test import Client

    from app import app

    with Client(app) as client:
        yield Api(client)


def wx_code(name: str) -> str:
    """A fresh wx.login code for the WeChat user `name` (codes work once, as on WeChat)."""
    import uuid

    return f"wx-{name}.{uuid.uuid4().hex[:8]}"


def patient_record(**overrides) -> dict:
    record = {
        "name": "张小红", "phone": "13800001111", "birth_year": 1988, "sex": "F", "district": "朝阳",
        "conditions": ["eczema"], "department": "dermatology", "persona_tags": ["anxious"],
        "consents": {"service": True, "marketing": False, "analytics": True}, "consent_version": "v1",
    }
    record.update(overrides)
    return record


@pytest.fixture
def staff_token(api):
    def login(clinic_id: str = "demo-dental", role: str = "admin") -> str:
        status, data = api.post("/auth/staff/login", {"username": f"{role}@{clinic_id}", "password": STAFF_PASSWORD})
        assert status == 200, data
        return data["id_token"]

    return login


@pytest.fixture
def new_patient(api):
    """Log in through (fake) WeChat and register; returns (token, patient_id)."""

    def register(clinic_id: str = "demo-dental", name: str = "alice", full_name: str | None = None,
                 **overrides) -> tuple[str, str]:
        if full_name:
            overrides["name"] = full_name
        status, login = api.post("/auth/wechat/login", {"clinic_id": clinic_id, "code": wx_code(name)})
        assert status == 200, login
        assert login["registered"] is False
        status, data = api.post("/me/register", patient_record(**overrides), token=login["access_token"])
        assert status == 201, data
        return data["access_token"], data["patient"]["patient_id"]

    return register
