"""Public meta routes: health and the OpenAPI document built from the route registry."""

from __future__ import annotations

from typing import Literal

from chalice import Blueprint
from pydantic import BaseModel, TypeAdapter

from chalicelib.api import replies
from chalicelib.api.routing import PUBLIC, REGISTRY, route

bp: Blueprint = Blueprint(__name__)

ERROR_SCHEMA = {
    "type": "object",
    "required": ["code", "message", "field"],
    "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "field": {"type": ["string", "null"]}},
    "additionalProperties": False,
}

ERROR_MEANING = {
    400: "invalid input",
    401: "missing, invalid, expired or ended token; a rejected login",
    403: "the caller may not do this",
    404: "not found (or another clinic's)",
    409: "conflict (`request_in_progress`: a request with this Idempotency-Key is being handled; send it again "
         "shortly)",
    410: "gone: a one-time code past its time",
    413: "the body is over the size bound",
    415: "a Content-Type the route does not take",
    502: "WeChat or Cognito failed",
}
SUCCESS_MEANING = {200: "success", 201: "created", 202: "accepted", 204: "no content"}
REF = "#/components/schemas/{model}"


def _error(status: int, error_codes: list[str]) -> dict:
    return {"description": ERROR_MEANING[status], "x-error-codes": error_codes, "content": {"application/json": {
        "schema": {"allOf": [{"$ref": "#/components/schemas/Error"},
                             {"type": "object", "properties": {"code": {"enum": error_codes}}}]}}}}


def _closed(schema: dict) -> dict:
    """A reply's object schemas refuse keys they do not list, unless the reply says otherwise."""
    if "properties" in schema:
        schema.setdefault("additionalProperties", False)
    return schema


def _component(schemas: dict, model: type, mode: Literal["validation", "serialization"]) -> dict:
    """A `$ref` to the model's schema, which goes into the components with the models it uses.
    Request models are pydantic models; replies are TypedDicts (chalicelib.api.replies)."""
    if isinstance(model, type) and issubclass(model, BaseModel):
        schema = model.model_json_schema(ref_template=REF, mode=mode)
        found = {**schema.pop("$defs", {}), model.__name__: schema}
    else:
        schema = TypeAdapter(model).json_schema(ref_template=REF, mode=mode)
        found = {name: _closed(sub) for name, sub in {**schema.pop("$defs", {}), model.__name__: schema}.items()}
    for name, sub in found.items():
        if schemas.setdefault(name, sub) != sub:
            raise ValueError(f"two models are called {name}: rename one")
    return {"$ref": REF.format(model=model.__name__)}


def openapi_document() -> dict:
    """OpenAPI 3.1: request and response schemas are pydantic's JSON Schema (draft 2020-12), as
    3.1 takes them; each operation lists its error codes per status (`x-error-codes`, and an enum
    of `code` in its error schema)."""
    paths: dict = {}
    schemas: dict = {"Error": ERROR_SCHEMA}
    for entry in REGISTRY:
        responses: dict = {}
        for status in entry["statuses"]:
            answer: dict = {"description": SUCCESS_MEANING[status]}
            if entry["reply"] is not None:
                schema = _component(schemas, entry["reply"], "serialization")
                answer["content"] = {entry["produces"]: {"schema": schema}}
            elif status != 204:
                answer["content"] = {entry["produces"]: {"schema": {"type": "string"}}}
            responses[str(status)] = answer
        for status, error_codes in entry["errors"].items():
            responses[str(status)] = _error(status, error_codes)
        operation_id = entry["path"].strip("/").replace("/", "_").replace("{", "").replace("}", "")
        operation: dict = {
            "summary": entry["summary"],
            "operationId": f"{entry['method']}_{operation_id}",
            "x-roles": list(entry["roles"]),
            "responses": responses,
        }
        if PUBLIC not in entry["roles"]:
            operation["security"] = [{"bearer": []}]
        parameters = [{"name": part[1:-1], "in": "path", "required": True, "schema": {"type": "string"}}
                      for part in entry["path"].split("/") if part.startswith("{")]
        if entry["query"] is not None:
            schema = entry["query"].model_json_schema()
            needed = set(schema.get("required", []))
            for name, prop in schema.get("properties", {}).items():
                parameters.append({"name": name, "in": "query", "required": name in needed, "schema": prop})
        if entry["idempotent"]:
            parameters.append({"name": "Idempotency-Key", "in": "header", "required": False,
                               "schema": {"type": "string", "maxLength": 100},
                               "description": "A retried request with the same key returns the first answer."})
        if parameters:
            operation["parameters"] = parameters
        if entry["body"] is not None:
            operation["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": _component(schemas, entry["body"], "validation")}}}
        elif entry["content_types"] != ("application/json",):
            operation["requestBody"] = {"required": True, "content": {
                ct: {"schema": {"type": "string"}} for ct in entry["content_types"]}}
        paths.setdefault(entry["path"], {})[entry["method"]] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "Revisit API", "version": "1.0.0",
                 "description": "Patient engagement for clinics. Each operation lists its allowed roles in x-roles "
                                "and its error codes per status in x-error-codes."},
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": dict(sorted(schemas.items())),
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
    }


def route_table() -> str:
    """The table of docs/api.md, "Routes": each route's success, answer model and own error codes
    (the ones routing adds for a body, a token, an id in the path ... are left out)."""
    rows = ["| route | success | answer | its own error codes |", "|---|---|---|---|"]
    routes = {(entry["path"], entry["method"]): entry for entry in REGISTRY}  # `-m` registers meta's twice
    for _, entry in sorted(routes.items()):
        answer = f"`{entry['reply'].__name__}`" if entry["reply"] is not None else entry["produces"]
        own = ", ".join(f"`{code}`" for code in sorted(entry["own_errors"])) or "—"
        statuses = " or ".join(str(status) for status in entry["statuses"])
        rows.append(f"| `{entry['method'].upper()} {entry['path']}` | {statuses} | {answer} | {own} |")
    return "\n".join(rows) + "\n"


@route(bp, "/openapi.json", roles=PUBLIC, reply=replies.OpenapiReply, summary="This document")
def openapi(call):
    return openapi_document()


@route(bp, "/health", roles=PUBLIC, reply=replies.HealthReply, summary="Liveness check")
def health(call):
    return {"ok": True}


if __name__ == "__main__":
    import json
    import sys

    import app  # noqa: F401  (registers every route)

    if sys.argv[1:] == ["--routes"]:
        print(route_table(), end="")
    else:
        print(json.dumps(openapi_document(), ensure_ascii=False, indent=2))
