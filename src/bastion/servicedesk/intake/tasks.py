"""Queued work of the intake channels: acknowledgements after commit, periodic mailbox reading."""

from __future__ import annotations

import logging

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from bastion.servicedesk.intake.actions import do_send_intake_acknowledgement

logger = logging.getLogger(__name__)


@db_task(retries=5, retry_delay=120)
def send_acknowledgement(message_id: int) -> bool:
    """Send one acknowledgement; an SMTP failure raises, and the queue retries it later."""
    return do_send_intake_acknowledgement(message_id=message_id)


@db_periodic_task(crontab(minute="*"))
def poll_intake_mailboxes() -> int:
    """Read the configured mailboxes every BASTION_INTAKE_MAIL_POLL_MINUTES minutes (0: never)."""
    from django.utils import timezone

    from bastion.servicedesk.intake.flows import poll_configured_mailboxes

    every = settings.BASTION_INTAKE_MAIL_POLL_MINUTES
    if every <= 0 or timezone.now().minute % every:
        return 0
    # One reader at a time: a slow IMAP server must not get two overlapping passes.
    with lock_task("servicedesk-intake-mail"):
        return sum(result.read for result in poll_configured_mailboxes())


@db_periodic_task(crontab(minute="*/5"))
def send_unqueued_acknowledgements() -> int:
    """Acknowledgements whose queueing was lost after commit (worker or broker down) are sent now.

    Only never-attempted rows older than five minutes: failed attempts are the retrying task's.
    """
    from datetime import timedelta

    from django.utils import timezone

    from bastion.servicedesk.intake.services import list_unsent_acknowledgements

    sent = 0
    for message_id in list_unsent_acknowledgements(older_than=timezone.now() - timedelta(minutes=5)):
        sent += bool(do_send_intake_acknowledgement(message_id=message_id))
    return sent
