"""Public meta routes: health and the OpenAPI document built from the route registry."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.routing import PUBLIC, REGISTRY, route

bp = Blueprint(__name__)

ERROR_SCHEMA = {
    "type": "object",
    "required": ["code", "message"],
    "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "field": {"type": ["string", "null"]}},
}


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def openapi_document() -> dict:
    """OpenAPI 3.1: request schemas are pydantic's JSON Schema (draft 2020-12), as 3.1 takes them."""
    paths: dict = {}
    schemas: dict = {"Error": ERROR_SCHEMA}
    for entry in REGISTRY:
        operation: dict = {
            "summary": entry["summary"],
            "operationId": f"{entry['method']}_{entry['path'].strip('/').replace('/', '_').replace('{', '').replace('}', '')}",
            "x-roles": list(entry["roles"]),
            "responses": {
                "200": {"description": "success"},
                "400": _error("invalid input"),
                "404": _error("not found"),
                "409": _error("conflict (with `request_in_progress`: a request with this Idempotency-Key is "
                              "being handled; send it again shortly)"),
            },
        }
        if entry["method"] in ("post", "put", "patch"):
            operation["responses"]["413"] = _error("the body is over the size bound")
            operation["responses"]["415"] = _error("a Content-Type the route does not take")
        if PUBLIC not in entry["roles"]:
            operation["security"] = [{"bearer": []}]
            operation["responses"]["401"] = _error("missing, invalid or revoked token")
            operation["responses"]["403"] = _error("caller's role may not use this route")
        parameters = [{"name": part[1:-1], "in": "path", "required": True, "schema": {"type": "string"}}
                      for part in entry["path"].split("/") if part.startswith("{")]
        if entry["query"] is not None:
            for name, prop in entry["query"].model_json_schema().get("properties", {}).items():
                parameters.append({"name": name, "in": "query", "required": False, "schema": prop})
        if entry["idempotent"]:
            parameters.append({"name": "Idempotency-Key", "in": "header", "required": False,
                               "schema": {"type": "string", "maxLength": 100},
                               "description": "A retried request with the same key returns the first answer."})
        if parameters:
            operation["parameters"] = parameters
        if entry["body"] is not None:
            schema = entry["body"].model_json_schema(ref_template="#/components/schemas/{model}")
            for name, sub in schema.pop("$defs", {}).items():
                schemas[name] = sub
            schema_name = entry["body"].__name__
            schemas[schema_name] = schema
            operation["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}}}
        elif entry["content_types"] != ("application/json",):
            operation["requestBody"] = {"required": True, "content": {
                ct: {"schema": {"type": "string"}} for ct in entry["content_types"]}}
        paths.setdefault(entry["path"], {})[entry["method"]] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "Revisit API", "version": "1.0.0",
                 "description": "Patient engagement for clinics. Each operation lists its allowed roles in x-roles."},
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": schemas,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
    }


@route(bp, "/openapi.json", roles=PUBLIC, summary="This document")
def openapi(call):
    return openapi_document()


@route(bp, "/health", roles=PUBLIC, summary="Liveness check")
def health(call):
    return {"ok": True}


if __name__ == "__main__":
    import json

    import app  # noqa: F401  (registers every route)

    print(json.dumps(openapi_document(), ensure_ascii=False, indent=2))
