"""The wrong caller on every route: no token, a bad token, and each role the route does not allow.

The cases share one world and one set of callers: every call here is refused, so none changes it."""

import pytest

from tests.conftest import T0
from tests.test_helpers import concrete, registered_routes, route_id


@pytest.fixture(scope="module")
def callers(shared_world):
    from chalicelib.domain.clock import clock

    clock.set(T0)  # patient tokens carry the test clock's time; each case sets it back to T0
    try:
        from chalicelib.auth import STAFF_ROLES

        tokens = {role: shared_world.staff("demo-dental", role) for role in STAFF_ROLES}
        tokens["operator"] = shared_world.staff("platform", "operator")
        tokens["patient"] = shared_world.patient("wrongcaller")
        tokens["visitor"] = shared_world.visitor()
    finally:
        clock.release()
    return tokens


@pytest.mark.parametrize("entry", registered_routes(include_public=False), ids=route_id)
def test_every_route_refuses_the_wrong_caller(shared_world, shared_clock, callers, entry):
    api = shared_world.api
    method, path = entry["method"].upper(), concrete(entry["path"])
    ctype = entry["content_types"][0]
    status, err = api.call(method, path, body={}, content_type=ctype)
    assert status == 401 and err["code"] == "missing_token"
    status, err = api.call(method, path, body={}, token="not-a-token", content_type=ctype)
    assert status == 401
    for role, token in callers.items():
        if role in entry["roles"]:
            continue
        status, err = api.call(method, path, body={}, token=token, content_type=ctype)
        assert status == 403, (role, status, err)
        assert err["code"] == "wrong_role"
