"""Request id and source address for every request, bound into logs and audit events."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import structlog
from django.conf import settings
from django.http import HttpRequest, HttpResponse

from bastion.platform.context import RequestContext, reset_context, set_context

REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def client_ip(request: HttpRequest) -> str:
    """The caller's address for audit and rate limits.

    ``X-Forwarded-For`` is believed only when the peer is one of ``BASTION_TRUSTED_PROXIES``; then the
    right-most address that is not itself a trusted proxy is the client (entries further left were
    written by the client and can be forged).
    """
    peer = str(request.META.get("REMOTE_ADDR", ""))
    trusted = settings.BASTION_TRUSTED_PROXIES
    if peer not in trusted:
        return peer
    hops = [h.strip() for h in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",") if h.strip()]
    for hop in reversed(hops):
        if hop not in trusted:
            return hop[:64]
    return peer


class RequestContextMiddleware:
    """Assign a request id (or accept a well-formed incoming one) and expose it on the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if REQUEST_ID_PATTERN.match(incoming) else uuid.uuid4().hex
        channel = "api" if request.path.startswith("/api/") else "web"
        token = set_context(
            RequestContext(
                request_id=request_id,
                source_ip=client_ip(request),
                user_agent=request.headers.get("User-Agent", "")[:200],
                channel=channel,
            )
        )
        # Unbound when the response is closed (request_finished), not here: Django logs 4xx/5xx
        # responses after the middleware chain returns, and those lines need the id most.
        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            response = self.get_response(request)
        finally:
            reset_context(token)
        response["X-Request-ID"] = request_id
        return response


def unbind_request_id(**kwargs: object) -> None:
    """``request_finished`` receiver: the request's log context ends with its response."""
    structlog.contextvars.unbind_contextvars("request_id")
