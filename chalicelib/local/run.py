"""The local stack in one command: moto, the fake WeChat server, the API (`chalice local`), the admin
site and the schedules that EventBridge and the SQS event source mapping would run in AWS.

    python -m chalicelib.local.run [--patients N] [--no-seed] [--reload]   # `make run`
    python -m chalicelib.local.run --sweep-once                            # `make sweep`

Ports come from API_PORT, SITE_PORT, MOTO_PORT and WECHAT_PORT; data lives in REVISIT_LOCAL_DIR
(default .local). docs/local-stack.md describes the processes and how data survives a restart.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REGION = "ap-east-1"
WECHAT_APPID = "wx-local-app"
WECHAT_SECRET = "local-wechat-secret"
DEFAULT_PORTS = {"API_PORT": 8000, "SITE_PORT": 8080, "MOTO_PORT": 5000, "WECHAT_PORT": 8090}
DEFAULT_PATIENTS = 3000

# Settings that differ per run (ports, fresh user pool ids, per-install secrets). `chalice local`
# applies a stage's environment_variables over the process environment, so these must stay out
# of .chalice/config.json for the values below to reach the API.
PER_RUN_SETTINGS = (
    "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_REGION",
    "COGNITO_USER_POOL_ID", "COGNITO_CLIENT_ID", "WECHAT_API_BASE", "JWT_SECRET", "HASH_SECRET",
    "WECHAT_APPID", "WECHAT_SECRET", "ALLOWED_ORIGIN",
)


class Stop(BaseException):
    """SIGTERM, handled like Ctrl-C. A BaseException, like KeyboardInterrupt, so that no
    `except Exception` in a job (or a library it calls) can swallow the request to stop."""


# -- where things live ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    root: Path

    @classmethod
    def from_env(cls) -> Layout:
        return cls(Path(os.environ.get("REVISIT_LOCAL_DIR") or ROOT / ".local").resolve())

    @property
    def state(self) -> Path:
        return self.root / "state"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def env_file(self) -> Path:
        return self.state / "env.json"

    @property
    def staff_file(self) -> Path:
        return self.state / "staff.json"

    @property
    def secrets_file(self) -> Path:
        return self.state / "secrets.json"

    @property
    def demo_file(self) -> Path:
        return self.state / "demo.json"

    @property
    def pids_file(self) -> Path:
        return self.state / "pids.json"

    def ensure(self) -> None:
        for path in (self.root, self.state, self.logs):
            path.mkdir(parents=True, exist_ok=True)
        os.chmod(self.state, 0o700)


def write_private(path: Path, data) -> None:
    """Write JSON readable by the owner only (it holds local secrets and demo passwords)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False, indent=2)
    os.replace(tmp, path)


def read_json(path: Path, default=None):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return default


def ports() -> dict[str, int]:
    return {name: int(os.environ.get(name) or default) for name, default in DEFAULT_PORTS.items()}


def local_secrets(layout: Layout) -> dict[str, str]:
    """JWT and hash secrets made once per data directory: the keyed hashes in the table depend on them."""
    known = read_json(layout.secrets_file)
    if not known:
        known = {"JWT_SECRET": secrets.token_urlsafe(32), "HASH_SECRET": secrets.token_urlsafe(32)}
        write_private(layout.secrets_file, known)
    return known


def config_stage_env(stage: str = "local") -> dict[str, str]:
    """The environment `chalice local --stage <stage>` adds from .chalice/config.json."""
    conf = read_json(ROOT / ".chalice" / "config.json", {}) or {}
    merged = dict(conf.get("environment_variables") or {})
    merged.update((conf.get("stages", {}).get(stage) or {}).get("environment_variables") or {})
    clash = sorted(set(merged) & set(PER_RUN_SETTINGS))
    if clash:
        raise SystemExit(f".chalice/config.json stage {stage!r} must not set {', '.join(clash)}: "
                         "chalice local would override the values this runner passes")
    return {key: str(value) for key, value in merged.items()}


