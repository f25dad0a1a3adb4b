"""The real local stack for end-to-end tests: `python -m devstack.run` in a subprocess with
free ports, its own data directory and a small demo seed, exactly as `make run` starts it.

`local_stack` (session scope) yields a running stack with demo data in which one sweep and queue
drain has already run, so reminders have been sent. `start_stack` starts further stacks (the
restart test uses its own). Stopping checks that every process the runner started has ended.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

try:  # the browser tests share one stack with the other worker's load: give assertions room to wait
    from playwright.sync_api import expect as _expect

    _expect.set_options(timeout=15_000)
except ImportError:  # pragma: no cover - the browser tests skip without playwright
    pass

from devstack.probe import alive, free_ports
from devstack.supervisor import group_alive

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 300  # a first start on a shared two-core machine


def http_status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=3) as reply:
            return reply.status
    except urllib.error.HTTPError as err:
        return err.code
    except (urllib.error.URLError, OSError):
        return None


_alive = alive


@dataclass
class LocalStack:
    """A running local stack; the attribute names are what the e2e tests (API and browser) use."""

    api_url: str
    site_url: str
    admin_username: str
    admin_password: str
    staff_username: str
    staff_password: str
    other_clinic_admin_username: str
    other_clinic_admin_password: str
    env: dict
    local_dir: Path
    moto_url: str
    process: subprocess.Popen
    child_pids: dict[str, int]
    patient_logins: list[dict] = field(default_factory=list)
    demo: dict = field(default_factory=dict)
    log: Path | None = None
    lines: list[tuple[float, str]] = field(default_factory=list)  # (seconds since the start, line)
    passwords: dict[str, str] = field(default_factory=dict)  # every demo account's, by username

    def password(self, username: str) -> str:
        return self.passwords[username]

    def command_env(self) -> dict:
        return {**os.environ, "REVISIT_LOCAL_DIR": str(self.local_dir)}

    def sweep_once(self) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "devstack.run", "--sweep-once"], cwd=ROOT,
                              env=self.command_env(), capture_output=True, text=True, timeout=120, check=False)

    def log_tail(self, lines: int = 40) -> str:
        if not self.log or not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, timeout: float = 120, sig: int = signal.SIGTERM) -> None:
        """SIGTERM the runner, as a service manager would (or SIGINT, as Ctrl-C does); it must stop
        everything it started."""
        problems = []
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                problems.append(f"the runner did not stop within {timeout:.0f}s")
        elif self.process.returncode != 0:
            problems.append(f"the runner had already exited with {self.process.returncode}")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(p) or group_alive(p) for p in self.child_pids.values()):
            time.sleep(0.1)
        left = {name: pid for name, pid in self.child_pids.items() if _alive(pid) or group_alive(pid)}
        if left:
            problems.append(f"processes still running after the runner stopped: {left}")
        for pgid in [self.process.pid, *left.values()]:
            try:
                os.killpg(pgid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if self.process.poll() is None:
            self.process.wait(10)
        if problems:
            raise AssertionError("; ".join(problems) + "\n" + self.log_tail())


def stack_env(local_dir: Path, extra_env: dict | None = None) -> dict:
    """The environment of a stack in `local_dir` with free ports."""
    local_dir.mkdir(parents=True, exist_ok=True)
    api, site, moto, wechat, wecom, sms = free_ports(6)
    env = {
        **os.environ,
        "REVISIT_LOCAL_DIR": str(local_dir),
        "API_PORT": str(api), "SITE_PORT": str(site), "MOTO_PORT": str(moto), "WECHAT_PORT": str(wechat),
        "WECOM_PORT": str(wecom), "SMS_PORT": str(sms),
        "SWEEP_PERIOD": "5", "KPI_PERIOD": "30", "SNAPSHOT_PERIOD": "600",
        # no quiet hours in the demo clinics: the tests' reminders must go out whatever the hour
        "DEMO_QUIET_HOURS": "00:00-00:00",
        **(extra_env or {}),
    }
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "COGNITO_ENDPOINT_URL", "REVISIT_TABLE", "REVISIT_STAGE"):
        env.pop(name, None)
    return env


def start_stack(local_dir: Path, patients: int = 60, extra_env: dict | None = None,
                timeout: float = START_TIMEOUT) -> LocalStack:
    env = stack_env(local_dir, extra_env)
    api, site = env["API_PORT"], env["SITE_PORT"]
    log = local_dir / "runner.log"
    process, lines = launch(env, patients, log)
    api_url, site_url = f"http://127.0.0.1:{api}", f"http://127.0.0.1:{site}"
    state = local_dir / "state"
    deadline = time.monotonic() + timeout
    while True:
        document = _read(state / "env.json")
        if (document and document.get("runner_pid") == process.pid and http_status(api_url + "/health") == 200
                and http_status(site_url + "/") == 200):
            break
        if process.poll() is not None or time.monotonic() > deadline:
            text = log.read_text(errors="replace")
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            for pid in (_read(state / "pids.json") or {}).values():
                try:
                    os.killpg(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            raise RuntimeError(f"the local stack did not start (exit {process.poll()}):\n{text[-4000:]}")
        time.sleep(0.25)
    pids = {name: pid for name, pid in (_read(state / "pids.json") or {}).items() if name != "runner"}
    staff = {s["username"]: s for s in _read(state / "staff.json") or []}
    demo = _read(state / "demo.json") or {}
    return LocalStack(
        api_url=api_url, site_url=site_url,
        admin_username="admin@demo-dental", admin_password=staff["admin@demo-dental"]["password"],
        staff_username="front_desk@demo-dental", staff_password=staff["front_desk@demo-dental"]["password"],
        other_clinic_admin_username="admin@north-derm",
        other_clinic_admin_password=staff["admin@north-derm"]["password"],
        env=document["env"], local_dir=local_dir, moto_url=document["moto_url"], process=process,
        child_pids=pids, patient_logins=demo.get("patient_logins", []), demo=demo, log=log, lines=lines,
        passwords={name: s["password"] for name, s in staff.items()},
    )


def launch(env: dict, patients: int, log: Path) -> tuple[subprocess.Popen, list[tuple[float, str]]]:
    """`python -m devstack.run` with its output copied into `log` and timed; does not wait."""
    lines: list[tuple[float, str]] = []
    process = subprocess.Popen([sys.executable, "-u", "-m", "devstack.run", "--patients", str(patients)],
                               cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, start_new_session=True)
    _copy_output(process, log, lines)
    return process, lines


def _copy_output(process: subprocess.Popen, log: Path, lines: list[tuple[float, str]]) -> None:
    """The runner's output into `log`, each line also kept with the seconds since the start at which
    it arrived (the progress test reads the gaps)."""
    started = time.monotonic()

    def copy() -> None:
        with open(log, "ab") as out:
            for raw in process.stdout:
                out.write(raw)
                out.flush()
                lines.append((time.monotonic() - started, raw.decode(errors="replace").rstrip("\n")))

    threading.Thread(target=copy, name="runner-output", daemon=True).start()


def _read(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory):
    stack = start_stack(tmp_path_factory.mktemp("local-stack"), patients=60)
    try:
        swept = stack.sweep_once()
        assert swept.returncode == 0, swept.stdout + swept.stderr
    except BaseException:
        stack.stop()
        raise
    yield stack
    stack.stop()
