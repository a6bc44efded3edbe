"""Queued delivery of notifications and the sweep that retries them."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from bastion.notify.actions import do_deliver_notification, due_notification_ids


@db_task()
def deliver_notification(notification_id: int) -> str | None:
    """One delivery attempt, queued after the notifying transaction commits."""
    return do_deliver_notification(notification_id=notification_id)


@db_periodic_task(crontab(minute="*"))
def retry_due_notifications() -> int:
    """Queue every pending notification whose backoff has run out (and any the queue lost)."""
    ids = due_notification_ids()
    for pk in ids:
        deliver_notification(pk)
    return len(ids)