def app_env(urls: dict[str, str], layout: Layout, pool_id: str = "", client_id: str = "") -> dict[str, str]:
    env = {
        "REVISIT_STAGE": "local",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_ENDPOINT_URL": urls["moto"],
        "WECHAT_API_BASE": urls["wechat"],
        "WECHAT_APPID": WECHAT_APPID,
        "WECHAT_SECRET": WECHAT_SECRET,
        "COGNITO_USER_POOL_ID": pool_id,
        "COGNITO_CLIENT_ID": client_id,
        "ALLOWED_ORIGIN": "*",
        "POWERTOOLS_METRICS_DISABLED": "true",
        **local_secrets(layout),
    }
    env.update(config_stage_env())
    return env


def child_env(settings: dict[str, str], **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "CHALICE_WORKER")}
    env.update(settings)
    env.update(extra)
    return env


def use_settings(settings: dict[str, str]) -> None:
    """Point this process's chalicelib at the stack (the runner calls the jobs in-process)."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update(settings)
    # The API logs each request; the runner only prints its own summaries.
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    from chalicelib.local.state import reset_process_state

    reset_process_state()


# -- moto, made usable with a few thousand patients ------------------------------------------------


def speed_up_moto() -> None:
    """Patches for the moto server process only; behaviour is unchanged, costs are not.

    moto deep-copies the whole table before each TransactWriteItems (to roll back), and every
    Query or resumed Scan sorts all items of the table first. With ~60k items that is seconds
    per request. Here a transaction saves only the items it touches, a table Query reads its
    partition, an index Query sorts only the items carrying its key, a Scan page resumes where
    the previous one stopped, an item's size is summed as it is built, and requests run one at a
    time (moto's backends are not thread-safe; they are CPU-bound, so nothing is lost).
    """
    from moto.dynamodb import models as backend_module
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models.dynamo_type import DynamoType, LimitedSizeDict
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.models.table_export import TableExport
    from moto.dynamodb.models.utilities import bytesize
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    class KeepTables:
        def __getattr__(self, name):
            return getattr(copy, name)

        @staticmethod
        def deepcopy(obj, memo=None):
            return obj if isinstance(obj, Table) else copy.deepcopy(obj, memo)

    backend_module.copy = KeepTables()
    transact = backend_module.DynamoDBBackend.transact_write_items

    def transact_write_items(self, transact_items):
        saved = []
        for entry in transact_items:
            for op in entry.values():
                table = self.tables.get(op.get("TableName")) if isinstance(op, dict) else None
                if table is None:
                    continue
                source = op.get("Key") or op.get("Item") or {}
                try:
                    hash_key = DynamoType(source[table.hash_key_attr])
                    range_key = DynamoType(source[table.range_key_attr]) if table.range_key_attr else None
                except KeyError:
                    continue
                saved.append((table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key))))
        try:
            return transact(self, transact_items)
        except Exception:
            for table, hash_key, range_key, item in reversed(saved):
                if item is None:
                    table.delete_item(hash_key, range_key)
                elif range_key is None:
                    table.items[hash_key] = item
                else:
                    table.items[hash_key][range_key] = item
            raise

    backend_module.DynamoDBBackend.transact_write_items = transact_write_items

    hint = threading.local()
    query, scan, all_items = Table.query, Table.scan, Table.all_items

    def narrowed_query(self, hash_key, *args, **kwargs):
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        conditions = kwargs.get("hash_key_conditions") or []
        if index_name and len(conditions) == 1:
            hint.matching = (self, conditions[0][0], conditions[0][1])
        elif not index_name and hash_key is not None and self.range_key_attr:
            hint.partition = (self, hash_key)
        try:
            return query(self, hash_key, *args, **kwargs)
        finally:
            hint.partition = hint.matching = None

    def resumed_scan(self, filters, limit, exclusive_start_key, *args, **kwargs):
        index_name = args[1] if len(args) > 1 else kwargs.get("index_name")
        start = None
        if exclusive_start_key and not index_name and self.range_key_attr:
            try:
                start = self.get_item(DynamoType(exclusive_start_key[self.hash_key_attr]),
                                      DynamoType(exclusive_start_key[self.range_key_attr]))
            except KeyError:
                start = None
        if start is None:
            return scan(self, filters, limit, exclusive_start_key, *args, **kwargs)
        hint.after = (self, start)
        try:
            return scan(self, filters, limit, None, *args, **kwargs)
        finally:
            hint.after = None

    def narrowed_items(self):
        partition = getattr(hint, "partition", None)
        if partition is not None and partition[0] is self:
            return list(self.items.get(partition[1], {}).values())
        matching = getattr(hint, "matching", None)
        if matching is not None and matching[0] is self and self.range_key_attr:
            _, name, wanted = matching
            found = [item for members in self.items.values() for item in members.values()
                     if (value := item.attrs.get(name)) is not None and value.type == wanted.type
                     and value.value == wanted.value]
            return sorted(found, key=lambda item: (item.hash_key, item.range_key))
        after = getattr(hint, "after", None)
        items = all_items(self)
        if after is not None and after[0] is self:
            for position, item in enumerate(items):
                if item is after[1]:
                    return items[position + 1:]
        return items

    Table.query, Table.scan, Table.all_items = narrowed_query, resumed_scan, narrowed_items

    def size_of(value) -> int:
        return value.size() if type(value) is DynamoType else bytesize(str(value))

    def add_attribute(self, key, value):
        # The 400 KB item limit, checked against a running total instead of re-measuring every
        # attribute each time one is set (quadratic in the attributes of an item).
        total = getattr(self, "_revisit_size", None)
        if total is None:
            total = sum(size_of(k) + size_of(v) for k, v in self.items())
        old = bytesize(key) + size_of(dict.__getitem__(self, key)) if key in self else 0
        new = bytesize(key) + size_of(value)
        if total - old + new > 405000:
            raise ItemSizeTooLarge
        dict.__setitem__(self, key, value)
        self._revisit_size = total - old + new

    LimitedSizeDict.__setitem__ = add_attribute

    lock = threading.Lock()
    dispatch = DomainDispatcherApplication.__call__

    def one_at_a_time(self, environ, start_response):
        with lock:
            return dispatch(self, environ, start_response)

    DomainDispatcherApplication.__call__ = one_at_a_time
    # A table export runs in a thread of its own; it must not read items while a request writes them.
    backup = TableExport._backup_to_s3_file

    def locked_backup(self, s3_backend):
        with lock:
            return backup(self, s3_backend)

    TableExport._backup_to_s3_file = locked_backup


def serve_moto(host: str, port: int) -> None:
    import logging

    speed_up_moto()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    from moto import server

    # moto's state is memory the runner has already saved: on SIGTERM leave at once instead of
    # spending seconds freeing tens of thousands of items at interpreter exit.
    server.signal_handler = lambda signum, frame: os._exit(0)
    server.main(["-H", host, "-p", str(port)])


# -- child processes --------------------------------------------------------------------------------


@dataclass
class Child:
    name: str
    process: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 10) -> None:
        """Stop the child's whole process group (chalice's reloader runs a worker under it)."""
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.process.wait(wait)
                _wait_group_gone(self.process.pid, 2)
                break
            except subprocess.TimeoutExpired:
                continue
        self.process.poll()


def _wait_group_gone(pgid: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def spawn(name: str, command: list[str], env: dict[str, str], layout: Layout) -> Child:
    log = layout.logs / f"{name}.log"
    with open(log, "ab") as handle:  # the child keeps its own copy of the descriptor
        handle.write(f"\n--- {datetime.now().isoformat(timespec='seconds')} {' '.join(command)}\n".encode())
        handle.flush()
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    return Child(name, process, log)


CHILD_MARKERS = {"moto": "--serve-moto", "api": "chalice"}


def reap_leftovers(pids: dict[str, int]) -> None:
    """Stop children a killed runner (SIGKILL, a crash) left behind, if they are still ours."""
    for name, pid in pids.items():
        marker = CHILD_MARKERS.get(name)
        if not marker or not pid_alive(pid):
            continue
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in command and "local" in command:
            print(f"stopping {name} (pid {pid}) left over from an earlier run", flush=True)
            Child(name, _Adopted(pid), Path(os.devnull)).stop(timeout=5)


class _Adopted:
    """The bits of Popen that Child.stop needs, for a process this runner did not start."""

    def __init__(self, pid: int):
        self.pid = pid

    def wait(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while pid_alive(self.pid):
            if time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            time.sleep(0.05)

    def poll(self) -> None:
        return None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        socket.create_connection((host, port), timeout=0.3).close()
        return True
    except OSError:
        return False


def wait_until(check, what: str, child: Child | None = None, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if child is not None and not child.alive():
            raise SystemExit(f"{what} exited early; see {child.log}")
        time.sleep(0.1)
    raise SystemExit(f"{what} did not start within {timeout:.0f}s" + (f"; see {child.log}" if child else ""))


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as reply:
            return reply.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def chalice_command() -> list[str]:
    # The reloader restarts the worker with sys.argv, so chalice must run as its own script.
    script = Path(sys.executable).parent / "chalice"
    if not script.exists():
        import shutil

        found = shutil.which("chalice")
        if not found:
            raise SystemExit("the chalice command is missing; run `make venv`")
        script = Path(found)
    return [str(script)]


# -- the admin site ------------------------------------------------------------------------------------

PLACEHOLDER = """<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>Revisit</title>
<body style="font-family:sans-serif;max-width:40em;margin:4em auto">
<h1>Revisit 管理后台尚未构建</h1><p>The admin site is not built yet: run <code>make site</code>
(or <code>make run</code>, which builds it) and reload this page.</p>
<p>API: <a href="{api}/openapi.json">{api}</a></p></body></html>"""


def site_server(dist: Path, api_url: str, port: int) -> ThreadingHTTPServer:
    """Serve admin_site/dist with this stack's config.js (so two stacks on one checkout never mix)."""
    config_js = f"window.REVISIT_CONFIG = {json.dumps({'apiBase': api_url})};\n".encode()

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(dist), **kwargs)

        def _send(self, body: bytes, content_type: str, head: bool = False) -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if not head:
                self.wfile.write(body)

        def _route(self, head: bool) -> bool:
            path = self.path.split("?", 1)[0].split("#", 1)[0]
            if path.endswith("/config.js"):
                self._send(config_js, "application/javascript; charset=utf-8", head)
                return True
            if not (dist / "index.html").exists():
                self._send(PLACEHOLDER.format(api=api_url).encode(), "text/html; charset=utf-8", head)
                return True
            target = dist / path.lstrip("/")
            if path != "/" and not target.exists() and "." not in path.rsplit("/", 1)[-1]:
                self.path = "/index.html"  # client-side routes fall back to the app shell
            return False

        def do_GET(self):
            if not self._route(head=False):
                super().do_GET()

        def do_HEAD(self):
            if not self._route(head=True):
                super().do_HEAD()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="site", daemon=True).start()
    return server


