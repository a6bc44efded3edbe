"""The REST API under /api/v1/: one NinjaAPI, routers from each app, one error shape.

Every response that is not a success is ``{"error": {"code", "message", "fields"}}``: validation
errors name the offending field as the caller spelled it, unknown routes are 404 ``not_found`` and
a known route with the wrong method is 405 ``method_not_allowed`` (see
docs/decisions/0030-api-errors-and-scope.md).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.errors import AuthorizationError as NinjaAuthorizationError

from bastion.identity.api_auth import SessionAuth, TokenAuth
from bastion.platform.errors import DomainError, error_response

# Where ninja says a value came from; the caller knows the field by its own name only.
_SOURCES = {"body", "query", "path", "form", "header", "cookie", "file"}


class BastionAPI(NinjaAPI):
    """NinjaAPI whose URL table also answers unknown paths and wrong methods in the error shape."""

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        urls = super()._get_urls()
        for pattern in urls:
            if isinstance(pattern, URLPattern):
                # The bare root has no endpoint; answer it like any unknown path, not with HTML.
                view = unknown_route if pattern.name == "api-root" else pattern.callback
                pattern.callback = _shape_method_not_allowed(view)
        urls.append(re_path(r"^.*$", unknown_route, name="unknown-route"))
        return urls


api = BastionAPI(
    title="Bastion API",
    version="1",
    description=(
        "Operations, risk and compliance platform. Authenticate with `Authorization: Bearer "
        "bst_<prefix>_<secret>` (machines) or the console session plus the `X-CSRFToken` header "
        'on unsafe methods (people). Errors: `{"error": {"code", "message", "fields"}}`. Lists: '
        "`?page=&page_size=`, answered as `{items, page, page_size, total}` within the caller's "
        "branch scope; rows outside it answer 404."
    ),
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def _shape_method_not_allowed(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)  # keeps csrf_exempt and the other view attributes
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and "json" not in response.get("Content-Type", ""):
            shaped = error_response(
                405,
                "method_not_allowed",
                _("%(method)s is not allowed here.") % {"method": request.method},
            )
            shaped["Allow"] = response.get("Allow", "")
            return shaped
        return response

    return wrapper


@csrf_exempt
def unknown_route(request: HttpRequest) -> HttpResponse:
    message = _("No API endpoint at %(path)s; the endpoints are listed at %(docs)s.") % {
        "path": request.path,
        "docs": "/api/v1/docs",
    }
    return error_response(404, "not_found", message)


def _field_name(location: list[object]) -> str:
    """``["body", "payload", "expires_at"]`` -> ``"expires_at"``; ``["query", "page"]`` -> ``"page"``."""
    parts = [str(p) for p in location]
    if parts and parts[0] in _SOURCES:
        source = parts.pop(0)
        # ninja nests a body schema under the handler's parameter name; the caller never sees it.
        if source in {"body", "form"} and parts:
            parts.pop(0)
    return ".".join(parts) or "body"


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        # pydantic prefixes our own validators' messages with "Value error, "; the caller needs none.
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        fields.setdefault(_field_name(list(error.get("loc", []))), []).append(message)
    return error_response(
        422,
        "validation_error",
        _("Invalid input: %(fields)s") % {"fields": ", ".join(sorted(fields))},
        fields,
    )


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    response = error_response(exc.status, exc.code, exc.message, exc.fields)
    if exc.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="bastion"'
    retry_after = getattr(exc, "retry_after", None)
    if exc.status == 429 and retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = error_response(401, "unauthenticated", _("Authentication required (session or API token)."))
    response["WWW-Authenticate"] = 'Bearer realm="bastion"'
    return response


@api.exception_handler(NinjaAuthorizationError)
def on_authorization_error(request: HttpRequest, exc: NinjaAuthorizationError) -> HttpResponse:
    return error_response(403, "forbidden", str(exc) or _("Permission denied."))


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(404, "not_found", _("Not found."))


@api.exception_handler(RequestDataTooBig)
def on_body_too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    message = _("The request body is too large.")
    return error_response(413, "payload_too_large", message, {"body": [message]})


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:
        # ninja's only 400: a body that is not the JSON (or form) the endpoint expects.
        message = _("The request body cannot be parsed; send a JSON object.")
        return error_response(400, "invalid_body", message, {"body": [message]})
    return error_response(exc.status_code, "http_error", str(exc))


def _register_routers() -> None:
    from bastion.aml.api import router as aml_router
    from bastion.audit.api import router as audit_router
    from bastion.devices.api import router as devices_router
    from bastion.identity.api import router as identity_router
    from bastion.knowledge.api import router as knowledge_router
    from bastion.notify.api import router as notify_router
    from bastion.risk.api import router as risk_router
    from bastion.servicedesk.api import router as servicedesk_router
    from bastion.servicedesk.intake.api import router as servicedesk_intake_router

    api.add_router("/", identity_router)
    api.add_router("/audit", audit_router)
    api.add_router("/devices", devices_router)
    api.add_router("/servicedesk", servicedesk_router)
    api.add_router("/servicedesk/intake", servicedesk_intake_router)
    api.add_router("/knowledge", knowledge_router)
    api.add_router("/notifications", notify_router)
    api.add_router("/risk", risk_router)
    api.add_router("/aml", aml_router)


_register_routers()
