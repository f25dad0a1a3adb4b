"""Whatever a client sends, the answer is a 4xx with a code, never a 500, and nothing is lost.

The cases share one world. Junk may create data in it, so each case that calls as a patient or
a visitor gets one of its own (a junk DELETE /me must not leave the next route without a caller)."""

import re

import pytest

from tests.test_helpers import concrete, registered_routes, route_id

JUNK_BODIES = [b"", b"null", b"[]", b"123", b'"text"', b"{", b'{"a": {"b": [1, 2, {}]}}',
               '{"name": "\u0000\ud7ff", "value": 1e400}'.encode("utf-8", "surrogatepass"),
               b'{"type": "glucose", "value": "NaN", "client_time": "yesterday"}',
               b'{"reward_id": "../../etc", "visit_date": "2026-02-30", "consents": {"service": "maybe"}}']
JUNK_QUERIES = ["?limit=abc", "?limit=-1&cursor=%00", "?cursor=" + "A" * 3000, "?condition=&days=1e9",
                "?unknown=1&limit=5"]


@pytest.mark.parametrize("entry", registered_routes(), ids=route_id)
def test_junk_never_causes_a_server_error(shared_world, shared_clock, entry):
    api = shared_world.api
    role = entry["roles"][0]
    if role == "public":
        token = None
    # Patients and visitors go to the other clinic, so the staff cases find demo-dental as bare
    # as a fresh world would (and do not list every junk patient made so far).
    elif role == "visitor":
        token = shared_world.visitor("junk", clinic_id="other-clinic")
    elif role == "patient":
        token = shared_world.patient("junk", clinic_id="other-clinic")
    else:
        token = shared_world.staff("demo-dental", role)
    path = concrete(entry["path"])
    ctype = entry["content_types"][0]
    for body in JUNK_BODIES:
        status, data = api.call(entry["method"].upper(), path, raw=body, token=token, content_type=ctype)
        assert status < 500, (body, status, data)
        if status >= 400:
            assert isinstance(data, dict) and re.fullmatch(r"[a-z_]+", data.get("code", "")), data
    for query in JUNK_QUERIES:
        status, data = api.call(entry["method"].upper(), path + query, token=token, content_type=ctype)
        assert status < 500, (query, status, data)
