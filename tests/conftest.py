"""Shared fixtures: an in-process moto account with the table, queues, key and user pool,
two clinics with staff, the fake WeChat server, and a chalice.test client. Each test gets its
own (`api`); the per-route tests share one per module (`shared_world`)."""

from __future__ import annotations

import json
from contextlib import contextmanager
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
    "IMPORT_QUEUE_NAME": "revisit-imports-test",
    "CLINIC_JOB_QUEUE_NAME": "revisit-clinic-jobs-test",
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
    from devstack.fake_wechat import serve

    fake, server = serve(BASE_ENV["WECHAT_APPID"], BASE_ENV["WECHAT_SECRET"])
    yield fake, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


WECOM = {"WECOM_CORP_ID": "ww-test-corp", "WECOM_SECRET": "wecom-test-secret", "WECOM_AGENT_ID": "1000002"}


@pytest.fixture(scope="session")
def wecom():
    """The fake WeCom server (devstack/fake_wecom.py); a stage signs staff in through it when the
    test sets STAFF_IDENTITY=wecom and the WECOM_* settings (tests/api/test_wecom_login.py)."""
    from devstack.fake_wecom import serve

    fake, server = serve(WECOM["WECOM_CORP_ID"], WECOM["WECOM_SECRET"], WECOM["WECOM_AGENT_ID"])
    yield fake, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def sms_provider():
    """The fake Tencent Cloud SMS endpoint (devstack/fake_sms.py); a stage sends SMS through it when
    the test sets SMS_PROVIDER=tencent and the TENCENT_SMS_* settings (tests/api/test_sms_tencent.py)."""
    from devstack.fake_sms import serve

    fake, server = serve()
    yield fake, f"127.0.0.1:{server.server_port}"
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


def _stream_sharing_records(self, memo):
    """A copy of a moto stream shard whose list of (immutable) records is new but whose records are shared."""
    import copy

    clone = self.__class__.__new__(self.__class__)
    memo[id(self)] = clone
    for name, value in self.__dict__.items():
        clone.__dict__[name] = list(value) if name == "items" else copy.deepcopy(value, memo)
    return clone


@contextmanager
def moto_account(patch: pytest.MonkeyPatch, wechat, jwks_url):
    """The test environment on `patch` and a fresh moto account with the table, queues, key and
    user pool; the process caches are forgotten on the way in and out."""
    from moto import mock_aws
    from moto.dynamodb.models.table import StreamShard

    from devstack.state import reset_process_state

    # moto rolls a transaction back by deep-copying the tables it touches first, the table's stream
    # records included; the records never change once written, so the copy may share them
    patch.setattr(StreamShard, "__deepcopy__", _stream_sharing_records, raising=False)
    for key, value in BASE_ENV.items():
        patch.setenv(key, value)
    patch.delenv("AWS_ENDPOINT_URL", raising=False)
    patch.delenv("COGNITO_ENDPOINT_URL", raising=False)
    patch.setenv("WECHAT_API_BASE", wechat[1])
    patch.setenv("COGNITO_JWKS_URL", jwks_url)
    reset_process_state(keep_connections=True)
    try:
        with mock_aws():
            from devstack import bootstrap

            pool_id, client_id = bootstrap.create_all()
            patch.setenv("COGNITO_USER_POOL_ID", pool_id)
            patch.setenv("COGNITO_CLIENT_ID", client_id)
            reset_process_state(keep_connections=True)
            yield World(pool_id, client_id, wechat[0])
    finally:
        reset_process_state(keep_connections=True)


