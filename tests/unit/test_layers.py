"""The layers the build enforces: the import contracts of .importlinter hold, and every deferred
import is mirrored by a real import under TYPE_CHECKING, so that the graph tools check (import-linter,
type checkers, an IDE's go-to-definition) is the graph the code runs."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_hold():
    lint = Path(sys.executable).parent / "lint-imports"
    proc = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "0 broken" in proc.stdout


def _deferred_and_mirrored(tree: ast.Module) -> tuple[dict[str, str], dict[str, str], list[int]]:
    """Names bound by `name = lazy("module")` in a module, names bound by imports under
    `if TYPE_CHECKING:`, and the lines of lazy() calls outside such a block."""
    deferred: dict[str, str] = {}
    mirrored: dict[str, str] = {}
    stray: list[int] = []
    for node in tree.body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for stmt in node.body:
                if isinstance(stmt, ast.ImportFrom):
                    for alias in stmt.names:
                        mirrored[alias.asname or alias.name] = f"{stmt.module}.{alias.name}"
                elif isinstance(stmt, ast.Import):
                    for alias in stmt.names:
                        mirrored[alias.asname or alias.name.split(".")[0]] = alias.name
            for stmt in node.orelse:
                if (isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call)
                        and getattr(stmt.value.func, "id", None) == "lazy"):
                    deferred[stmt.targets[0].id] = stmt.value.args[0].value
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "lazy":
            stray.append(node.lineno)
    return deferred, mirrored, stray


def test_every_deferred_import_is_mirrored_for_the_tools():
    problems = []
    for path in sorted((ROOT / "chalicelib").rglob("*.py")):
        if path.name == "lazy.py":
            continue
        deferred, mirrored, calls = _deferred_and_mirrored(ast.parse(path.read_text()))
        where = path.relative_to(ROOT)
        if len(calls) != len(deferred):
            problems.append(f"{where}: lazy() outside an `if TYPE_CHECKING: ... else:` block")
        for name, module in deferred.items():
            if mirrored.get(name) != module:
                problems.append(f"{where}: {name} = lazy({module!r}) but TYPE_CHECKING imports {mirrored.get(name)!r}")
    assert not problems, "\n".join(problems)


def test_no_import_cycles_inside_services_or_store():
    """Counting the imports made inside functions too: a cycle hidden that way still ties two
    modules together."""
    import itertools

    import grimp

    graph = grimp.build_graph("chalicelib", cache_dir=None)
    cycles = []
    for package in ("chalicelib.services", "chalicelib.store", "chalicelib.domain"):
        modules = sorted(m for m in graph.modules if m.startswith(package + "."))
        cycles += [(a, b) for a, b in itertools.combinations(modules, 2)
                   if graph.chain_exists(importer=a, imported=b) and graph.chain_exists(importer=b, imported=a)]
    assert not cycles, cycles
