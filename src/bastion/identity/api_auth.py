"""API authentication: bearer tokens for machines, the console session (with CSRF) for people.

Order matters and is deliberate (docs/decisions/0030-api-errors-and-scope.md):

* A request that presents a bearer token is judged by that token alone. A wrong, expired or revoked
  token is 401 ``invalid_token`` at once, never silently replaced by a session cookie riding along.
* Failed bearer attempts are counted per client address; past the budget every bearer attempt from
  that address is 429 ``rate_limited`` until the window passes, so secrets cannot be guessed online.
* A session counts only when it is signed in (and MFA-verified where required); only then is CSRF
  checked on unsafe methods, so an anonymous POST is 401, not a confusing CSRF 403.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_ratelimit import ALL
from django_ratelimit.core import get_usage
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from bastion.identity import services
from bastion.platform.errors import DomainError, PermissionDenied
from bastion.platform.ratelimit import RateLimited

BEARER_FAILURE_GROUP = "api.bearer_failures"


class InvalidToken(DomainError):
    """A bearer token was presented but is unknown, expired or revoked."""

    status = 401
    code = "invalid_token"


def _token_failure_rate(group: str, request: HttpRequest) -> str:
    # Read at request time so an operator's setting (and a test's override) applies at once.
    return str(settings.BASTION_RATE_LIMIT_TOKEN_FAILURES)


def _bearer_usage(request: HttpRequest, *, count: bool) -> dict[str, Any] | None:
    return get_usage(
        request,
        group=BEARER_FAILURE_GROUP,
        key="ip",
        rate=_token_failure_rate,
        method=ALL,
        increment=count,
    )


def _bearer_failures_spent(request: HttpRequest) -> bool:
    """True once this address used up its failures (peeking does not count as one)."""
    usage = _bearer_usage(request, count=False)
    return usage is not None and usage["count"] >= usage["limit"]


class TokenAuth(HttpBearer):
    """``Authorization: Bearer bst_<prefix>_<secret>``; expired or revoked tokens are refused."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        if _bearer_failures_spent(request):
            raise RateLimited()
        principal = services.authenticate_token(token)
        if principal is None:
            _bearer_usage(request, count=True)
            raise InvalidToken(_("The API token is unknown, expired or revoked."))
        request.principal = principal  # type: ignore[attr-defined]
        return principal


class SessionAuth(APIKeyCookie):
    """The console's session; unsafe methods need the CSRF token as for any form."""

    param_name = "bastion_session"

    def __call__(self, request: HttpRequest) -> Any:
        user = self.authenticate(request, request.COOKIES.get(self.param_name))
        if user is None:
            return None
        exempt = getattr(request, "_ninja_csrf_exempt", False)
        if self.csrf and not exempt and check_csrf(request) is not None:
            raise PermissionDenied(
                _("CSRF check failed: send the X-CSRFToken header with the session's token."),
                code="csrf_failed",
            )
        request.principal = user  # type: ignore[attr-defined]
        return user

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if key is None or user is None or not user.is_authenticated:
            return None
        if user.requires_mfa and not request.session.get("mfa_verified"):
            return None
        return user
