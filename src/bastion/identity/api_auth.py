"""API authentication: bearer tokens for machines, the console session (with CSRF) for people."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from bastion.identity import services


class TokenAuth(HttpBearer):
    """``Authorization: Bearer bst_<prefix>_<secret>``; expired or revoked tokens are refused."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        principal = services.authenticate_token(token)
        if principal is not None:
            request.principal = principal  # type: ignore[attr-defined]
        return principal


class SessionAuth(APIKeyCookie):
    """The console's session; unsafe methods need the CSRF token as for any form."""

    param_name = "bastion_session"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if user.requires_mfa and not request.session.get("mfa_verified"):
            return None
        request.principal = user  # type: ignore[attr-defined]
        return user
