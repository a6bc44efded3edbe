"""One error shape for every API response: ``{"error": {"code", "message", "fields"}}``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _


class DomainError(Exception):
    """A refusal by the domain (bad state, rule violated); the API maps it to a 4xx response."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        if code:
            self.code = code


class FieldError(DomainError):
    """Input that fails validation; ``fields`` names each bad field."""

    status = 422
    code = "validation_error"

    def __init__(self, field: str, message: str):
        super().__init__(message, fields={field: [message]})


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def error_response(
    status: int, code: str, message: str, fields: dict[str, list[str]] | None = None
) -> JsonResponse:
    return JsonResponse(
        error_body(code, message, fields), status=status, json_dumps_params={"ensure_ascii": False}
    )


def rate_limited(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """django-ratelimit's view for a blocked request: 429 in the common error shape."""
    return error_response(429, "rate_limited", _("Too many requests; wait a minute and try again."))
