"""``bastion servicedesk_mail --maildir PATH | --imap``: read the inbound service-desk mailbox once.

Each new message opens a work order or threads onto one (see bastion.servicedesk.intake); re-reading
never duplicates. The IMAP connection comes from the BASTION_INTAKE_IMAP_* environment settings.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from rich.progress import Progress

from bastion.servicedesk.intake.flows import read_imap, read_maildir
from bastion.servicedesk.intake.imap import ImapConfig
from bastion.servicedesk.intake.maildir import MailboxUnavailable, PollResult


class Command(BaseCommand):
    help = "Read the service-desk inbound mailbox (a Maildir or the configured IMAP mailbox) once."

    def add_arguments(self, parser: CommandParser) -> None:
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--maildir", metavar="PATH", help="read this Maildir (new/ and cur/)")
        source.add_argument("--imap", action="store_true", help="read the mailbox of BASTION_INTAKE_IMAP_*")
        parser.add_argument("--limit", type=int, default=None, help="read at most this many messages")

    def handle(self, *args: Any, **options: Any) -> None:
        limit = options["limit"]
        if limit is not None and limit < 1:
            raise CommandError(_("--limit must be at least 1"))
        with Progress(transient=True, disable=not self.stdout.isatty()) as progress:
            task = progress.add_task(_("Reading mail"), total=None)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            try:
                result = self._read(options, limit, advance)
            except MailboxUnavailable as exc:
                raise CommandError(_("The mailbox cannot be read: %(error)s") % {"error": exc}) from exc
        self.stdout.write(
            self.style.SUCCESS(
                _("%(mailbox)s: %(read)s messages taken in, %(skipped)s skipped")
                % {"mailbox": result.mailbox, "read": result.read, "skipped": result.skipped}
            )
        )

    def _read(self, options: dict[str, Any], limit: int | None, advance: Any) -> PollResult:
        if options["maildir"]:
            return read_maildir(options["maildir"], limit=limit, progress=advance)
        if not settings.BASTION_INTAKE_IMAP_HOST:
            raise CommandError(_("BASTION_INTAKE_IMAP_HOST is not set"))
        try:
            config = ImapConfig.from_settings()
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        return read_imap(config, limit=limit, progress=advance)
