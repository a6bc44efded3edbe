"""Where notification settings come from: Django settings first, then the environment.

Secrets (SMTP password, webhook keys, DingTalk signing secret) are read from the environment in
production and never stored in the repository or the database. See docs/operations/notifications.md.
"""

from __future__ import annotations

import os

from django.conf import settings


def setting(name: str, default: str = "") -> str:
    """``settings.<name>`` when set (tests override it), else ``$<name>``, else ``default``."""
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name, default)
    return str(value)


def int_setting(name: str, default: int) -> int:
    raw = setting(name, str(default))
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from exc


def bool_setting(name: str, default: bool = False) -> bool:
    return setting(name, "1" if default else "0").strip().lower() in {"1", "true", "yes", "on"}


def max_attempts() -> int:
    return int_setting("BASTION_NOTIFY_MAX_ATTEMPTS", 5)


def http_timeout() -> float:
    return float(setting("BASTION_NOTIFY_HTTP_TIMEOUT", "10"))


def base_url() -> str:
    """The console's public address, so links in e-mail and chat messages are absolute."""
    return setting("BASTION_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
