"""The contract check: every answer an API test receives through chalice.test.Client is checked
against the OpenAPI document (its status must be one the route declares, its body must match the
schema of that status, an error's code must be one the route lists), and the routes that gave a
checked 2xx are noted for tests/api/test_zz_contract_coverage.py."""

from __future__ import annotations

import json
import re

import pytest

CHECKED_2XX: set[tuple[str, str]] = set()


class Contract:
    """The document's operations, found by method and concrete path."""

    def __init__(self, document: dict):
        from jsonschema import Draft202012Validator

        self.document = document
        self.components = document["components"]
        self.routes = []
        for template, operations in document["paths"].items():
            parts = ["[^/]+" if part.startswith("{") else re.escape(part) for part in template.split("/")]
            pattern = re.compile("^" + "/".join(parts) + "$")
            fixed = sum(1 for part in template.split("/") if part and not part.startswith("{"))
            for method, operation in operations.items():
                self.routes.append((method, pattern, fixed, template, operation))
        self._validator = Draft202012Validator
        self._validators: dict[tuple[str, str, int], Draft202012Validator] = {}

    def operation(self, method: str, path: str):
        """(template, operation) of the route a request reaches, the most specific path first."""
        path = path.split("?", 1)[0]
        found = [(fixed, template, op) for m, pattern, fixed, template, op in self.routes
                 if m == method.lower() and pattern.match(path)]
        if not found:
            return None, None
        fixed, template, op = max(found, key=lambda item: item[0])
        return template, op

    def problems(self, method: str, path: str, status: int, headers: dict, body: bytes) -> list[str]:
        template, operation = self.operation(method, path)
        if operation is None:
            return []  # an unknown path or method: answered by Chalice (405) or API Gateway, not by a route
        declared = operation["responses"].get(str(status))
        where = f"{method.upper()} {template} answered {status}"
        if declared is None:
            if status in (405,):
                return []
            return [f"{where}, a status the document does not declare for it: {body[:300]!r}"]
        content = declared.get("content")
        if not content:
            return [] if not body else [f"{where} with a body where the document declares none"]
        media = (headers.get("content-type") or headers.get("Content-Type") or "").split(";")[0].strip()
        if media not in content:
            return [f"{where} as {media!r}; the document declares {sorted(content)}"]
        if media != "application/json":
            return []
        try:
            data = json.loads(body)
        except ValueError:
            return [f"{where} with a body that is not JSON: {body[:300]!r}"]
        key = (method.lower(), template, status)
        if key not in self._validators:
            self._validators[key] = self._validator({**content[media]["schema"], "components": self.components})
        errors = sorted(self._validators[key].iter_errors(data), key=lambda e: list(e.absolute_path))
        return [f"{where}: {'.'.join(map(str, e.absolute_path)) or '(body)'}: {e.message[:300]}" for e in errors[:5]]


_CONTRACT: Contract | None = None


def contract() -> Contract:
    global _CONTRACT
    if _CONTRACT is None:
        import app  # noqa: F401  (registers every route)
        from chalicelib.api.meta import openapi_document

        _CONTRACT = Contract(json.loads(json.dumps(openapi_document())))
    return _CONTRACT


@pytest.fixture
def checked_successes() -> set[tuple[str, str]]:
    """(method, path template) of every route that gave a checked 2xx so far in the session
    (through a fixture: a test module importing this file would get a copy of its own)."""
    return CHECKED_2XX


@pytest.fixture
def the_contract() -> Contract:
    return contract()


@pytest.fixture(autouse=True, scope="session")
def answers_match_the_document():
    """Wraps chalice.test's HTTP client for the whole session: a mismatch fails the test that
    received the answer."""
    from chalice.test import TestHTTPClient

    original = TestHTTPClient.request

    def checked(self, method, path, headers=None, body=b""):
        response = original(self, method, path, headers=headers, body=body)
        found = contract().problems(method, path, response.status_code, response.headers or {}, response.body or b"")
        if found:
            pytest.fail("the answer does not match the OpenAPI document:\n" + "\n".join(found), pytrace=False)
        if 200 <= response.status_code < 300:
            template, _ = contract().operation(method, path)
            if template is not None:
                CHECKED_2XX.add((method.lower(), template))
        return response

    TestHTTPClient.request = checked
    try:
        yield
    finally:
        TestHTTPClient.request = original


def pytest_sessionfinish(session):
    """On a pytest-xdist worker: hands the routes that gave a checked 2xx, and the API test
    modules collected, to the controlling process (tests/conftest.py checks them together)."""
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output["checked_2xx"] = [list(route) for route in sorted(CHECKED_2XX)]
        output["api_modules"] = sorted({item.path.name for item in session.items if item.path.parent.name == "api"})


class TableStream:
    """The table's stream as the Lambda event source mapping would deliver it: `feed()` passes
    every record written since the last call to the stream's consumers (chalicelib.jobs.changes),
    each stamped with the test clock's time (moto stamps the wall clock). Read from moto's own
    shard in this process."""

    def __init__(self):
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.dynamodb.models import dynamodb_backends

        from chalicelib.aws import client
        from chalicelib.config import settings

        conf = settings()
        dynamodb = client("dynamodb")
        if not dynamodb.describe_table(TableName=conf.table_name)["Table"].get("LatestStreamArn"):
            dynamodb.update_table(TableName=conf.table_name, StreamSpecification={
                "StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
        self.table = dynamodb_backends[DEFAULT_ACCOUNT_ID][conf.region].get_table(conf.table_name)
        self.position = len(self.table.stream_shard.items)  # what the test writes from now on

    def records(self) -> list[dict]:
        from chalicelib.domain.clock import clock

        fresh = self.table.stream_shard.items[self.position:]
        self.position += len(fresh)
        out = []
        for record in fresh:
            raw = record.to_json()
            raw["dynamodb"]["ApproximateCreationDateTime"] = clock.now()
            out.append(raw)
        return out

    def feed(self) -> int:
        from chalicelib.jobs.changes import apply
        from chalicelib.store.changes import from_record

        fresh = self.records()
        for raw in fresh:
            apply(from_record(raw))
        return len(fresh)


@pytest.fixture
def table_stream(clinics):
    """The table's stream turned on (before the test writes anything), with `feed()` to deliver it."""
    return TableStream()
