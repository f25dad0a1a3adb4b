"""Every route of the OpenAPI document has answered a 2xx that the contract check (conftest.py)
validated against its schema, somewhere in the API tests. Runs last (file order) and only when
the whole of tests/api ran, since a part of the suite reaches only some routes."""

from __future__ import annotations

import pathlib

import pytest

HERE = pathlib.Path(__file__).parent


def test_every_route_gave_a_checked_success(request, checked_successes, the_contract):
    ran = {pathlib.Path(str(item.fspath)).name for item in request.session.items}
    modules = {path.name for path in HERE.glob("test_*.py")}
    if not modules <= ran:
        pytest.skip("only part of tests/api ran")
    document = the_contract.document
    routes = {(method, path) for path, operations in document["paths"].items() for method in operations}
    assert checked_successes, "the contract check saw no answer at all"
    missing = sorted(routes - checked_successes, key=lambda route: (route[1], route[0]))
    assert not missing, "routes no API test received a 2xx from: " + ", ".join(f"{m.upper()} {p}" for m, p in missing)
