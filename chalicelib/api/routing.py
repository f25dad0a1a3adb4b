"""Declaring routes: each states its roles, request model and summary in one decorator.

The decorator authenticates the caller, checks the role, parses the body and query with
pydantic allow-lists, replays retried writes that carry an `Idempotency-Key`, maps typed
errors to `{code, message, field}` and records the route for the OpenAPI document.
"""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable, cast
from urllib.parse import unquote

from chalice import Blueprint, Chalice, Response
from pydantic import BaseModel, ValidationError

from chalicelib.api import codes
from chalicelib.errors import AppError, BadRequest, Conflict, Forbidden, PayloadTooLarge, RequestInProgress
from chalicelib.lazy import lazy
from chalicelib.observability import logger

# Auth (PyJWT) and the services load on the first request that needs them, so the scheduled and
# queue functions, which import this app too, never load them. The imports below are what type
# checkers and import analysis see. The request and response models are classes declared at module
# level (pydantic is loaded with the app), but their validators and schemas are built on first use
# (`defer_build`, chalicelib/api/models.py).
if TYPE_CHECKING:
    from chalicelib import auth as _auth
    from chalicelib.services import idempotency as _idempotency
    from chalicelib.services import sessions as _sessions
else:
    _auth = lazy("chalicelib.auth")
    _idempotency = lazy("chalicelib.services.idempotency")
    _sessions = lazy("chalicelib.services.sessions")

PUBLIC = "public"
# `idempotent=IN_TRANSACTION`: the route's service stores the answer inside its own single write
# transaction (store.idempotency.transact_put); `idempotent=True`: the key is claimed before the
# route runs and the answer stored after it. See store/idempotency.py.
IN_TRANSACTION = "in_transaction"
PATIENT = ("patient",)
# Staff roles (chalicelib.auth.STAFF_ROLES). Every route names the roles that may call it:
ADMIN = ("admin",)  # clinic settings, staff accounts, the audit trail
STAFF = ("admin", "front_desk", "health_manager")  # work on one patient's record: the desk and the health manager
MANAGER = ("admin", "health_manager")  # follow-up calls, risk lists, revealing a phone number to call
READERS = STAFF + ("analyst",)  # figures without personal data: dashboards, definitions, catalogues
OPERATOR = ("operator",)  # the platform's operators: clinics and their first admin, never a clinic's data

REGISTRY: list[dict] = []


class App(Chalice):
    """Chalice with the current request kept per thread.

    Lambda runs one request per process, but `chalice local` serves each request on its own
    thread, and Chalice keeps the request in one attribute of the app: two requests at once
    would hand a route the other's headers and body. Kept per thread, each sees its own.
    """

    @property
    def current_request(self):
        return getattr(self.__dict__.setdefault("_requests", threading.local()), "request", None)

    @current_request.setter
    def current_request(self, request) -> None:
        self.__dict__.setdefault("_requests", threading.local()).request = request


@dataclass
class Idem:
    """An Idempotency-Key in force for one call: the scope it is stored under and the request hash."""

    key: str
    scope: str
    request_hash: str
    recorded: bool = False
    claimed: bool = False


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


def _snake(name: str) -> str:
    """`UnsupportedMediaType` -> `unsupported_media_type`; `MethodNotAllowedError` -> `method_not_allowed`."""
    name = name.removesuffix("Error")
    return "".join(f"_{c.lower()}" if c.isupper() and i else c.lower() for i, c in enumerate(name))


def error_shape(request, get_response) -> Response:
    """HTTP middleware: refusals that Chalice makes itself before or around a route (a wrong
    Content-Type, a method the path does not take, an unexpected failure) come back in our
    `{code, message, field}` shape too, instead of Chalice's `{Code, Message}`."""
    response = get_response(request)
    body = response.body
    if response.status_code >= 400 and isinstance(body, dict) and set(body) == {"Code", "Message"}:
        response.body = json.dumps({"code": _snake(str(body["Code"])), "message": str(body["Message"]),
                                    "field": None}, ensure_ascii=False)
        response.headers = {**response.headers, "Content-Type": "application/json; charset=utf-8"}
    return response


def _replay(stored: tuple[int, Any]) -> Response:
    status, reply = stored
    return _json_response(status, reply, {"Idempotent-Replay": "true"})


def _settled(principal, idem: Idem | None) -> Response | None:
    """The answer for a request whose key a twin took: the twin's stored answer once it has
    answered (a replay), the refusal of a key reused for another request, else None."""
    if idem is None:
        return None
    try:
        stored = _idempotency.lookup(principal, idem)
    except RequestInProgress:
        return None
    except AppError as err:
        return error_response(err)
    return _replay(stored) if stored is not None else None


