"""Shared fixtures. Under CI=true the real services and Chromium are required, never skipped."""

from __future__ import annotations

import os

import pytest

from tests.factories import World, make_world

IN_CI = os.environ.get("CI") == "true"

# The Chromium ``browser`` fixture, for every app's browser tests.
pytest_plugins = ["tests.browser"]


def pytest_configure(config: pytest.Config) -> None:
    # Production cost (100 MiB, several passes) per user would dominate the suite's run time.
    from django.conf import settings
    from django.contrib.auth.hashers import get_hashers, get_hashers_by_algorithm

    settings.PASSWORD_HASHERS = ["tests.hashers.FastArgon2PasswordHasher"]
    get_hashers.cache_clear()
    get_hashers_by_algorithm.cache_clear()


def require_service(name: str) -> None:
    """Skip locally when a service does not answer; fail under CI, where it must."""
    from bastion.platform.probe import answers

    if not answers(name):
        if IN_CI:
            pytest.fail(f"{name} must answer on its standard local port under CI=true")
        pytest.skip(f"{name} is not answering on its standard local port")


@pytest.fixture
def world(db: None) -> World:
    return make_world()


@pytest.fixture(autouse=True)
def _english_outside_requests():
    """Assert on English source strings; each request still picks its own language (zh-Hans default)."""
    from django.utils import translation

    with translation.override("en"):
        yield


class FrozenClock:
    """A settable stand-in for ``django.utils.timezone.now``: tests control time, never sleep."""

    def __init__(self, start):
        self.current = start

    def __call__(self):
        return self.current

    def advance(self, **delta):
        from datetime import timedelta

        self.current = self.current + timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    from datetime import UTC, datetime

    frozen = FrozenClock(datetime(2026, 3, 2, 2, 0, 10, tzinfo=UTC))  # 10:00:10 in Shanghai, a Monday
    monkeypatch.setattr("django.utils.timezone.now", frozen)
    return frozen
