"""Whatever a client sends, the answer is a 4xx with a code, never a 500, and nothing is lost."""

import re

import pytest

from tests.api.test_auth import _concrete

JUNK_BODIES = [b"", b"null", b"[]", b"123", b'"text"', b"{", b'{"a": {"b": [1, 2, {}]}}',
               '{"name": "\u0000\ud7ff", "value": 1e400}'.encode("utf-8", "surrogatepass"),
               b'{"type": "glucose", "value": "NaN", "client_time": "yesterday"}',
               b'{"reward_id": "../../etc", "visit_date": "2026-02-30", "consents": {"service": "maybe"}}']
JUNK_QUERIES = ["?limit=abc", "?limit=-1&cursor=%00", "?cursor=" + "A" * 3000, "?condition=&days=1e9",
                "?unknown=1&limit=5"]


def _routes():
    from app import app  # noqa: F401
    from chalicelib.api.routing import REGISTRY

    return REGISTRY


@pytest.mark.parametrize("entry", _routes(), ids=lambda r: f"{r['method']} {r['path']}")
def test_junk_never_causes_a_server_error(api, entry, staff_token, new_patient):
    from tests.conftest import wx_code

    role = entry["roles"][0]
    if role == "public":
        token = None
    elif role == "visitor":
        token = api.post("/auth/wechat/login", {"clinic_id": "demo-dental", "code": wx_code("junk")})[1]["access_token"]
    elif role == "patient":
        token, _ = new_patient(name="junk")
    else:
        token = staff_token("demo-dental", role)
    path = _concrete(entry["path"])
    ctype = entry["content_types"][0]
    for body in JUNK_BODIES:
        status, data = api.call(entry["method"].upper(), path, raw=body, token=token, content_type=ctype)
        assert status < 500, (body, status, data)
        if status >= 400:
            assert isinstance(data, dict) and re.fullmatch(r"[a-z_]+", data.get("code", "")), data
    for query in JUNK_QUERIES:
        status, data = api.call(entry["method"].upper(), path + query, token=token, content_type=ctype)
        assert status < 500, (query, status, data)
