"""Fixtures for console tests: signed-in clients without walking the login form every time."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from django.core.cache import cache
from django.test import Client

from bastion.identity.middleware import SESSION_MFA, SESSION_STARTED
from bastion.identity.models import User


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    # Rate-limit counters live in the cache; each test starts with a full budget.
    cache.clear()


def sign_in(client: Client, user: User) -> Client:
    """A session as the login flow leaves it after password and second factor."""
    client.force_login(user, backend="bastion.identity.backends.RolePermissionBackend")
    session = client.session
    session[SESSION_MFA] = True
    session[SESSION_STARTED] = time.time()
    session.save()
    return client


@pytest.fixture
def console(world) -> Callable[[str], Client]:
    """``console("admin_hq")`` gives a client signed in as that world user (English UI)."""

    def make(name: str, *, language: str = "en") -> Client:
        client = Client(headers={"accept-language": language})
        client.cookies["bastion_language"] = language
        return sign_in(client, world.users[name])

    return make


@pytest.fixture
def fast_password_hashing(settings) -> None:
    """For page tests that never exercise hashing: MD5 instead of Argon2 keeps the world cheap to build.

    The sign-in tests (test_login.py, test_browser.py) keep the production Argon2 hasher.
    """
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
