"""The runner's child processes: start each in a process group of its own with its output in a
log, watch them, stop a whole group (TERM, then KILL), and stop what a killed runner left behind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from devstack.layout import ROOT, Layout


class Stop(BaseException):
    """SIGTERM, handled like Ctrl-C. A BaseException, like KeyboardInterrupt, so that no
    `except Exception` in a job (or a library it calls) can swallow the request to stop."""


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


def spawn(name: str, command: list[str], env: dict[str, str], layout: Layout, pipe: bool = False) -> Child:
    """Start a child in a process group of its own, its output in .local/logs/<name>.log (with
    `pipe`, only its stderr: its stdout is a pipe the runner reads)."""
    log = layout.logs / f"{name}.log"
    with open(log, "ab") as handle:  # the child keeps its own copy of the descriptor
        handle.write(f"\n--- {datetime.now().isoformat(timespec='seconds')} {' '.join(command)}\n".encode())
        handle.flush()
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE if pipe else handle,
                                   stderr=handle if pipe else subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True, text=pipe or None)
    return Child(name, process, log)


# What a child's command line holds, to tell it from an unrelated process that got its pid since.
CHILD_MARKERS = {"moto": ("devstack.moto_server",), "api": ("chalice", "local"), "seed": ("devstack.seed.offline",)}


def reap_leftovers(pids: dict[str, int]) -> None:
    """Stop children a killed runner (SIGKILL, a crash) left behind, if they are still ours."""
    for name, pid in pids.items():
        markers = CHILD_MARKERS.get(name)
        if not markers or not pid_alive(pid):
            continue
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if all(marker in command for marker in markers):
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
    """Whether a process with this id exists (one of another user's counts)."""
    return _reaches(os.kill, pid)


def group_alive(pgid: int) -> bool:
    """Whether any process of this process group exists."""
    return _reaches(os.killpg, pgid)


def _reaches(send, target: int) -> bool:
    try:
        send(target, 0)
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
