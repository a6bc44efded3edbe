"""Fixtures for audit tests: real processes on a file-based installation, and cheap test users."""

import pytest

from tests.audit.cli_home import cli_home, migrated_template

__all__ = ["cli_home", "migrated_template"]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Users built here never log in; Argon2 at production cost would only slow the suite down.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
