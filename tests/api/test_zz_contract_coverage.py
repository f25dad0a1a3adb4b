"""Every route of the OpenAPI document has answered a 2xx that the contract check (conftest.py)
validated against its schema, somewhere in the API tests. Runs last (file order) and only when
the whole of tests/api ran, since a part of the suite reaches only some routes.

On several processes (pytest-xdist, as `make test` runs), each process sees only its share of the
answers: this test then skips and the controlling process makes the same check over all of them
when the run ends (`pytest_sessionfinish` in tests/conftest.py), failing the run if a route is missing."""

from __future__ import annotations

import os
import pathlib

import pytest

HERE = pathlib.Path(__file__).parent


def api_modules() -> set[str]:
    return {path.name for path in HERE.glob("test_*.py")}


def uncovered(document: dict, checked: set[tuple[str, str]]) -> list[str]:
    """The routes of the document no checked 2xx came from, as "METHOD /path"."""
    routes = {(method, path) for path, operations in document["paths"].items() for method in operations}
    missing = sorted(routes - checked, key=lambda route: (route[1], route[0]))
    return [f"{method.upper()} {path}" for method, path in missing]


def test_every_route_gave_a_checked_success(request, checked_successes, the_contract):
    if os.environ.get("PYTEST_XDIST_WORKER"):
        pytest.skip("checked over every process's answers when the run ends")
    ran = {pathlib.Path(str(item.fspath)).name for item in request.session.items}
    if not api_modules() <= ran:
        pytest.skip("only part of tests/api ran")
    assert checked_successes, "the contract check saw no answer at all"
    missing = uncovered(the_contract.document, checked_successes)
    assert not missing, "routes no API test received a 2xx from: " + ", ".join(missing)