def write_site_config(api_url: str) -> Path | None:
    dist = ROOT / "admin_site" / "dist"
    if not dist.is_dir():
        return None
    path = dist / "config.js"
    path.write_text(f"window.REVISIT_CONFIG = {json.dumps({'apiBase': api_url})};\n", encoding="utf-8")
    return path


# -- the schedules ---------------------------------------------------------------------------------------


def drain_queue() -> dict[str, int]:
    """Pass the reminder queue to the sender as Lambda's SQS event source mapping would
    (chalicelib/local/sqs_pump.py): only records not reported in batchItemFailures are deleted."""
    from chalicelib.jobs.send_reminders import handle
    from chalicelib.jobs.sweep import queue_url
    from chalicelib.local.sqs_pump import drain

    def invoke(event: dict) -> dict:
        try:
            return handle(event)
        except Exception as exc:  # an invocation error: Lambda keeps the whole batch on the queue
            print(f"  reminder batch failed: {type(exc).__name__}: {exc}", flush=True)
            return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"]]}

    totals = drain(queue_url(), invoke)
    return {"received": totals["received"], "processed": totals["received"] - totals["failed"],
            "failed": totals["failed"]}


def sweep_and_drain() -> dict:
    """The minute schedules: segment builds (a new segment's first build, resumed page by page),
    then the lapse sweep and the reminder queue."""
    from chalicelib.jobs.segments import build_segments
    from chalicelib.jobs.sweep import sweep_lapses

    build_segments()
    swept = sweep_lapses()
    drained = drain_queue()
    return {"sweep": swept, "queue": drained}


