"""Scheduled work of the identity app."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from bastion.identity.actions import do_expire_requests


@db_periodic_task(crontab(minute="*"))
def expire_approval_requests() -> int:
    """Close pending maker-checker requests whose time ran out, so they cannot be approved late."""
    return do_expire_requests()
