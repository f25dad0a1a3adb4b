"""Every route, for a caller whose session has ended: an erased patient's tokens and a disabled
staff account's token are refused on every route they were made for, and nothing is written
for the erased patient afterwards. One world for the module (see tests/conftest.py)."""

import pytest

from tests.conftest import STAFF_PASSWORD, T0, patient_record
from tests.test_helpers import concrete, refresh, registered_routes, staff_sign_in, wechat_login

PATIENT_ROUTES = [r for r in registered_routes() if "patient" in r["roles"]]
STAFF_ROUTES = [r for r in registered_routes() if set(r["roles"]) & {"admin", "front_desk", "health_manager", "analyst"}]


@pytest.fixture(scope="module")
def erased(shared_world):
    """A patient with data everywhere, erased; their access and refresh tokens, kept."""
    from chalicelib.domain.clock import clock

    clock.set(T0)
    api = shared_world.api
    login = wechat_login(api, "erased")
    status, data = api.post("/me/register", patient_record(phone="13700000005"), token=login["access_token"])
    token, pid = data["access_token"], data["patient"]["patient_id"]
    api.post("/me/checkins", {"type": "glucose", "value": 6.0, "client_time": T0.isoformat()}, token=token)
    assert api.put("/me/channels", {"preferred": "inbox"}, token=token)[0] == 200
    status, _ = api.delete("/me", token=token)
    assert status == 200
    clock.release()
    return {"token": token, "refresh": data["refresh_token"], "patient_id": pid}


def _partition(pid):
    from chalicelib.store import db
    from chalicelib.store.keys import patient_pk

    return db.query_partition(patient_pk("demo-dental", pid))


@pytest.mark.parametrize("entry", PATIENT_ROUTES, ids=lambda e: f"{e['method']} {e['path']}")
def test_an_erased_patients_token_is_refused_on_every_route(shared_world, shared_clock, erased, entry):
    # valid bodies where the service checks the session on its own read (after the body is parsed)
    body = {"/me/channels": {"preferred": "sms"}, "/me/redemptions": {"reward_id": "teeth-cleaning"},
            "/me/checkins": {"type": "glucose", "value": 6.1, "client_time": T0.isoformat()}}.get(entry["path"], {})
    status, err = shared_world.api.call(entry["method"].upper(), concrete(entry["path"]), body=body,
                                        token=erased["token"])
    assert status == 401 and err["code"] == "session_revoked", (status, err)
    assert _partition(erased["patient_id"]) == []  # nothing written for the erased patient


def test_an_erased_patient_cannot_refresh_into_a_record(shared_world, shared_clock, erased):
    status, renewed = refresh(shared_world.api, erased["refresh"])
    # the sign-in was the patient's: it goes on as a visitor's, who may register anew
    assert status == 200 and not renewed["registered"] and renewed["patient_id"] is None
    assert shared_world.api.get("/me", token=renewed["access_token"])[0] == 403


def test_writes_racing_an_erasure_leave_nothing_behind(shared_world, shared_clock, erased):
    """A request that passed its session check just before the erasure still cannot write."""
    from chalicelib.errors import NotFound
    from chalicelib.store import channels
    from chalicelib.store import inbox as inbox_store

    with pytest.raises(NotFound):
        channels.set_preferred("demo-dental", erased["patient_id"], "sms", T0.isoformat())
    with pytest.raises(NotFound):
        channels.add_quota("demo-dental", erased["patient_id"], "tmpl", "enc", T0.isoformat())
    with pytest.raises(NotFound):
        inbox_store.mark_read("demo-dental", erased["patient_id"], "m1", T0.isoformat())
    assert _partition(erased["patient_id"]) == []


@pytest.fixture(scope="module")
def disabled(shared_world):
    """A clerk's token, kept, and the clerk's account disabled afterwards."""
    from devstack import bootstrap
    from chalicelib.services import staff_accounts

    api = shared_world.api
    bootstrap.create_staff_user(shared_world.world.pool_id, "leaver@demo-dental", STAFF_PASSWORD, "demo-dental",
                                "front_desk")
    status, login = staff_sign_in(api, "leaver@demo-dental")
    assert status == 200, login
    assert api.get("/patients", token=login["id_token"])[0] == 200
    staff_accounts.disable("demo-dental", "leaver@demo-dental")
    return login


@pytest.mark.parametrize("entry", STAFF_ROUTES, ids=lambda e: f"{e['method']} {e['path']}")
def test_a_disabled_accounts_token_is_refused_on_every_route(shared_world, shared_clock, disabled, entry):
    status, err = shared_world.api.call(entry["method"].upper(), concrete(entry["path"]), body={},
                                        token=disabled["id_token"], content_type=entry["content_types"][0])
    assert status == 401 and err["code"] in ("account_disabled", "session_revoked"), (status, err)


def test_a_disabled_account_can_neither_sign_in_norrefresh(shared_world, shared_clock, disabled):
    api = shared_world.api
    status, err = staff_sign_in(api, "leaver@demo-dental")
    assert status == 401, err
    status, err = api.post("/auth/staff/refresh", {"refresh_token": disabled["refresh_token"]})
    assert status == 401, err