def seed_clinics(world: World) -> None:
    """Two clinics, each with an account of every staff role, named `<role>@<clinic>`, and the platform's
    operator `operator@platform` (call with the clock set). Their lasting holdout is off: with a
    random patient id, any test of a marketing message would otherwise find its patient held out one
    time in twenty; tests/api/test_holdout.py sets a share where it needs one."""
    from devstack import bootstrap
    from chalicelib.services.clinics import create_clinic, set_holdout_share

    for clinic_id, name in (("demo-dental", "齿护口腔"), ("other-clinic", "别家诊所")):
        create_clinic(clinic_id, name)
        set_holdout_share(clinic_id, 0)
        for role in bootstrap.CLINIC_ROLES:
            bootstrap.create_staff_user(world.pool_id, f"{role}@{clinic_id}", STAFF_PASSWORD, clinic_id, role)
    # the platform's operator (creates clinics; sees no clinic's data)
    bootstrap.create_staff_user(world.pool_id, "operator@platform", STAFF_PASSWORD, "platform", "operator")


@pytest.fixture
def aws(monkeypatch, wechat, jwks_url):
    with moto_account(monkeypatch, wechat, jwks_url) as world:
        yield world


@pytest.fixture
def clock():
    from chalicelib.domain.clock import clock as the_clock

    the_clock.set(T0)
    yield the_clock
    the_clock.release()


@pytest.fixture
def clinics(aws, clock):
    """Two clinics, each with an admin and a staff member."""
    seed_clinics(aws)
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


def staff_login(api: Api, clinic_id: str = "demo-dental", role: str = "admin") -> str:
    if role == "operator":
        clinic_id = "platform"  # the platform's operators belong to no clinic
    status, data = api.post("/auth/staff/login", {"username": f"{role}@{clinic_id}", "password": STAFF_PASSWORD})
    assert status == 200, data
    return data["id_token"]


def register_patient(api: Api, clinic_id: str = "demo-dental", name: str = "alice", full_name: str | None = None,
                     **overrides) -> tuple[str, str]:
    """Log in through (fake) WeChat and register; returns (token, patient_id)."""
    if full_name:
        overrides["name"] = full_name
    status, login = api.post("/auth/wechat/login", {"clinic_id": clinic_id, "code": wx_code(name)})
    assert status == 200, login
    assert login["registered"] is False
    status, data = api.post("/me/register", patient_record(**overrides), token=login["access_token"])
    assert status == 201, data
    return data["access_token"], data["patient"]["patient_id"]


def visitor_login(api: Api, clinic_id: str = "demo-dental", name: str = "visitor") -> str:
    status, login = api.post("/auth/wechat/login", {"clinic_id": clinic_id, "code": wx_code(name)})
    assert status == 200, login
    return login["access_token"]


@pytest.fixture
def staff_token(api):
    def login(clinic_id: str = "demo-dental", role: str = "admin") -> str:
        return staff_login(api, clinic_id, role)

    return login


@pytest.fixture
def new_patient(api):
    """Log in through (fake) WeChat and register; returns (token, patient_id)."""

    def register(clinic_id: str = "demo-dental", name: str = "alice", full_name: str | None = None,
                 **overrides) -> tuple[str, str]:
        return register_patient(api, clinic_id, name, full_name, **overrides)

    return register


class SharedWorld:
    """One world for a whole module: the per-route tests need callers on every route, not a
    clean account per case. Staff logins are made once; patients and visitors on demand.

    moto keeps one account per process, so a module using it holds no tests on `aws`."""

    def __init__(self, api: Api, world: World):
        self.api = api
        self.world = world
        self._staff: dict[tuple[str, str], str] = {}
        self._names = 0

    def staff(self, clinic_id: str = "demo-dental", role: str = "admin") -> str:
        if (clinic_id, role) not in self._staff:
            self._staff[clinic_id, role] = staff_login(self.api, clinic_id, role)
        return self._staff[clinic_id, role]

    def patient(self, prefix: str = "patient", clinic_id: str = "demo-dental") -> str:
        """A newly registered patient's access token (names and phones are unique in the world)."""
        self._names += 1
        token, _ = register_patient(self.api, clinic_id, name=f"{prefix}-{self._names}",
                                    phone=f"139{self._names:08d}")
        return token

    def visitor(self, prefix: str = "visitor", clinic_id: str = "demo-dental") -> str:
        """A new WeChat user's visitor token."""
        self._names += 1
        return visitor_login(self.api, clinic_id, name=f"{prefix}-{self._names}")


