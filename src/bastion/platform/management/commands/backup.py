"""``bastion backup [--output PATH]``: a consistent online backup with checksum and audit head."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from bastion.platform.backup import BackupError, create_backup
from bastion.platform.context import RequestContext, reset_context, set_context


class Command(BaseCommand):
    help = "Back up the database while it runs: one archive with the dump, its SHA-256 and the audit head."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            default=None,
            help="archive file or directory to write into (default: $BASTION_HOME/backups/)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        token = set_context(RequestContext(request_id="cli-backup", channel="cli"))
        try:
            result = create_backup(output=options["output"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            reset_context(token)
        head = result.manifest["audit_head"]
        self.stdout.write(self.style.SUCCESS(_("backup written: %(path)s") % {"path": result.path}))
        self.stdout.write(_("size: %(size)s bytes") % {"size": result.size})
        self.stdout.write(_("archive sha256: %(digest)s") % {"digest": result.sha256})
        self.stdout.write(
            _("audit head at backup time: %(seq)s:%(hash)s") % {"seq": head["seq"], "hash": head["row_hash"]}
        )