def _validation_error(exc) -> BadRequest:
    first = exc.errors()[0]
    loc = ".".join(str(part) for part in first.get("loc", ()) if part != "__root__") or None
    kind = first.get("type", "")
    code = "unknown_field" if kind == "extra_forbidden" else "invalid_input"
    return BadRequest(f"{loc or 'body'}: {first.get('msg', 'invalid')}", code=code, field=loc)


def _validate(model: type[BaseModel], data: dict):
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _validation_error(exc) from exc


# The largest JSON body any route needs (a segment with its content path) is a few kilobytes;
# files (CSV imports of up to 5,000 rows) are bigger. Nothing reads past these bounds.
MAX_JSON_BYTES = 256 * 1024
MAX_FILE_BYTES = 4 * 1024 * 1024
# The deepest body a route takes (a segment rule tree) is under ten levels.
MAX_JSON_DEPTH = 32


def _too_deep(data: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether containers nest more than `limit` deep (walked without recursion)."""
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        children: Iterable[Any]
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def _parse_json(raw: bytes, model: type[BaseModel]):
    if len(raw) > MAX_JSON_BYTES:
        raise PayloadTooLarge(f"the body is larger than {MAX_JSON_BYTES // 1024} KiB", code="body_too_large")
    try:
        data = json.loads(raw or b"{}")
    except RecursionError as exc:  # deeper than the parser's own stack allows
        raise BadRequest(f"the body nests deeper than {MAX_JSON_DEPTH} levels", code="body_too_deep") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("body is not valid JSON", code="invalid_json") from exc
    if not isinstance(data, dict):
        raise BadRequest("body must be a JSON object", code="invalid_json")
    if _too_deep(data):
        raise BadRequest(f"the body nests deeper than {MAX_JSON_DEPTH} levels", code="body_too_deep")
    return _validate(model, data)


def error_codes(path: str, method: str, allowed: tuple[str, ...], body: type[BaseModel] | None,
                query: type[BaseModel] | None, idempotent: bool | str, content_types: tuple[str, ...],
                own: tuple[str | tuple[int, str], ...]) -> dict[int, list[str]]:
    """Every error code a route can answer, by status: its own and those routing answers itself
    (a bad body or query, a missing or ended token, a wrong role, an unknown id in the path, a
    retried write still in progress, a write that lost a race)."""
    found: list[str] = []
    extra: dict[int, set[str]] = {}
    for item in own:
        if isinstance(item, tuple):
            extra.setdefault(item[0], set()).add(item[1])
        else:
            found.append(item)
    # Chalice refuses a Content-Type the route does not take on any method, a GET too
    found.append("unsupported_media_type")
    if body is not None:
        found += codes.BODY
    elif content_types != ("application/json",):
        found += codes.FILE
    if query is not None:
        found += codes.QUERY
        if "cursor" in query.model_fields:
            found += codes.PAGE
    if PUBLIC not in allowed:
        found += codes.TOKEN + codes.ROLE
    for part in path.split("/"):
        if part.startswith("{") and part[1:-1] in codes.NOT_FOUND:
            found.append(codes.NOT_FOUND[part[1:-1]])
    if idempotent:
        found += codes.IDEMPOTENT
    if method != "get":
        found += codes.WRITE
    grouped = codes.by_status(found)
    for status, more in extra.items():
        grouped[status] = sorted(set(grouped.get(status, [])) | more)
    return dict(sorted(grouped.items()))


def route(
    bp: Blueprint,
    path: str,
    *,
    methods: tuple[str, ...] = ("GET",),
    roles: tuple[str, ...] | str,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    reply: type | None = None,
    status: int | tuple[int, ...] = 200,
    errors: tuple[str | tuple[int, str], ...] = (),
    produces: str = "application/json",
    idempotent: bool | str = False,
    summary: str = "",
    content_types: tuple[str, ...] = ("application/json",),
    raw_body: bool = False,
    session_checked_by_service: bool = False,
) -> Callable:
    """`reply`: the model of the answer (what the route returns, for the OpenAPI document and the
    contract tests; the answer itself is not re-validated at run time); `status`: its status or
    statuses (201 for a created resource; `(201, 200)` when a repeat answers the existing one);
    `errors`: the error codes of the route's own service (chalicelib/api/codes.py), a code whose
    status differs from its usual one as `(status, code)`; routing adds the codes it answers
    itself (see `error_codes`). `produces`: the answer's media type when it is not JSON (a CSV
    file, no `reply`).

    `session_checked_by_service`: the service reads the patient's profile anyway and checks
    the session on that read (services.sessions.check_profile), saving the route's own read."""
    allowed = (roles,) if isinstance(roles, str) else tuple(roles)
    if reply is None and produces == "application/json":
        raise TypeError(f"route {path}: declare the model of its answer (reply=...)")

    def decorate(func: Callable) -> Callable:
        for method in methods:
            REGISTRY.append(
                {
                    "path": path,
                    "method": method.lower(),
                    "name": func.__name__,
                    "module": func.__module__,
                    "roles": allowed,
                    "body": body,
                    "query": query,
                    "idempotent": idempotent,
                    "summary": summary or (func.__doc__ or "").strip().split("\n")[0],
                    "content_types": content_types,
                    "raw_body": raw_body,
                    "session_checked_by_service": session_checked_by_service,
                    "reply": reply,
                    "statuses": (status,) if isinstance(status, int) else tuple(status),
                    "produces": produces,
                    "errors": error_codes(path, method.lower(), allowed, body, query, idempotent, content_types,
                                          errors),
                    "own_errors": tuple(code if isinstance(code, str) else f"{code[1]} ({code[0]})" for code in errors),
                }
            )

        def handler(**params):
            request = bp.current_request
            # Path values arrive as the client sent them: a mini-program percent-encodes them
            # (an inbox message id holds the ':' of a timestamp), and neither Chalice nor API
            # Gateway's proxy integration decodes them. Ids never hold '%' themselves.
            params = {name: unquote(value) if isinstance(value, str) and "%" in value else value
                      for name, value in params.items()}
            headers = {k.lower(): v for k, v in (request.headers or {}).items()}
            logger.append_keys(correlation_id=headers.get("x-request-id") or uuid.uuid4().hex)
            principal = idem = None
            try:
                if PUBLIC not in allowed:
                    principal = _auth.authenticate(headers.get("authorization"))
                    # an ended session is refused before anything else, whatever the route
                    if not (session_checked_by_service and principal.role == "patient"):
                        _sessions.require_live(principal)
                    if principal.role not in allowed:
                        raise Forbidden("this caller may not use this route", code="wrong_role")
                    logger.append_keys(clinic_id=principal.clinic_id)
                # annotated str | bytes, but Chalice encodes a text body, so it is always bytes
                raw = cast(bytes, request.raw_body or b"")
                if len(raw) > MAX_FILE_BYTES:
                    raise PayloadTooLarge(f"the body is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
                parsed_body = _parse_json(raw, body) if body is not None else None
                parsed_query = _validate(query, dict(request.query_params or {})) if query is not None else None
                key = headers.get("idempotency-key")
                if idempotent and key and principal is not None:
                    if not (1 <= len(key) <= 100):
                        raise BadRequest("Idempotency-Key must be 1-100 characters", code="invalid_idempotency_key")
                    digest = hashlib.sha256(f"{request.method} {path} {json.dumps(params, sort_keys=True)}".encode() + raw).hexdigest()
                    idem = Idem(key=key, scope=f"{request.method}:{path}", request_hash=digest)
                    replay = _idempotency.lookup(principal, idem)
                    if replay is not None:
                        return _replay(replay)
                    if idempotent is not IN_TRANSACTION:
                        _idempotency.claim(principal, idem)
                call = Call(principal, parsed_body, parsed_query, params, idem, raw, headers)
                result = func(call)
                if isinstance(result, Response):  # a file (CSV export), sent as it is
                    return result
                status, reply = (result if isinstance(result, tuple) else (200, result))
                if idem is not None and principal is not None and not idem.recorded:
                    _idempotency.record(principal, idem, status, reply)
                return _json_response(status, reply)
            except RequestInProgress as err:
                # A twin with the same key got there first: answer as it did, once it has answered.
                return _settled(principal, idem) or error_response(err)
            except AppError as err:
                if idem is not None and principal is not None and idem.claimed and not idem.recorded:
                    _idempotency.release(principal, idem)
                elif idem is not None and err.status == 409:
                    # a conflict with the effect of a twin that has answered (a service that read
                    # the twin's write before trying its own): the client gets the twin's answer
                    settled = _settled(principal, idem)
                    if settled is not None:
                        return settled
                if err.status >= 500:
                    logger.warning("upstream failure", extra={"code": err.code})
                return error_response(err)
            except Exception as exc:
                if idem is not None and principal is not None and idem.claimed and not idem.recorded:
                    _idempotency.release(principal, idem)
                if getattr(exc, "retryable", False):
                    # a transaction lost to a concurrent one on the same items: nothing was written
                    return error_response(Conflict("another change to the same record came first, try again",
                                                   code="try_again"))
                logger.exception("unexpected failure")
                return error_response(AppError("the request failed on the server, try again later",
                                               code="internal_error", status=500))
            finally:
                logger.remove_keys(["clinic_id", "correlation_id"])

        handler.__name__ = func.__name__
        handler.__doc__ = func.__doc__
        bp.route(path, methods=list(methods), content_types=list(content_types))(handler)
        return func

    return decorate