@pytest.fixture(scope="module")
def shared_world(wechat, jwks_url):
    """A module-wide account with the two clinics and a chalice.test client. Use it with
    `shared_clock`: patient tokens are issued and checked against the test clock."""
    from chalice.test import Client

    from app import app
    from chalicelib.domain.clock import clock as the_clock

    with pytest.MonkeyPatch.context() as patch, moto_account(patch, wechat, jwks_url) as world:
        the_clock.set(T0)
        try:
            seed_clinics(world)
        finally:
            the_clock.release()
        with Client(app) as client:
            yield SharedWorld(Api(client), world)


@pytest.fixture
def shared_clock(shared_world):
    """The clock at T0 for one case of a shared world, released after it, so no case sees
    the time (or settings) another left behind."""
    from chalicelib.config import reset_settings
    from chalicelib.domain.clock import clock as the_clock

    reset_settings()
    the_clock.set(T0)
    yield the_clock
    the_clock.release()
    reset_settings()


@pytest.fixture
def one_request_at_a_time(monkeypatch):
    """In-process moto is not thread-safe; DynamoDB applies each request atomically. Serialise the
    requests (not the service code), so threads still race between their reads and their writes."""
    import threading

    from moto.core.botocore_stubber import BotocoreStubber

    lock = threading.Lock()
    original = BotocoreStubber.__call__

    def locked(self, *args, **kwargs):
        with lock:
            return original(self, *args, **kwargs)

    monkeypatch.setattr(BotocoreStubber, "__call__", locked)


@pytest.fixture
def fast_moto():
    """The local stack's moto patches (devstack/moto_patches.py; tests/unit/test_moto_patches.py shows
    they answer as moto does): without them moto deep-copies the whole table on every transaction,
    and a test writing a clinic's worth of items through transactions takes minutes."""
    from devstack import moto_patches

    with moto_patches.patched():
        yield


# --- on several processes (pytest-xdist; `make test` runs the suite on two) ---------------------

# the tests of one directory that share an expensive session fixture run in one process: the local
# stack (a moto server, chalice local, the fake providers) of the browser tests, and the mini-program's build
SHARED_PROCESS = {"e2e": "local-stack", "miniprogram": "miniprogram"}

_WORKER_2XX: set[tuple[str, str]] = set()
_WORKER_API_MODULES: set[str] = set()


# `make test` distributes whole files (--dist loadfile): the tests of one file may build on each
# other's state on the shared stack. The groups below are kept for --dist loadgroup, which with
# pytest 9 no longer keeps a group on one process (its node ids cannot take the group suffix), so
# each process may start a local stack of its own.
@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items):
    for item in items:
        group = SHARED_PROCESS.get(item.path.parent.name)
        if group and item.path.parent.parent.name == "tests":
            item.add_marker(pytest.mark.xdist_group(group))


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """On the controlling process: each worker's checked routes (tests/api/conftest.py)."""
    output = getattr(node, "workeroutput", None) or {}
    _WORKER_2XX.update(tuple(route) for route in output.get("checked_2xx", []))
    _WORKER_API_MODULES.update(output.get("api_modules", []))


def pytest_sessionfinish(session):
    """On the controlling process of a distributed run: every route gave a checked 2xx in some
    worker (tests/api/test_zz_contract_coverage.py makes the check itself in a run on one process)."""
    if hasattr(session.config, "workerinput") or not session.config.pluginmanager.hasplugin("dsession"):
        return
    from tests.api.test_zz_contract_coverage import api_modules, uncovered

    if not api_modules() <= _WORKER_API_MODULES:
        return  # only part of tests/api ran
    from chalicelib.api.meta import openapi_document

    missing = uncovered(openapi_document(), _WORKER_2XX) if _WORKER_2XX else ["(no checked answer at all)"]
    if missing:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        reporter.write_line("routes no API test received a 2xx from: " + ", ".join(missing), red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED

