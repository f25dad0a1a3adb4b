"""store/ owns the keys of the clinic's records: the services, jobs and channels of patients, visits,
recall and delivery, segments, experiments, follow-ups, risk, packages, sessions and staff import no
PynamoDB model or pynamodb, hold no key prefix and read no raw DynamoDB item. They take and return
the store's records. (The activity's files get the same check once they are converted.)"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from chalicelib.store import keys

ROOT = Path(__file__).resolve().parents[2]

CONVERTED = [
    *(f"chalicelib/services/{name}.py" for name in (
        "patients", "patient_fields", "sessions", "visits", "recall", "outbound", "segments", "experiments",
        "followups", "risk", "packages", "clinics", "staff_accounts", "login", "channels", "desk", "appointments")),
    *(str(p.relative_to(ROOT)) for p in sorted((ROOT / "chalicelib/jobs").glob("*.py"))),
    *(f"chalicelib/channels/{name}.py" for name in ("__init__", "sms", "wechat")),
]

ALLOWED_IMPORTS: set[tuple[str, str]] = set()  # (file, module) exceptions; none are left

FORBIDDEN_MODULES = ("chalicelib.store.models", "pynamodb")

# Every sort-key constant keys.py defines, and the shape of a prefix: upper-case words before a '#'.
KEY_CONSTANTS = {value for name, value in vars(keys).items() if name.isupper() and isinstance(value, str)}
KEY_CONSTANTS |= {value.split("#", 1)[0] for value in KEY_CONSTANTS}  # "VISIT" of "VISIT#": a kind read off a key
KEY_ATTRIBUTES = ("pk", "sk", "due_pk", "due_sk", "gsi1pk", "gsi1sk")
PREFIX = re.compile(r"^[A-Z][A-Z_]*#|#[A-Z][A-Z_]*#")


def _imports(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):  # inside functions and TYPE_CHECKING blocks too
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
            found += [f"{node.module}.{alias.name}" for alias in node.names]
    return found


def _strings(tree: ast.AST) -> list[str]:
    return [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)]


def _raw_reads(tree: ast.AST) -> list[str]:
    """Subscripts that read a raw item's typed value (`["S"]`, `["N"]`) or its keys (`["pk"]`, `["sk"]` ...)."""
    raw = {"S", "N", "L", "M", *KEY_ATTRIBUTES}
    return [ast.unparse(node) for node in ast.walk(tree) if isinstance(node, ast.Subscript)
            and isinstance(node.slice, ast.Constant) and node.slice.value in raw]


def _key_attributes(tree: ast.AST) -> list[str]:
    """A record's key read as an attribute (`patient.pk`, `job.sk`): keys stay in store/."""
    return [ast.unparse(node) for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and node.attr in KEY_ATTRIBUTES]


@pytest.mark.parametrize("path", CONVERTED)
def test_no_models_pynamodb_key_prefixes_or_raw_items(path):
    tree = ast.parse((ROOT / path).read_text(), path)
    imports = [name for name in _imports(tree) if name.startswith(FORBIDDEN_MODULES)
               and not any(path == where and name.startswith(allowed) for where, allowed in ALLOWED_IMPORTS)]
    assert not imports, f"{path} imports {sorted(set(imports))}: take the store's records instead"
    prefixes = [s for s in _strings(tree) if s in KEY_CONSTANTS or PREFIX.search(s)]
    assert not prefixes, f"{path} holds key prefixes {prefixes}: build keys in chalicelib/store/keys.py"
    raw = _raw_reads(tree)
    assert not raw, f"{path} reads raw items {raw}: the store hands out records"
    key_reads = _key_attributes(tree)
    assert not key_reads, f"{path} reads keys of records {key_reads}: ask the store module of the kind"


def test_the_check_catches_what_it_looks_for():
    sample = ast.parse('from chalicelib.store.models import VisitItem\nsk = f"VISIT#{day}"\nraw["sk"]["S"]\n'
                       'import pynamodb.exceptions\nPROFILE = "PROFILE"\nkind == "FUOUT"\nref(job.sk)\n')
    assert "chalicelib.store.models" in _imports(sample) and "pynamodb.exceptions" in _imports(sample)
    assert sorted(s for s in _strings(sample) if s in KEY_CONSTANTS or PREFIX.search(s)) == ["FUOUT", "PROFILE", "VISIT#"]
    assert len(_raw_reads(sample)) == 2 and _key_attributes(sample) == ["job.sk"]
