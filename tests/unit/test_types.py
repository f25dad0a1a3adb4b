"""The type checker the build runs: mypy over chalicelib as mypy.ini configures it (every check of
`--strict` on domain/ and store/, mypy's defaults plus untyped bodies elsewhere) reports nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_chalicelib_type_checks():
    # The cache stays in the repository's .mypy_cache (ignored by git): a warm run takes a few
    # tenths of a second, a cold one a few seconds.
    env = {**os.environ, "MYPY_FORCE_COLOR": "0"}
    proc = subprocess.run([sys.executable, "-m", "mypy", "--no-color-output"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stdout[-8000:] + proc.stderr[-2000:]
