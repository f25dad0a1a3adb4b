"""Input an attacker or a fuzzer sends: answered with a 4xx in our error shape, never a 5xx.

Deeply nested JSON, crafted cursors, bodies over the size bound, numbers DynamoDB cannot hold,
broken CSV files and the wrong Content-Type.
"""

import base64

import pytest

from tests.conftest import T0


def assert_refused(status, data, status_wanted, code, field=None):
    assert status == status_wanted, (status, data)
    assert set(data) == {"code", "message", "field"}, data
    assert data["code"] == code, data
    if field is not None:
        assert data["field"] == field, data


@pytest.fixture
def world(shared_world, shared_clock):
    return shared_world


@pytest.mark.parametrize("raw", [b"[" * 10_000, b'{"a":' * 10_000, b'{"clinic_id": ' + b"[" * 5000 + b"]" * 5000 + b"}"])
def test_json_nested_beyond_the_parser_is_refused_before_login(world, raw):
    status, data = world.api.call("POST", "/auth/wechat/login", raw=raw)
    assert status == 400 and data["code"] in ("body_too_deep", "invalid_json"), data
    assert set(data) == {"code", "message", "field"}


def test_json_nested_deeper_than_any_route_needs_is_refused(world):
    token = world.patient("deep")
    raw = b'{"a": ' * 40 + b"1" + b"}" * 40
    status, data = world.api.call("POST", "/me/checkins", raw=raw, token=token)
    assert_refused(status, data, 400, "body_too_deep")


def test_crafted_cursor_is_refused_before_it_is_parsed(world):
    staff = world.staff()
    crafted = base64.urlsafe_b64encode(b"[" * 1400).decode().rstrip("=") + ".x"
    status, data = world.api.get(f"/patients?cursor={crafted}", token=staff)
    assert_refused(status, data, 400, "invalid_cursor", "cursor")
    # a well-formed payload with a forged signature is refused too
    forged = base64.urlsafe_b64encode(b'{"k":{"pk":{"S":"C#other"}},"s":"x"}').decode().rstrip("=") + "." + "0" * 32
    status, data = world.api.get(f"/patients?cursor={forged}", token=staff)
    assert_refused(status, data, 400, "invalid_cursor", "cursor")
    status, data = world.api.get("/patients?cursor=%C3%A9t%C3%A9.%C3%A9", token=staff)
    assert_refused(status, data, 400, "invalid_cursor", "cursor")


def test_a_real_cursor_still_pages(world):
    staff = world.staff()
    for _ in range(3):
        world.patient("pager")
    status, first = world.api.get("/patients?limit=2", token=staff)
    assert status == 200 and first["next_cursor"], first
    status, second = world.api.get(f"/patients?limit=2&cursor={first['next_cursor']}", token=staff)
    assert status == 200 and second["items"], second
    assert {p["patient_id"] for p in first["items"]}.isdisjoint(p["patient_id"] for p in second["items"])


def test_bodies_over_the_size_bounds_get_413(world):
    token = world.patient("huge")
    big = b'{"share_ref": "' + b"x" * 300_000 + b'"}'
    status, data = world.api.call("POST", "/me/shares", raw=big, token=token)
    assert_refused(status, data, 413, "body_too_large")
    staff = world.staff()
    csv = b"patient_id,visit_date,department\n" + b"p,2026-01-01,general\n" * 250_000
    status, data = world.api.call("POST", "/visits/import", raw=csv, token=staff, content_type="text/csv")
    assert_refused(status, data, 413, "body_too_large")


@pytest.mark.parametrize("reading, field", [
    ({"type": "glucose", "value": 5e-324}, "value"),
    ({"type": "glucose", "value": 1e-200}, "value"),
    ({"type": "glucose", "value": 0.4}, "value"),
    ({"type": "glucose", "value": 120}, "value"),  # mg/dL sent without its unit
    ({"type": "glucose", "value": 2000, "unit": "mg/dL"}, "value"),
    ({"type": "glucose", "value": 6.2, "unit": "mmol"}, "unit"),
    ({"type": "steps", "value": 5000.5}, "value"),
    ({"type": "steps", "value": 250_000}, "value"),
    ({"type": "steps", "value": 5000, "unit": "mg/dL"}, "value"),
    ({"type": "task", "value": 0}, "value"),
    ({"type": "task", "value": 1e300}, "value"),
])
def test_readings_outside_what_the_domain_and_dynamodb_accept_are_refused(world, reading, field):
    token = world.patient("reader")
    status, data = world.api.post("/me/checkins", {**reading, "client_time": T0.isoformat()}, token=token)
    assert_refused(status, data, 400, "invalid_input", field)
    status, points = world.api.get("/me/points", token=token)
    assert points["entries"] == [] and points["balance"] == 0  # nothing was written


def test_readings_are_stored_in_their_unit_and_precision(world):
    token = world.patient("units")
    status, data = world.api.post("/me/checkins", {"type": "glucose", "value": 126, "unit": "mg/dL",
                                                   "client_time": T0.isoformat()}, token=token)
    assert status == 201 and data["checkin"]["value"] == 7.0, data
    status, data = world.api.post("/me/checkins", {"type": "steps", "value": 8000.0, "client_time": T0.isoformat()},
                                  token=token)
    assert status == 201 and data["checkin"]["value"] == 8000, data
    status, data = world.api.post("/me/checkins", {"type": "glucose", "value": 6.2500001,
                                                   "client_time": T0.isoformat()}, token=token)
    assert status == 201 and data["checkin"]["value"] == 6.2, data


