"""Rate limits of the console's sign-in and MFA forms, per client address."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import is_ratelimited


def _login_rate(group: str, request: HttpRequest) -> str:
    # Read at request time so an operator's setting (and a test's override) always applies.
    return str(settings.BASTION_RATE_LIMIT_LOGIN)


def too_many_attempts(request: HttpRequest, group: str) -> bool:
    """Count this POST against the address's budget for ``group``; True once the budget is spent."""
    return bool(
        is_ratelimited(
            request,
            group=f"console.{group}",
            key="ip",
            rate=_login_rate,
            method="POST",
            increment=True,
        )
    )