def demo_quiet_hours(window: str | None) -> None:
    """DEMO_QUIET_HOURS=HH:MM-HH:MM sets the seeded clinics' quiet hours (equal ends: none). The
    browser tests start their stacks with none, so their reminders go out at any hour of the day;
    a developer's `make run` keeps the default 21:00-08:00."""
    if not window:
        return
    from chalicelib.domain.clock import clock, iso
    from chalicelib.domain.rules import parse_wall_time
    from chalicelib.store import channels, clinics

    start, _, end = window.partition("-")
    quiet = {"start": parse_wall_time(start).strftime("%H:%M"), "end": parse_wall_time(end).strftime("%H:%M")}
    for clinic_id in clinics.all_clinic_ids():
        stored = dict(channels.delivery_settings(clinic_id, fresh=True))
        channels.put_delivery_settings(clinic_id, {**stored, "quiet_hours": quiet}, iso(clock.now()))


RISK_PERIOD = timedelta(days=1)


def train_when_due() -> list[str]:
    """The daily risk training, for each clinic whose last run is a day old or missing (the first
    slow tick after the demo seed trains every clinic at once)."""
    from chalicelib.domain.clock import clock, parse_iso
    from chalicelib.services.risk import train_clinic
    from chalicelib.store import clinics, risk

    trained = []
    for clinic_id in clinics.all_clinic_ids():
        last = risk.last_run(clinic_id)
        if last is None or clock.now() - parse_iso(last.at) >= RISK_PERIOD:
            train_clinic(clinic_id)
            trained.append(clinic_id)
    return trained


