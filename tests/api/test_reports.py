"""The dashboard's precomputed KPIs and the OpenAPI document."""

from tests.test_helpers import refresh_kpis


def test_dashboard_reads_figures_computed_by_the_refresh(api, new_patient, staff_token):
    staff = staff_token()
    status, empty = api.get("/dashboard", token=staff)
    assert status == 200 and empty["generated_at"] is None
    t1, p1 = new_patient(name="k1", phone="13000000001")
    t2, p2 = new_patient(name="k2", phone="13000000002", conditions=["eczema", "dental"])
    # p1: due 2026-10-01, came on time; p2: due 2026-11-01, has not come back
    api.post(f"/patients/{p1}/visits", {"visit_date": "2026-09-01", "department": "dermatology",
                                        "next_due_date": "2026-10-01"}, token=staff)
    api.post(f"/patients/{p1}/visits", {"visit_date": "2026-10-03", "department": "dermatology"}, token=staff)
    api.post(f"/patients/{p2}/visits", {"visit_date": "2026-04-01", "department": "dermatology",
                                        "next_due_date": "2026-11-01"}, token=staff)
    api.post("/me/checkins", {"type": "steps", "value": 9000, "client_time": "2026-11-20T08:00:00+08:00"}, token=t1)
    refresh_kpis()
    status, data = api.get("/dashboard", token=staff)
    kpis = data["kpis"]
    assert kpis["patients"] == 2
    # p2's request of 2026-11-01 is 19 days old: still inside its 30 days, pending rather than missed
    assert kpis["revisit_rate_90"] == 1.0 and kpis["revisit_rate_30"] == 1.0
    assert kpis["basis"]["revisit_rate_30"] == {"hits": 1, "decided": 1, "pending": 1}
    assert kpis["checkins_today"] == 1
    assert kpis["points_issued"] == 11 and kpis["points_redeemed"] == 0
    # both registered today: no silence yet, whatever their last visit
    silence = {row["bucket"]: row["count"] for row in data["charts"]["silence"]}
    assert silence["0-30"] == 2 and sum(silence.values()) == 2
    conditions = {row["condition"]: row["count"] for row in data["charts"]["conditions"]}
    assert conditions == {"eczema": 2, "dental": 1}
    # the other clinic's dashboard does not see these patients
    assert api.get("/dashboard", token=staff_token("other-clinic"))[1]["kpis"]["patients"] == 0


def test_openapi_lists_every_route_with_roles(api):
    from app import app

    status, doc = api.get("/openapi.json")
    assert status == 200 and doc["openapi"].startswith("3.")
    documented = {(path, method.upper()) for path, ops in doc["paths"].items() for method in ops}
    served = {(path, method) for path, entry in app.routes.items() for method in entry if method != "OPTIONS"}
    assert served and served <= documented, served - documented
    for path, ops in doc["paths"].items():
        for op in ops.values():
            assert op["x-roles"], path


def test_a_query_parameter_without_a_default_is_documented_as_required(api):
    """Clients generated from the document must send what the API refuses to go without."""
    doc = api.get("/openapi.json")[1]
    query = {(path, method, p["name"]): p["required"] for path, ops in doc["paths"].items()
             for method, op in ops.items() for p in op.get("parameters", []) if p["in"] == "query"}
    assert query[("/patients/search", "get", "q")] is True
    assert query[("/me/appointment-slots", "get", "from")] is True
    assert query[("/patients", "get", "limit")] is False and query[("/patients", "get", "cursor")] is False
    status, err = api.get("/patients/search", token=_staff(api))
    assert status == 400 and err["field"] == "q"


def _staff(api):
    from tests.conftest import staff_login

    return staff_login(api)


def test_committed_openapi_document_is_current(api):
    import json
    from pathlib import Path

    from chalicelib.api.meta import openapi_document

    committed = json.loads((Path(__file__).parents[2] / "docs" / "openapi.json").read_text())
    assert committed == json.loads(json.dumps(openapi_document())), "run: python -m chalicelib.api.meta > docs/openapi.json"


def test_openapi_document_is_valid_and_bounds_every_number():
    """A maintained validator accepts the document (fuzzers and type generators read it), and
    every number a client may send has both bounds, fractional ones their precision."""
    import json
    import re
    from pathlib import Path

    from openapi_spec_validator import validate

    doc = json.loads((Path(__file__).parents[2] / "docs" / "openapi.json").read_text())
    validate(doc)

    unbounded = []

    def walk(node, where):
        if isinstance(node, dict):
            if node.get("type") in ("number", "integer"):
                low = "minimum" in node or "exclusiveMinimum" in node
                high = "maximum" in node or "exclusiveMaximum" in node
                if not (low and high) or (node["type"] == "number" and "x-decimals" not in node):
                    unbounded.append(where)
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}/{index}")

    # what a client sends: request bodies and parameters, and the schemas they reach (the
    # answers' schemas describe what the API sends back, which needs no bounds)
    sent = [(f"paths{path}/{method}", {k: op[k] for k in ("requestBody", "parameters") if k in op})
            for path, ops in doc["paths"].items() for method, op in ops.items()]
    seen: set[str] = set()
    while sent:
        where, node = sent.pop()
        walk(node, where)
        for ref in set(re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(node))) - seen:
            seen.add(ref)
            sent.append((f"schemas/{ref}", doc["components"]["schemas"][ref]))
    assert seen and "Error" not in seen
    assert not unbounded, unbounded
