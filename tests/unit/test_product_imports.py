"""The product (app.py and chalicelib/) imports nothing from the development stack, the operator
tools or moto: they live outside chalicelib/ and are not in the Lambda bundle, so an import of
them would fail on Lambda (tests/infra/test_templates.py checks the bundle itself)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Top-level packages the product must not import, and the former home of the development stack.
FORBIDDEN = ("devstack", "ops", "moto", "chalicelib.local")


def _imported_modules(path: Path) -> set[str]:
    """Every module an import statement in the file names, at any depth (lazy imports too), and
    every string constant shaped like one of the forbidden modules (importlib.import_module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if any(node.value == name or node.value.startswith(name + ".") for name in FORBIDDEN):
                found.add(node.value)
    return found


def _forbidden(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in FORBIDDEN)


def test_the_product_imports_no_development_or_operator_tools():
    sources = [ROOT / "app.py", *sorted((ROOT / "chalicelib").rglob("*.py"))]
    assert len(sources) > 50  # the walk found the package
    offending = {str(path.relative_to(ROOT)): sorted(filter(_forbidden, _imported_modules(path)))
                 for path in sources}
    assert not {path: modules for path, modules in offending.items() if modules}


def test_the_check_sees_lazy_and_from_imports(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def later():\n    from devstack.seed import demo\n    import moto\n"
                      "    from chalicelib.local import run\n    return 'ops.admin'\n")
    assert set(filter(_forbidden, _imported_modules(sample))) == {
        "devstack.seed", "devstack.seed.demo", "moto", "chalicelib.local", "chalicelib.local.run", "ops.admin"}
