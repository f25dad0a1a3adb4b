"""Where the local stack keeps its state and logs (REVISIT_LOCAL_DIR, default .local), and the
small JSON files in it."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # the checkout: app.py, admin_site/, .chalice/


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