def refresh_kpis(train: bool = True) -> dict:
    """The slower schedules: KPIs, points expiry (hourly in AWS; cheap, it reads only due lots)
    and, unless `train` is False, risk training when a day has passed (the runner's loop trains
    after the sweep instead, so a first start's dashboard and reminders come before it)."""
    from chalicelib.jobs.expiry import expire_points
    from chalicelib.jobs.kpis import refresh_kpis as run
    from chalicelib.jobs.segments import refresh_segments

    refresh_segments()  # every 15 minutes in AWS: the memberships whose time rule flips
    expire_points()
    figures = run()
    if train:
        train_when_due()
    return figures


def describe_tick(result: dict) -> str:
    swept, drained = result["sweep"], result["queue"]
    return (f"sweep: {swept['read']} due, {swept['queued']} queued; queue: {drained['processed']} delivered, "
            f"{drained['failed']} failed")


# -- the stack -------------------------------------------------------------------------------------------


@dataclass
class Stack:
    args: argparse.Namespace
    layout: Layout = field(default_factory=Layout.from_env)
    children: list[Child] = field(default_factory=list)
    servers: list = field(default_factory=list)
    started: bool = False
    ready: bool = False

    def __post_init__(self):
        self.ports = ports()
        self.urls = {
            "api": f"http://127.0.0.1:{self.ports['API_PORT']}",
            "site": f"http://127.0.0.1:{self.ports['SITE_PORT']}",
            "moto": f"http://127.0.0.1:{self.ports['MOTO_PORT']}",
            "wechat": f"http://127.0.0.1:{self.ports['WECHAT_PORT']}",
        }

    def start(self) -> None:
        from chalicelib.local import fake_wechat

        self.layout.ensure()
        previous = read_json(self.layout.pids_file, {}) or {}
        running = previous.get("runner")
        if running and running != os.getpid() and pid_alive(running):
            raise SystemExit(f"a local stack (pid {running}) already runs from {self.layout.root}")
        reap_leftovers(previous)
        busy = [f"{name}={port}" for name, port in self.ports.items() if port_open(port)]
        if busy:
            raise SystemExit(f"ports already in use: {', '.join(busy)} (another stack running? set the "
                             "*_PORT variables to move this one)")
        started = time.monotonic()
        self.started = True
        _, wechat = fake_wechat.serve(WECHAT_APPID, WECHAT_SECRET, port=self.ports["WECHAT_PORT"])
        self.servers.append(wechat)

        moto = spawn("moto", [sys.executable, "-m", "chalicelib.local.run", "--serve-moto",
                              str(self.ports["MOTO_PORT"])], child_env({}), self.layout)
        self.children.append(moto)
        self._write_pids()
        wait_until(lambda: port_open(self.ports["MOTO_PORT"]), "moto", moto)

        settings = app_env(self.urls, self.layout)
        use_settings(settings)
        pool_id, client_id = self._bootstrap()
        self.settings = app_env(self.urls, self.layout, pool_id, client_id)
        use_settings(self.settings)

        from chalicelib.local import seed, snapshot

        staff = read_json(self.layout.staff_file, [])
        if snapshot.exists(self.layout.state):
            restored = snapshot.restore(self.layout.state)
            seed.create_staff_accounts(pool_id, staff)
            print(f"restored {restored['items']} items of {restored['clinics']} clinics from "
                  f"{snapshot.path(self.layout.state)} in {restored['seconds']:.1f}s", flush=True)
            if self.args.patients is not None:
                print("  (--patients is ignored while saved data exists; `make reset` starts clean)", flush=True)
        elif not self.args.no_seed:
            patients = DEFAULT_PATIENTS if self.args.patients is None else self.args.patients
            demo = seed.run(patients=patients, pool_id=pool_id)
            demo_quiet_hours(os.environ.get("DEMO_QUIET_HOURS"))
            staff = demo.pop("staff")
            write_private(self.layout.staff_file, staff)
            write_private(self.layout.demo_file, demo)
            taken = snapshot.take(self.layout.state)
            print(f"saved a snapshot ({taken['items']} items) in {taken['seconds']:.1f}s", flush=True)
        self.ready = True

        write_private(self.layout.env_file, self._env_document(pool_id, client_id))
        if not os.environ.get("REVISIT_LOCAL_DIR"):
            # The developer's stack points the built site at its API; stacks with a data directory
            # of their own (the e2e tests) leave the checkout alone: their site server answers
            # /config.js itself.
            write_site_config(self.urls["api"])

        command = chalice_command() + ["local", "--stage", "local", "--host", "127.0.0.1",
                                       "--port", str(self.ports["API_PORT"])]
        if not self.args.reload:
            command.append("--no-autoreload")
        api = spawn("api", command, child_env(self.settings, POWERTOOLS_LOG_LEVEL="INFO"), self.layout)
        self.children.append(api)
        self._write_pids()
        self.servers.append(site_server(ROOT / "admin_site" / "dist", self.urls["api"], self.ports["SITE_PORT"]))
        wait_until(lambda: http_ok(self.urls["api"] + "/health"), "the API (chalice local)", api, timeout=90)
        self.banner(staff, time.monotonic() - started)

    def _bootstrap(self) -> tuple[str, str]:
        from chalicelib.local import bootstrap, snapshot

        bootstrap.create_table()
        bootstrap.create_queues()
        bootstrap.create_key()
        snapshot.prepare()
        return bootstrap.create_user_pool()

    def _env_document(self, pool_id: str, client_id: str) -> dict:
        return {
            "api_url": self.urls["api"], "site_url": self.urls["site"], "moto_url": self.urls["moto"],
            "wechat_url": self.urls["wechat"], "ports": self.ports, "region": REGION,
            "user_pool_id": pool_id, "user_pool_client_id": client_id,
            "table": self.settings["REVISIT_TABLE"], "queue": self.settings["REMINDER_QUEUE_NAME"],
            "runner_pid": os.getpid(), "started_at": datetime.now().isoformat(timespec="seconds"),
            "env": self.settings,
        }

    def _write_pids(self) -> None:
        write_private(self.layout.pids_file, {"runner": os.getpid(),
                                              **{child.name: child.pid for child in self.children}})

    def banner(self, staff: list[dict], seconds: float) -> None:
        demo = read_json(self.layout.demo_file, {}) or {}
        lines = [
            "",
            f"Revisit local stack is up ({seconds:.0f}s)",
            f"  admin site   {self.urls['site']}",
            f"  API          {self.urls['api']}   (OpenAPI: {self.urls['api']}/openapi.json)",
            f"  moto         {self.urls['moto']}   fake WeChat {self.urls['wechat']}",
            f"  data         {self.layout.root}   logs {self.layout.logs}",
        ]
        if staff:
            lines.append("  staff logins:")
            lines += [f"    {s['username']:<22} {s['password']}   ({s['role']}, {s['clinic_id']})" for s in staff]
        logins = demo.get("patient_logins") or []
        if logins:
            lines.append("  patient logins for the mini-program client (a code works once; add .2, .3 ... "
                         "for the next login):")
            lines += [f"    {p['code']:<16} {p['clinic_id']:<12} {p['note']}" for p in logins]
            lines.append(f"    python scripts/miniprogram_client.py {self.urls['api']} --name {logins[0]['code'][3:]}")
        lines.append(f"  schedules: sweep + reminder queue every {self.args.sweep_period}s, KPIs every "
                     f"{self.args.kpi_period}s; snapshot every {self.args.snapshot_period}s and on exit")
        lines.append("  Ctrl-C stops everything (data is kept; `make reset` removes it)")
        print("\n".join(lines), flush=True)

    def loop(self) -> None:
        now = time.monotonic()
        next_sweep, next_kpi = now, now
        next_snapshot = now + self.args.snapshot_period
        while True:
            for child in self.children:
                if not child.alive():
                    raise SystemExit(f"{child.name} stopped unexpectedly (exit {child.process.returncode}); "
                                     f"see {child.log}")
            now = time.monotonic()
            # KPIs first (a first start's dashboard fills within a minute), then the sweep, then
            # the risk training that the KPI tick leaves (minutes on a first start)
            training_due = now >= next_kpi
            if training_due:
                next_kpi = now + self.args.kpi_period
                self._tick("kpis", lambda: refresh_kpis(train=False), quiet_unless=lambda r: False, describe=str)
            if now >= next_sweep:
                next_sweep = now + self.args.sweep_period
                self._tick("sweep", sweep_and_drain, quiet_unless=lambda r: r["sweep"]["queued"] or
                           r["queue"]["received"], describe=describe_tick)
            if training_due:
                self._tick("training", train_when_due, quiet_unless=lambda r: r, describe=lambda r: f"trained {r}")
            if now >= next_snapshot:
                next_snapshot = now + self.args.snapshot_period
                from chalicelib.local import snapshot

                self._tick("snapshot", lambda: snapshot.take(self.layout.state), quiet_unless=lambda r: False,
                           describe=str)
            time.sleep(max(0.2, min(next_sweep, next_kpi, next_snapshot) - time.monotonic()))

    @staticmethod
    def _tick(name: str, job, quiet_unless, describe) -> None:
        try:
            result = job()
        except (KeyboardInterrupt, Stop):
            raise
        except Exception as exc:  # a failing job is reported and retried at its next tick
            print(f"[{datetime.now():%H:%M:%S}] {name} failed: {type(exc).__name__}: {exc}", flush=True)
            return
        if quiet_unless(result):
            print(f"[{datetime.now():%H:%M:%S}] {describe(result)}", flush=True)

    def shutdown(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_IGN)
        if not self.started:
            return
        print("\nstopping the local stack ...", flush=True)
        api = [c for c in self.children if c.name == "api"]
        for child in api:
            child.stop()
        moto = [c for c in self.children if c.name == "moto"]
        if self.ready and moto and moto[0].alive():
            try:
                from chalicelib.local import snapshot

                taken = snapshot.take(self.layout.state)
                print(f"saved {taken['items']} items to {snapshot.path(self.layout.state)}", flush=True)
            except Exception as exc:
                print(f"could not save a snapshot: {type(exc).__name__}: {exc}", flush=True)
        for child in moto:
            child.stop()
        for server in self.servers:
            server.shutdown()
            server.server_close()
        try:
            self.layout.pids_file.unlink()
        except FileNotFoundError:
            pass
        print("stopped", flush=True)


