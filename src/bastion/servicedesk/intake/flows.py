"""Reading a mailbox end to end: each message handed to intake in its own transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings

from bastion.servicedesk.intake.actions import do_ingest_email
from bastion.servicedesk.intake.imap import ImapConfig, poll_imap
from bastion.servicedesk.intake.maildir import PollResult, poll_maildir

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


def _handle(raw: bytes, mailbox: str) -> None:
    logged = do_ingest_email(raw=raw, mailbox=mailbox)
    logger.info(
        "intake %s: %s -> %s (order %s)", mailbox, logged.external_id, logged.outcome, logged.work_order_id
    )


def read_maildir(path: str, *, limit: int | None = None, progress: Progress | None = None) -> PollResult:
    return poll_maildir(path, handle=_handle, limit=limit, progress=progress)


def read_imap(
    config: ImapConfig, *, limit: int | None = None, progress: Progress | None = None
) -> PollResult:
    return poll_imap(config, handle=_handle, limit=limit, progress=progress)


def poll_configured_mailboxes() -> list[PollResult]:
    """Every mailbox the settings name (IMAP and/or Maildir); one failing does not stop the other."""
    results = []
    if settings.BASTION_INTAKE_IMAP_HOST:
        try:
            results.append(read_imap(ImapConfig.from_settings()))
        except OSError:
            logger.exception("intake: reading the IMAP mailbox failed")
    if settings.BASTION_INTAKE_MAILDIR:
        try:
            results.append(read_maildir(settings.BASTION_INTAKE_MAILDIR))
        except OSError:
            logger.exception("intake: reading the Maildir failed")
    return results
