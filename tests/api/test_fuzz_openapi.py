"""Property-based fuzzing of every operation in the OpenAPI document (schemathesis).

Schemathesis generates requests from the document, valid ones and ones that break it; each is
sent through the app (chalice.test.Client, moto behind it) with a real token of a role the
route allows: a patient's, a visitor's, a front-desk clerk's or an admin's. Path parameters are
real ids of the fuzzing clinic half the time, so requests reach past the 404. No answer may
be a 5xx, every refusal has our `{code, message, field}` shape, and every answer conforms to the
document: a status the operation declares, the media type it declares, a body its schema
accepts (schemathesis' own conformance checks).

The run is deterministic (derandomised) and bounded to stay inside the CI budget;
FUZZ_EXAMPLES raises the examples per operation and FUZZ_RANDOM=1 draws new ones each run.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from urllib.parse import urlencode

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import content_type_conformance, response_schema_conformance, status_code_conformance
from schemathesis.core.transport import Response

import app  # noqa: F401  (registers every route)
from chalicelib.api.meta import openapi_document
from tests.conftest import T0, register_patient, visitor_login

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))

schema = schemathesis.openapi.from_dict(json.loads(json.dumps(openapi_document())))
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=EXAMPLES,
                                deterministic=os.environ.get("FUZZ_RANDOM") != "1", database="none")

# Headers the generator adds for its own bookkeeping; the rest (Content-Type, Idempotency-Key)
# are sent as generated.
DROPPED_HEADERS = {"authorization", "user-agent", "accept-encoding", "connection", "x-schemathesis-testcaseid"}


class FuzzClinic:
    """The callers and real ids of the clinic the fuzzer works in."""

    def __init__(self, world):
        self.world = world
        api, admin = world.api, world.staff()
        self.admin, self.staff = admin, world.staff(role="front_desk")
        self.patient, self.patient_id = register_patient(api, name="fuzz-patient", phone="13911110000")
        status, exam = api.post(f"/patients/{self.patient_id}/exams", {"taken_on": "2026-11-18", "flags": ["high_bp"]},
                                token=admin)
        assert status == 201, exam
        self.ids = {
            "patient_id": self.patient_id,
            "task_id": exam["tasks"][0]["task_id"],
            "challenge_id": api.get("/challenges", token=admin)[1]["items"][0]["challenge_id"],
            "segment_id": api.get("/segments", token=admin)[1]["items"][0]["segment_id"],
            "rule_id": "eczema-remission-30",
            "package_id": "maternity-pack",
            "flag": "high_bp",
        }
        status, experiment = api.post("/experiments", {"name": "模糊测试", "target_kind": "recall_rule",
                                                       "target_id": "package-renewal",
                                                       "arms": [{"arm_id": "a"}, {"arm_id": "b"}],
                                                       "sample_size_per_arm": 50}, token=admin)
        assert status == 201, experiment
        self.ids["experiment_id"] = experiment["experiment"]["experiment_id"]
        self._fresh = 0

    def token_for(self, case, roles) -> str | None:
        """A caller the route allows; the patient's erasure gets a patient of its own."""
        if "public" in roles:
            return None
        if case.method.upper() == "DELETE" and case.path == "/me":
            return self.fresh_patient()
        if "patient" in roles:
            return self.patient
        if "visitor" in roles:
            self._fresh += 1
            return visitor_login(self.world.api, name=f"fuzz-visitor-{self._fresh}")
        if "front_desk" in roles and _coin(case, "staff"):
            return self.staff
        return self.admin

    def fresh_patient(self) -> str:
        self._fresh += 1
        token, _ = register_patient(self.world.api, name=f"fuzz-erased-{self._fresh}", phone=f"1391112{self._fresh:04d}")
        return token


def _coin(case, salt: str) -> bool:
    seed = repr((case.path_parameters, case.query, case.body, salt)).encode()
    return hashlib.sha256(seed).digest()[0] % 2 == 0


@pytest.fixture(scope="module")
def clinic(shared_world):
    from chalicelib.domain.clock import clock

    clock.set(T0)
    try:
        yield FuzzClinic(shared_world)
    finally:
        clock.release()


def _request(case, clinic: FuzzClinic):
    roles = case.operation.definition.raw.get("x-roles", [])
    params = dict(case.path_parameters or {})
    for name in params:
        if name in clinic.ids and _coin(case, name):
            params[name] = clinic.ids[name]
    case.path_parameters = params
    sent = case.as_transport_kwargs(base_url="http://fuzz")
    path = sent["url"].removeprefix("http://fuzz")
    if sent.get("params"):
        path += "?" + urlencode(sent["params"], doseq=True)
    headers = {k: str(v) for k, v in sent["headers"].items() if k.lower() not in DROPPED_HEADERS}
    token = clinic.token_for(case, roles)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if "json" in sent:
        body = json.dumps(sent["json"]).encode()
    else:
        body = sent.get("data")
        body = body.encode() if isinstance(body, str) else body
    return case.method.upper(), path, headers, body


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), max_examples=EXAMPLES)
def test_no_generated_request_gets_a_server_error(case, clinic):
    method, path, headers, body = _request(case, clinic)
    if method == "OPTIONS":  # CORS preflight: answered by API Gateway (and chalice local), not by the app
        return
    reply = clinic.world.api.client.http.request(method, path, headers=headers, body=body or b"")
    status = reply.status_code
    assert status < 500, (method, path, headers, body, reply.body[:500])
    if status >= 400:
        data = json.loads(reply.body)
        assert set(data) == {"code", "message", "field"}, (method, path, data)
        assert re.fullmatch(r"[a-z_]+", data["code"]), data
    if status == 405:  # a method the path does not take: answered before any operation is reached
        return
    case.validate_response(_response(method, path, headers, body, reply),
                           checks=[status_code_conformance, content_type_conformance, response_schema_conformance])


def _response(method, path, headers, body, reply) -> Response:
    """chalice.test's answer as schemathesis sees an HTTP response."""
    import requests

    sent = requests.Request(method, "http://fuzz" + path, headers=headers, data=body or b"").prepare()
    return Response(status_code=reply.status_code, headers={k: [str(v)] for k, v in (reply.headers or {}).items()},
                    content=reply.body or b"", request=sent, elapsed=0.0, verify=False)
