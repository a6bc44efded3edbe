"""Session rules the login flow relies on: MFA really happened, and sessions have an absolute end."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

SESSION_STARTED = "bastion_session_started"
SESSION_MFA = "mfa_verified"


class MfaEnforcementMiddleware:
    """Sign out a session that outlived its absolute lifetime or skipped a required second factor."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            started = request.session.get(SESSION_STARTED, 0)
            too_old = time.time() - started > settings.BASTION_SESSION_MAX_AGE_SECONDS
            skipped_mfa = (user.mfa_enrolled or user.requires_mfa) and not request.session.get(SESSION_MFA)
            if too_old or skipped_mfa or user.is_locked():
                logout(request)
        return self.get_response(request)
