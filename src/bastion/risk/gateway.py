"""The decision endpoints' lane for payment systems (docs/decisions/0520-risk-decision-gateway.md).

A payment system calls ``POST /api/v1/risk/decisions`` once per payment and waits for the answer
before completing it. Through the console's whole request machinery (URL table of every API
operation, sessions, CSRF, CSP, messages, htmx, ORM-built token lookups) such a call cost about
3 ms of CPU in the web process, ten times the decision itself, so the Decision API could not reach
its 1,000 decisions/s on two cores.

:class:`DecisionGateway` wraps the Django WSGI application. A ``POST`` to the two decision paths that
carries ``Authorization: Bearer`` is answered here; every other request (the console, sessions,
every other endpoint) goes to Django unchanged. The lane runs the same pieces, not copies of them:
the request id and audit context, the caller's language, :class:`~bastion.identity.api_auth.TokenAuth`
with its failure budget, the ninja operations' own handler functions and schemas, the API's error
handlers, Django's security headers and the request metrics. It skips only what a bearer call
cannot use. ``tests/risk/test_gateway.py`` checks that both lanes give the same answers.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

import structlog
from django.core import signals
from django.core.exceptions import DisallowedHost, RequestDataTooBig
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpResponse
from django.middleware.security import SecurityMiddleware
from django.urls import resolve
from django.utils import translation
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import ValidationError

from bastion import api as api_module
from bastion.identity.api_auth import TokenAuth
from bastion.platform.context import RequestContext, reset_context, set_context
from bastion.platform.errors import DomainError, error_response
from bastion.platform.metrics import LATENCY, REQUESTS
from bastion.platform.middleware import REQUEST_ID_PATTERN, client_ip
from bastion.risk import api as risk_api
from bastion.risk.schemas import BatchIn, PaymentIn

logger = logging.getLogger("django.request")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

SINGLE = "/api/v1/risk/decisions"
BATCH = "/api/v1/risk/decisions/batch"


class DecisionGateway:
    """WSGI application: bearer ``POST``s to the decision paths here, everything else to ``django_app``."""

    def __init__(self, django_app: WSGIApp) -> None:
        self.django_app = django_app
        self.token_auth = TokenAuth()
        self.security = SecurityMiddleware(lambda request: HttpResponse())
        # The metric labels Django's resolver gives these routes, so both lanes count as one.
        self.routes = {path: resolve(path).route for path in (SINGLE, BATCH)}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        response = self.answer(environ)
        if response is None:
            return self.django_app(environ, start_response)
        start_response(f"{response.status_code} {response.reason_phrase}", list(response.items()))
        return [response.content]

    def answer(self, environ: dict[str, Any]) -> HttpResponse | None:
        """The response to a request of this lane, or None: Django's request."""
        path = environ.get("PATH_INFO", "")
        if (
            path not in self.routes
            or environ.get("REQUEST_METHOD") != "POST"
            or not str(environ.get("HTTP_AUTHORIZATION", "")).startswith("Bearer ")
        ):
            return None
        started = time.perf_counter()
        signals.request_started.send(sender=self.__class__, environ=environ)
        try:
            request = WSGIRequest(environ)
            response = self._respond(request, batch=path == BATCH)
            REQUESTS.labels("POST", self.routes[path], str(response.status_code)).inc()
            LATENCY.labels("POST", self.routes[path]).observe(time.perf_counter() - started)
            return response
        finally:
            # What Django does when a response is closed: database connections, log context.
            signals.request_finished.send(sender=self.__class__)

    def _respond(self, request: WSGIRequest, *, batch: bool) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if REQUEST_ID_PATTERN.match(incoming) else uuid.uuid4().hex
        context = set_context(
            RequestContext(
                request_id=request_id,
                source_ip=client_ip(request),
                user_agent=request.headers.get("User-Agent", "")[:200],
                channel="api",
            )
        )
        structlog.contextvars.bind_contextvars(request_id=request_id)
        translation.activate(translation.get_language_from_request(request))
        try:
            # As Django's stack would: an unknown Host is refused, plain HTTP redirected when required.
            request.get_host()
            redirect = self.security.process_request(request)
            response = redirect if redirect is not None else self._decide(request, batch=batch)
        except DisallowedHost:
            response = error_response(400, "bad_request", translation.gettext("Unknown host name."))
        except RequestDataTooBig as exc:
            response = api_module.on_body_too_large(request, exc)
        except DomainError as exc:
            response = api_module.on_domain_error(request, exc)
        except NinjaValidationError as exc:
            response = api_module.on_validation_error(request, exc)
        except HttpError as exc:
            response = api_module.on_http_error(request, exc)
        except Exception:
            logger.exception("Internal Server Error: %s", request.path)
            response = error_response(500, "server_error", translation.gettext("Server error"))
        finally:
            translation.deactivate()
            reset_context(context)
        response["X-Request-ID"] = request_id
        return self.security.process_response(request, response)

    def _decide(self, request: WSGIRequest, *, batch: bool) -> HttpResponse:
        raw_token = request.headers["Authorization"].removeprefix("Bearer ").strip()
        request.auth = self.token_auth.authenticate(request, raw_token)  # type: ignore[attr-defined]
        body = request.body
        answer = HttpResponse(content_type="application/json; charset=utf-8")
        # The handlers return the scorer's JSON-native decision bodies, already in the shape of
        # DecisionOut / BatchOut; ninja's response validation (~60 us) is left to the other lane,
        # and tests/risk/test_gateway.py checks both lanes give equal bodies.
        if batch:
            data = risk_api.decide_batch(request, _parse(BatchIn, body))
        else:
            data = risk_api.decide(request, answer, _parse(PaymentIn, body))
        answer.content = json.dumps(data, ensure_ascii=False).encode()
        return answer


def _parse(schema: Any, body: bytes) -> Any:
    """The body as ``schema``, refused as ninja refuses it (same codes, same field names)."""
    if not body:
        raise NinjaValidationError([{"type": "missing", "loc": ("body", "payload"), "msg": "Field required"}])
    try:
        data = json.loads(body)
    except ValueError:
        raise HttpError(400, "Cannot parse request body") from None
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        errors = [{**error, "loc": ("body", "payload", *error["loc"])} for error in exc.errors()]
        raise NinjaValidationError(errors) from None