def _raise_stop(signum, frame):
    raise Stop()


def run_stack(args: argparse.Namespace) -> int:
    signal.signal(signal.SIGTERM, _raise_stop)
    stack = Stack(args)
    try:
        stack.start()
        stack.loop()
    except (KeyboardInterrupt, Stop):
        return 0
    except SystemExit as exc:
        if exc.code not in (None, 0):
            print(exc.code, file=sys.stderr, flush=True)
        return 1
    finally:
        stack.shutdown()
    return 0


def sweep_once() -> int:
    """One sweep + queue drain + KPI refresh against the running stack of REVISIT_LOCAL_DIR."""
    layout = Layout.from_env()
    document = read_json(layout.env_file)
    if not document:
        print(f"no local stack found ({layout.env_file} is missing): start one with `make run`", file=sys.stderr)
        return 1
    if not port_open(int(document["ports"]["MOTO_PORT"])):
        print(f"the local stack is not running (nothing on {document['moto_url']}): start it with `make run`",
              file=sys.stderr)
        return 1
    use_settings(document["env"])
    started = time.monotonic()
    result = sweep_and_drain()
    kpis = refresh_kpis()
    swept, drained = result["sweep"], result["queue"]
    print(f"sweep: {swept['clinics']} clinics, {swept['read']} due, {swept['queued']} queued, "
          f"{swept['failed']} not queued")
    print(f"queue: {drained['received']} received, {drained['processed']} delivered, {drained['failed']} failed")
    print("kpis: " + ", ".join(f"{clinic} {n} patients" for clinic, n in sorted(kpis.items())))
    print(f"done in {time.monotonic() - started:.1f}s")
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.local.run",
                                     description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--sweep-once", action="store_true",
                        help="fire the sweep, drain the reminder queue and refresh KPIs once on a running stack")
    parser.add_argument("--patients", type=int, default=None,
                        help=f"demo patients of demo-dental for a fresh seed (default {DEFAULT_PATIENTS})")
    parser.add_argument("--no-seed", action="store_true", help="start empty (no clinics, staff or patients)")
    parser.add_argument("--reload", action="store_true",
                        help="restart the API when code changes (chalice's stat() watcher; costs CPU)")
    parser.add_argument("--sweep-period", type=float, default=float(os.environ.get("SWEEP_PERIOD", "60")),
                        help="seconds between sweeps + queue drains (SWEEP_PERIOD, default 60)")
    parser.add_argument("--kpi-period", type=float, default=float(os.environ.get("KPI_PERIOD", "300")),
                        help="seconds between KPI refreshes (KPI_PERIOD, default 300)")
    parser.add_argument("--snapshot-period", type=float, default=float(os.environ.get("SNAPSHOT_PERIOD", "300")),
                        help="seconds between snapshots of the data (SNAPSHOT_PERIOD, default 300)")
    parser.add_argument("--serve-moto", type=int, metavar="PORT", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.serve_moto:
        serve_moto("127.0.0.1", args.serve_moto)
        return 0
    if args.sweep_once:
        return sweep_once()
    return run_stack(args)


if __name__ == "__main__":
    sys.exit(main())
