"""The patient's activity (check-ins, points, rewards, challenges, tasks, board, inbox) reaches
storage only through store/'s typed records and plan steps: these services and channels import
no PynamoDB model, no PynamoDB, no key builder, and hold no key prefix of their own."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONVERTED = [
    "chalicelib/services/activity.py",
    "chalicelib/services/progress.py",
    "chalicelib/services/challenges.py",
    "chalicelib/services/tasks.py",
    "chalicelib/services/inbox.py",
    "chalicelib/services/leaderboard.py",
    "chalicelib/channels/inbox.py",
]
FORBIDDEN = ("chalicelib.store.models", "chalicelib.store.keys", "pynamodb")
KEY_PREFIX = re.compile(r"^[A-Z][A-Z_]*#")  # CHECKIN#, LEDGER#, PROG#TASK# ...


def problems_in(source: str, where: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        modules: list[str] = []
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        bad = [m for m in modules if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)]
        if bad:
            found.append(f"{where}:{node.lineno} imports {bad[-1]}")
        # a plain string or the head of an f-string
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and KEY_PREFIX.match(node.value):
            found.append(f"{where}:{node.lineno} holds the key prefix {node.value!r}")
    return found


def test_activity_services_use_records_and_plans_only():
    problems = []
    for name in CONVERTED:
        problems += problems_in((ROOT / name).read_text(), name)
    assert not problems, "\n".join(problems)


def test_the_check_finds_a_model_import_and_a_hand_built_key():
    source = ('from chalicelib.store.models import CheckInItem\nfrom chalicelib.store import keys\n'
              'import pynamodb.models\nsk = f"CHECKIN#{day}"\n')
    assert len(problems_in(source, "x.py")) == 4
