"""A newcomer's first minute: the real local stack (`python -m devstack.run`, as `make run` starts it)
in a temporary data folder with free ports, timed from the start until the dashboard is filled,
then stopped with SIGTERM and started again on the same data.

Filled means what a newcomer looks at: the API answers, the demo clinic's dashboard has its KPIs
for every seeded patient, the risk model is trained and the at-risk list has patients, and the
showcase eczema patient (wx-dd0001) finds the day-30 reminder in the inbox.

    .venv/bin/python bench/first_start.py [--patients N]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from devstack.probe import alive, call, free_ports  # noqa: E402

FIRST_START_TARGET = 60
RESTART_TARGET = 20
SILENCE_TARGET = 5
GIVE_UP_SECONDS = 900


class Run:
    """One `python -m devstack.run` with its output lines timed."""

    def __init__(self, local_dir: Path, ports: dict[str, int], patients: int | None):
        self.local_dir = local_dir
        self.api = f"http://127.0.0.1:{ports['API_PORT']}"
        env = {**os.environ, "REVISIT_LOCAL_DIR": str(local_dir), **{k: str(v) for k, v in ports.items()},
               "DEMO_QUIET_HOURS": "00:00-00:00"}  # reminders go out whatever the hour of the run
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "COGNITO_ENDPOINT_URL", "REVISIT_TABLE", "REVISIT_STAGE"):
            env.pop(name, None)
        command = [sys.executable, "-u", "-m", "devstack.run"]
        if patients is not None:
            command += ["--patients", str(patients)]
        self.started = time.monotonic()
        self.lines: list[tuple[float, str]] = []
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
                                        start_new_session=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append((time.monotonic() - self.started, line.rstrip("\n")))

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def state(self, name: str):
        try:
            return json.loads((self.local_dir / "state" / name).read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return None

    def output(self, last: int = 40) -> str:
        return "\n".join(line for _, line in self.lines[-last:])

    def wait_until(self, check, what: str) -> float:
        while not check():
            if self.process.poll() is not None:
                raise SystemExit(f"the runner exited ({self.process.returncode}) before {what}:\n{self.output()}")
            if self.elapsed() > GIVE_UP_SECONDS:
                raise SystemExit(f"no {what} after {GIVE_UP_SECONDS} s:\n{self.output()}")
            time.sleep(0.25)
        return self.elapsed()

    def longest_silence(self, until: float) -> float:
        moments = [0.0] + [at for at, _ in self.lines if at <= until] + [until]
        return max(b - a for a, b in zip(moments, moments[1:]))

    def stop(self) -> tuple[float, list[str]]:
        """SIGTERM as a service manager would; seconds until the runner is gone, and the children left."""
        children = {name: pid for name, pid in (self.state("pids.json") or {}).items() if name != "runner"}
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(120)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        seconds = time.monotonic() - started
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(alive(pid) for pid in children.values()):
            time.sleep(0.1)
        left = [f"{name} ({pid})" for name, pid in children.items() if alive(pid)]
        for pid in children.values():
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self.reader.join(5)
        return seconds, left


def filled(run: Run) -> bool:
    """The dashboard a newcomer opens: KPIs for every patient, a trained model with an at-risk list,
    the showcase eczema patient's reminder in the inbox."""
    staff = {s["username"]: s for s in run.state("staff.json") or []}
    demo = run.state("demo.json") or {}
    if run.state("env.json") is None or "admin@demo-dental" not in staff or not demo:
        return False
    status, login = call(run.api, "POST", "/auth/staff/login",
                         {"username": "admin@demo-dental", "password": staff["admin@demo-dental"]["password"]})
    if status != 200:
        return False
    token = login["id_token"]
    status, dashboard = call(run.api, "GET", "/dashboard", token=token)
    if status != 200 or (dashboard.get("kpis") or {}).get("patients", 0) < demo["patients"]:
        return False
    status, model = call(run.api, "GET", "/risk/model", token=token)
    if status != 200 or not model.get("model"):
        return False
    status, at_risk = call(run.api, "GET", "/risk/patients?limit=5", token=token)
    if status != 200 or not at_risk.get("items"):
        return False
    status, patient = call(run.api, "POST", "/auth/wechat/login",
                           {"clinic_id": "demo-dental", "code": f"wx-dd0001.{uuid.uuid4().hex[:8]}"})
    if status != 200 or not patient.get("access_token"):
        return False
    status, inbox = call(run.api, "GET", "/me/inbox", token=patient["access_token"])
    return status == 200 and bool(inbox.get("items"))


