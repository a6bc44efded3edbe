"""Signed-in clients for knowledge pages and API calls."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.cache import cache
from django.test import Client

from tests.web.conftest import sign_in


@pytest.fixture
def client_as(world) -> Callable[..., Client]:
    """``client_as("onsite_engineer")`` is a client signed in as that world user."""
    cache.clear()  # a fresh rate-limit budget per test

    def make(name: str, *, language: str = "en") -> Client:
        client = Client(headers={"accept-language": language})
        client.cookies["bastion_language"] = language
        return sign_in(client, world.users[name])

    return make
