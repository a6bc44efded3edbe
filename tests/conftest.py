"""Shared fixtures. Under CI=true the real services and Chromium are required, never skipped."""

from __future__ import annotations

import os

import pytest

from tests.factories import World, make_world

IN_CI = os.environ.get("CI") == "true"


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