def load() -> float:
    return os.getloadavg()[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=None, help="demo patients (the runner's default if unset)")
    args = parser.parse_args(argv)
    ports = dict(zip(("API_PORT", "SITE_PORT", "MOTO_PORT", "WECHAT_PORT"), free_ports(4)))
    with tempfile.TemporaryDirectory(prefix="revisit-first-start-") as folder:
        local_dir = Path(folder) / "local"
        before = load()
        first = Run(local_dir, ports, args.patients)
        try:
            api_at = first.wait_until(lambda: call(first.api, "GET", "/health")[0] == 200, "API answer")
            ready_at = first.wait_until(lambda: any("local stack is up" in line for _, line in first.lines),
                                        "ready banner")
            filled_at = first.wait_until(lambda: filled(first), "filled dashboard")
        except BaseException:
            first.stop()
            raise
        silence = first.longest_silence(ready_at)
        stop_seconds, left = first.stop()
        saved = (local_dir / "state" / "table.json.gz").exists()
        after_first = load()

        again = Run(local_dir, ports, None)
        try:
            restart_api_at = again.wait_until(lambda: call(again.api, "GET", "/health")[0] == 200, "API answer")
            restart_at = again.wait_until(lambda: filled(again), "filled dashboard")
        finally:
            _, left_again = again.stop()
        demo = again.state("demo.json") or {}

    patients = demo.get("patients", 0) + demo.get("north_patients", 0)
    built = next((line for _, line in first.lines if "demo built:" in line), "")
    cpu = re.search(r"; ([0-9.]+) CPU seconds in all", built)
    phases = re.search(r"\((seed [^)]*?); [0-9.]+ CPU seconds", built)
    per_step = re.search(r"CPU seconds in all: ([^)]*)\)", built)
    print(f"first-start-api-seconds: {api_at:.1f} (the API answers /health)")
    print(f"first-start-ready-seconds: {ready_at:.1f} (the runner prints that the stack is up)")
    print(f"first-start-seconds: {filled_at:.1f} (target <= {FIRST_START_TARGET}; {patients} patients: dashboard KPIs, "
          f"a trained risk model and its at-risk list, the day-30 reminder in wx-dd0001's inbox)")
    if cpu:
        print(f"first-start-builder-cpu-seconds: {cpu.group(1)} (CPU time of the demo builder, whatever the machine's "
              f"load; {per_step.group(1) + ' of it' if per_step else ''}; wall-clock "
              f"{phases.group(1) if phases else '?'})")
    print(f"first-start-longest-silence-seconds: {silence:.1f} (target <= {SILENCE_TARGET}, between two lines of "
          f"the runner until it is up)")
    print(f"stop-seconds: {stop_seconds:.1f} (SIGTERM until the runner is gone, the snapshot written)")
    print(f"stop-children-left: {len(left) + len(left_again)} (target 0{'; ' + ', '.join(left + left_again) if left or left_again else ''})")
    print(f"stop-snapshot-saved: {'yes' if saved else 'no'}")
    print(f"restart-api-seconds: {restart_api_at:.1f} (the API answers /health)")
    print(f"restart-seconds: {restart_at:.1f} (target <= {RESTART_TARGET}; the same checks on the saved data)")
    print(f"first-start-load-average: {before:.1f} (1-minute load average of the machine before the first start, "
          f"{after_first:.1f} after it, on {os.cpu_count()} cores: other work shares them)")
    return 0 if saved and not left and not left_again else 1


if __name__ == "__main__":
    sys.exit(main())
