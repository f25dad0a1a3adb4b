"""What the OpenAPI document promises about answers: every operation has a success with a schema
(JSON from its reply model, or a file), and lists the error codes it can answer per status, the
ones routing answers itself included. The contract check in conftest.py holds the routes to it."""

from __future__ import annotations

import app  # noqa: F401  (registers every route)
from chalicelib.api import codes
from chalicelib.api.meta import openapi_document
from chalicelib.api.routing import REGISTRY

DOC = openapi_document()


def _operations():
    for path, operations in DOC["paths"].items():
        for method, operation in operations.items():
            yield path, method, operation


def test_every_success_has_a_schema():
    missing = []
    for path, method, operation in _operations():
        successes = {status: answer for status, answer in operation["responses"].items() if status.startswith("2")}
        if not successes:
            missing.append(f"{method} {path}: no 2xx")
        for status, answer in successes.items():
            if status == "204":
                continue
            content = answer.get("content") or {}
            schemas = [media.get("schema") for media in content.values()]
            if not schemas or not all(schemas):
                missing.append(f"{method} {path} {status}: no schema")
            elif "application/json" in content and "$ref" not in content["application/json"]["schema"]:
                missing.append(f"{method} {path} {status}: JSON without a reply model")
    assert not missing, missing


def test_created_resources_answer_201():
    """The statuses a route returns are the ones the document gives it (its own code decides
    201; the document must say so)."""
    by_route = {(entry["method"], entry["path"]): entry["statuses"] for entry in REGISTRY}
    assert 201 in by_route["post", "/me/checkins"] and 200 not in by_route["post", "/me/checkins"]
    assert set(by_route["post", "/me/challenges/{challenge_id}/join"]) == {200, 201}
    assert by_route["get", "/clinic"] == (200,)
    for (method, path), statuses in by_route.items():
        responses = DOC["paths"][path][method]["responses"]
        assert {str(status) for status in statuses} <= set(responses), (method, path)


def test_every_route_lists_its_error_codes_per_status():
    problems = []
    for path, method, operation in _operations():
        responses = operation["responses"]
        listed = {status: answer.get("x-error-codes", []) for status, answer in responses.items()
                  if status[0] in "45"}

        def expect(status: int, code: str, why: str) -> None:
            if code not in listed.get(str(status), []):
                problems.append(f"{method} {path}: {status} {code} ({why})")

        for status, error_codes in listed.items():
            schema = responses[status]["content"]["application/json"]["schema"]
            enum = schema["allOf"][1]["properties"]["code"]["enum"]
            if not error_codes or enum != error_codes:
                problems.append(f"{method} {path}: {status} lists {error_codes} but its schema allows {enum}")
            for code in error_codes:
                if codes.STATUS.get(code) != int(status) and code != "unknown_flag":
                    problems.append(f"{method} {path}: {code} under {status}, its status is {codes.STATUS.get(code)}")
        if "public" not in operation["x-roles"]:
            expect(401, "session_revoked", "a signed-in route")
            expect(403, "wrong_role", "a route with roles")
        if "requestBody" in operation and "application/json" in operation["requestBody"]["content"]:
            expect(400, "invalid_input", "a body")
            expect(400, "unknown_field", "a body")
            expect(413, "body_too_large", "a body")
        if any(p["in"] == "header" and p["name"] == "Idempotency-Key" for p in operation.get("parameters", [])):
            expect(409, "request_in_progress", "an Idempotency-Key")
            expect(409, "idempotency_key_reused", "an Idempotency-Key")
        for part in path.split("/"):
            if part.startswith("{") and part[1:-1] in codes.NOT_FOUND:
                expect(404, codes.NOT_FOUND[part[1:-1]], "an id in the path")
    assert not problems, "\n".join(problems)


def test_the_error_schema_is_the_one_every_refusal_has():
    error = DOC["components"]["schemas"]["Error"]
    assert error["required"] == ["code", "message", "field"] and error["additionalProperties"] is False


def test_the_contract_check_refuses_what_the_document_does_not_say():
    """The check every API test's answers go through (conftest.py) finds a wrong body, a status
    the route does not declare and an error code the route does not list."""
    import json

    from tests.api.conftest import contract

    check = contract().problems
    json_headers = {"content-type": "application/json; charset=utf-8"}
    assert check("GET", "/health", 200, json_headers, b'{"ok": true}') == []
    assert check("GET", "/health", 200, json_headers, b'{"ok": "yes"}')  # wrong type
    assert check("GET", "/health", 200, json_headers, b'{"ok": true, "extra": 1}')  # a field the model lacks
    assert check("GET", "/health", 201, json_headers, b'{"ok": true}')  # an undeclared status
    refusal = {"code": "patient_not_found", "message": "no such patient", "field": None}
    assert check("GET", "/patients/p-1/points", 404, json_headers, json.dumps(refusal).encode()) == []
    assert check("GET", "/clinic", 404, json_headers, json.dumps(refusal).encode())  # no 404 on /clinic
    unlisted = {**refusal, "code": "voucher_redeemed"}
    assert check("GET", "/patients/p-1/points", 409, json_headers, json.dumps(unlisted).encode())
    # the most specific path wins: /segments/lapsed is not /segments/{segment_id}
    assert contract().operation("GET", "/segments/lapsed?condition=eczema")[0] == "/segments/lapsed"


def test_the_routes_table_of_the_api_doc_is_current():
    import pathlib

    from chalicelib.api.meta import route_table

    text = (pathlib.Path(__file__).parents[2] / "docs" / "api.md").read_text()
    table = text.split("<!-- routes:start -->\n", 1)[1].split("<!-- routes:end -->", 1)[0]
    assert table == route_table(), "run: python -m chalicelib.api.meta --routes, into docs/api.md"
