"""Typed errors and their one mapping to HTTP: every error reply is `{code, message, field}`."""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None,
                 status: int | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code
        if status:
            self.status = status

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "field": self.field}


class BadRequest(AppError):
    status = 400
    code = "invalid_input"


class Unauthorized(AppError):
    status = 401
    code = "unauthorized"


class Forbidden(AppError):
    status = 403
    code = "forbidden"


class NotFound(AppError):
    status = 404
    code = "not_found"


class Conflict(AppError):
    status = 409
    code = "conflict"


class InsufficientPoints(Conflict):
    code = "insufficient_points"


class RequestInProgress(Conflict):
    """A request with the same Idempotency-Key is being handled (or has just been answered)."""

    code = "request_in_progress"


class PayloadTooLarge(AppError):
    status = 413
    code = "body_too_large"


class UnsupportedMediaType(AppError):
    status = 415
    code = "unsupported_media_type"


class UpstreamError(AppError):
    """A partner service (WeChat, Cognito) failed in a way the caller cannot fix."""

    status = 502
    code = "upstream_error"