@pytest.mark.parametrize("body, field", [
    ({"arms": [{"arm_id": "a", "weight": 5e-324}, {"arm_id": "b"}]}, "arms.0.weight"),
    ({"alpha": 5e-324}, "alpha"),
    ({"baseline_rate": 5e-324, "min_uplift": 0.1, "sample_size_per_arm": None}, "baseline_rate"),
    ({"holdout_share": float("1e-400")}, None),
])
def test_experiment_numbers_dynamodb_cannot_hold_are_refused(world, body, field):
    definition = {"name": "tiny", "target_kind": "recall_rule", "target_id": "eczema-remission-30",
                  "arms": [{"arm_id": "a"}, {"arm_id": "b"}], "sample_size_per_arm": 50, **body}
    status, data = world.api.post("/experiments", definition, token=world.staff())
    if field is None:  # 1e-400 is 0.0 as JSON reads it: a holdout of nobody, which is allowed
        assert status == 201, data
        return
    assert_refused(status, data, 400, "invalid_input", field)


@pytest.mark.parametrize("query", ["baseline_rate=5e-324&min_uplift=5e-324", "baseline_rate=0.5&min_uplift=0.0001",
                                   "baseline_rate=0.9999&min_uplift=0.1", "baseline_rate=1e308&min_uplift=1e308",
                                   "baseline_rate=0.5&min_uplift=0.5", "baseline_rate=nan&min_uplift=0.1"])
def test_sample_size_never_overflows(world, query):
    status, data = world.api.get(f"/experiments/sample-size?{query}", token=world.staff())
    assert status == 400 and data["code"] in ("invalid_input", "invalid_plan"), (query, data)


def test_sample_size_for_a_tiny_uplift_is_computed_or_refused_as_unplannable(world):
    status, data = world.api.get("/experiments/sample-size?baseline_rate=0.5&min_uplift=0.002", token=world.staff())
    assert status == 200 and 1_000_000 < data["sample_size_per_arm"] < 10_000_000, data
    status, data = world.api.get("/experiments/sample-size?baseline_rate=0.5&min_uplift=0.001", token=world.staff())
    assert status == 400 and data["code"] == "invalid_plan" and "10,000,000" in data["message"], data


def test_segment_bounds_are_rounded_to_what_can_be_stored(world):
    staff = world.staff()
    body = {"segment_id": "tiny-risk", "name": "微小风险", "rule": {"field": "risk_score", "gte": 5e-324}}
    status, data = world.api.post("/segments", body, token=staff)
    assert status == 201, data
    assert data["segment"]["rule"] == {"field": "risk_score", "gte": 0.0}


@pytest.mark.parametrize("route, header", [("/visits/import", "patient_id,visit_date,department"),
                                           ("/exams/import", "patient_id,taken_on,flags")])
def test_csv_with_bare_carriage_returns_reads_as_lines(world, route, header):
    staff = world.staff()
    row = "nobody,2026-11-01,general" if route == "/visits/import" else "nobody,2026-11-01,high_bmi"
    text = header + "\r" + row + "\r" + row.replace("nobody", "") + "\r"
    status, data = world.api.call("POST", route, raw=text.encode(), token=staff, content_type="text/csv")
    assert status == 200, data
    assert [(e["line"], e["code"]) for e in data["errors"]] == [(2, "patient_not_found"), (3, "missing_patient")]


@pytest.mark.parametrize("route", ["/visits/import", "/exams/import"])
def test_a_csv_the_reader_cannot_read_is_refused_with_its_line(world, route):
    staff = world.staff()
    header = "patient_id,visit_date,department" if route == "/visits/import" else "patient_id,taken_on,flags"
    text = header + "\nnobody,2026-11-01,x\n" + "nobody,2026-11-01," + "y" * 200_000 + "\n"
    status, data = world.api.call("POST", route, raw=text.encode(), token=staff, content_type="text/csv")
    assert_refused(status, data, 400, "invalid_csv")
    assert "line 3" in data["message"], data
    bad_quote_in_header = '"patient_id,visit_date\n' + "x" * 200_000
    status, data = world.api.call("POST", route, raw=bad_quote_in_header.encode(), token=staff,
                                  content_type="text/csv")
    assert_refused(status, data, 400, "invalid_csv")


def test_refusals_chalice_makes_itself_have_our_shape(world):
    token = world.patient("ctype")
    status, data = world.api.call("POST", "/me/checkins", raw=b"type=glucose", token=token,
                                  content_type="application/x-www-form-urlencoded")
    assert_refused(status, data, 415, "unsupported_media_type")
    status, data = world.api.call("POST", "/visits/import", raw=b"{}", token=world.staff(),
                                  content_type="application/json")
    assert_refused(status, data, 415, "unsupported_media_type")
    status, data = world.api.call("DELETE", "/health")
    assert_refused(status, data, 405, "method_not_allowed")
