"""The mini-program's own suite (miniprogram/, Node): the stale-types check, the TypeScript type
check, the compile, and every page rendered in WeChat's simulator (miniprogram-simulate) with
wx.* faked. `npm ci` runs first when node_modules is missing or was installed from another
package-lock.json; `make test` installs Node first when the machine has none (Makefile)."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

MINIPROGRAM = Path(__file__).resolve().parents[2] / "miniprogram"
STAMP = MINIPROGRAM / "node_modules" / ".revisit-lock-sha256"  # the lock file node_modules was installed from


def lock_digest() -> str:
    return hashlib.sha256((MINIPROGRAM / "package-lock.json").read_bytes()).hexdigest()


def run(*args: str, timeout: int) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=MINIPROGRAM, capture_output=True, text=True, timeout=timeout)


def ensure_node_modules(npm: str) -> None:
    if STAMP.exists() and STAMP.read_text().strip() == lock_digest():
        return
    done = run(npm, "ci", "--no-audit", "--no-fund", "--loglevel=error", timeout=600)
    if done.returncode:
        pytest.fail(f"npm ci in miniprogram/ failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")
    STAMP.write_text(lock_digest())


def test_miniprogram_node_suite():
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is needed for the mini-program's tests: `make test` installs Node, or install nodejs and npm")
    ensure_node_modules(npm)
    done = run(npm, "test", timeout=300)
    if done.returncode:
        pytest.fail(f"`npm test` in miniprogram/ failed (exit {done.returncode}):\n{done.stdout[-20000:]}\n{done.stderr[-8000:]}")
