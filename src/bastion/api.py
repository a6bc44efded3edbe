"""The REST API under /api/v1/: one NinjaAPI, routers from each app, one error shape."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.errors import AuthorizationError as NinjaAuthorizationError

from bastion.identity.api_auth import SessionAuth, TokenAuth
from bastion.platform.errors import DomainError, error_response

api = NinjaAPI(
    title="Bastion API",
    version="1",
    description='Operations and risk-control platform. Errors: {"error": {"code", "message", "fields"}}.',
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def _field_name(location: list[object]) -> str:
    # ninja reports e.g. ["body", "payload", "email"]; the caller knows the field as "email".
    parts = [str(p) for p in location if p not in ("body", "payload", "query", "path", "form")]
    return ".".join(parts) or "body"


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        fields.setdefault(_field_name(list(error.get("loc", []))), []).append(
            str(error.get("msg", "invalid"))
        )
    return error_response(422, "validation_error", "Invalid input: " + ", ".join(sorted(fields)), fields)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return error_response(exc.status, exc.code, exc.message, exc.fields)


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(401, "unauthenticated", "Authentication required (session or API token).")


@api.exception_handler(NinjaAuthorizationError)
def on_authorization_error(request: HttpRequest, exc: NinjaAuthorizationError) -> HttpResponse:
    return error_response(403, "forbidden", str(exc) or "Permission denied.")


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return error_response(exc.status_code, "http_error", str(exc))


def _register_routers() -> None:
    from bastion.audit.api import router as audit_router
    from bastion.identity.api import router as identity_router

    api.add_router("/", identity_router)
    api.add_router("/audit", audit_router)


_register_routers()
