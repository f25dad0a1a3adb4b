"""Declaring routes: each states its roles, request model and summary in one decorator.

The decorator authenticates the caller, checks the role, parses the body and query with
pydantic allow-lists, replays retried writes that carry an `Idempotency-Key`, maps typed
errors to `{code, message, field}` and records the route for the OpenAPI document.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any, Callable

from chalice import Blueprint, Response

from chalicelib.errors import AppError, BadRequest, Forbidden
from chalicelib.lazy import lazy
from chalicelib.observability import logger

# Request models, auth (PyJWT) and pydantic load on the first request that needs them, so the
# scheduled and queue functions, which import this app too, never load them.
_models = lazy("chalicelib.api.models")
_auth = lazy("chalicelib.auth")
_idempotency = lazy("chalicelib.store.idempotency")

PUBLIC = "public"
PATIENT = ("patient",)
STAFF = ("staff", "admin")
ADMIN = ("admin",)

REGISTRY: list[dict] = []


@dataclass
class Idem:
    """An Idempotency-Key in force for one call: the scope it is stored under and the request hash."""

    key: str
    scope: str
    request_hash: str
    recorded: bool = False


@dataclass
class Call:
    principal: Any
    body: Any
    query: Any
    params: dict
    idem: Idem | None
    raw_body: bytes
    headers: dict

    def text(self) -> str:
        """The body as UTF-8 text (an uploaded CSV file)."""
        try:
            return self.raw_body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadRequest("the file must be UTF-8 text", code="invalid_encoding") from exc


def _json_response(status: int, body: Any, headers: dict | None = None) -> Response:
    return Response(
        body=json.dumps(body, ensure_ascii=False, default=str),
        status_code=status,
        headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
    )


def error_response(err: AppError) -> Response:
    return _json_response(err.status, err.body())


def model(name: str | None):
    """The request model called `name`: a class in chalicelib.api.models, or `module:Class`."""
    if not name:
        return None
    if ":" in name:
        import importlib

        module, _, cls = name.partition(":")
        return getattr(importlib.import_module(module), cls)
    return getattr(_models, name)


def _validation_error(exc) -> BadRequest:
    first = exc.errors()[0]
    loc = ".".join(str(part) for part in first.get("loc", ()) if part != "__root__") or None
    kind = first.get("type", "")
    code = "unknown_field" if kind == "extra_forbidden" else "invalid_input"
    return BadRequest(f"{loc or 'body'}: {first.get('msg', 'invalid')}", code=code, field=loc)


def _validate(name: str, data: dict):
    from pydantic import ValidationError

    try:
        return model(name).model_validate(data)
    except ValidationError as exc:
        raise _validation_error(exc) from exc


def _parse_json(raw: bytes, name: str):
    try:
        data = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("body is not valid JSON", code="invalid_json") from exc
    if not isinstance(data, dict):
        raise BadRequest("body must be a JSON object", code="invalid_json")
    return _validate(name, data)


def route(
    bp: Blueprint,
    path: str,
    *,
    methods: tuple[str, ...] = ("GET",),
    roles: tuple[str, ...] | str,
    body: str | None = None,
    query: str | None = None,
    idempotent: bool = False,
    summary: str = "",
    content_types: tuple[str, ...] = ("application/json",),
    raw_body: bool = False,
) -> Callable:
    allowed = (roles,) if isinstance(roles, str) else tuple(roles)

    def decorate(func: Callable) -> Callable:
        for method in methods:
            REGISTRY.append(
                {
                    "path": path,
                    "method": method.lower(),
                    "roles": allowed,
                    "body": body,
                    "query": query,
                    "idempotent": idempotent,
                    "summary": summary or (func.__doc__ or "").strip().split("\n")[0],
                    "content_types": content_types,
                    "raw_body": raw_body,
                }
            )

        def handler(**params):
            request = bp.current_request
            headers = {k.lower(): v for k, v in (request.headers or {}).items()}
            logger.append_keys(correlation_id=headers.get("x-request-id") or uuid.uuid4().hex)
            try:
                principal = None
                if PUBLIC not in allowed:
                    principal = _auth.authenticate(headers.get("authorization"))
                    if principal.role not in allowed:
                        raise Forbidden("this caller may not use this route", code="wrong_role")
                    logger.append_keys(clinic_id=principal.clinic_id)
                raw = request.raw_body or b""
                parsed_body = _parse_json(raw, body) if body is not None else None
                parsed_query = _validate(query, dict(request.query_params or {})) if query is not None else None
                idem = None
                key = headers.get("idempotency-key")
                if idempotent and key and principal is not None:
                    if not (1 <= len(key) <= 100):
                        raise BadRequest("Idempotency-Key must be 1-100 characters", code="invalid_idempotency_key")
                    digest = hashlib.sha256(f"{request.method} {path} {json.dumps(params, sort_keys=True)}".encode() + raw).hexdigest()
                    idem = Idem(key=key, scope=f"{request.method}:{path}", request_hash=digest)
                    replay = _idempotency.lookup(principal, idem)
                    if replay is not None:
                        status, stored = replay
                        return _json_response(status, stored, {"Idempotent-Replay": "true"})
                call = Call(principal, parsed_body, parsed_query, params, idem, raw, headers)
                result = func(call)
                if isinstance(result, Response):  # a file (CSV export), sent as it is
                    return result
                status, reply = (result if isinstance(result, tuple) else (200, result))
                if idem is not None and not idem.recorded:
                    _idempotency.record(principal, idem, status, reply)
                return _json_response(status, reply)
            except AppError as err:
                if err.status >= 500:
                    logger.warning("upstream failure", extra={"code": err.code})
                return error_response(err)
            finally:
                logger.remove_keys(["clinic_id", "correlation_id"])

        handler.__name__ = func.__name__
        handler.__doc__ = func.__doc__
        bp.route(path, methods=list(methods), content_types=list(content_types))(handler)
        return func

    return decorate
