"""Fixtures shared by the risk tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.test import Client

from bastion.risk import transport
from tests.factories import World, make_user
from tests.web.conftest import sign_in


@pytest.fixture(autouse=True)
def _fresh_owner() -> Iterator[None]:
    # The in-process owner keeps feature state in memory, while each test's database is rolled back.
    transport.reset_inline()
    yield
    transport.reset_inline()


@pytest.fixture
def console(world: World) -> Callable[..., Client]:
    """``console("risk_analyst")``: a signed-in client; ``risk_analyst_2`` is a second, HQ analyst."""

    def make(name: str, *, language: str = "en") -> Client:
        if name not in world.users and name == "risk_analyst_2":
            world.users[name] = make_user(name, roles=["risk_analyst"], institution_wide=True)
        client = Client(headers={"accept-language": language})
        client.cookies["bastion_language"] = language
        return sign_in(client, world.users[name])

    return make
