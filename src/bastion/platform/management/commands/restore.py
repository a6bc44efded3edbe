"""``bastion restore PATH [--yes]``: refuse a damaged backup, restore a good one, verify the audit chain."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from bastion.platform.backup import BackupError, OpenedBackup, check_restorable, opened_backup, restore_backup
from bastion.platform.context import RequestContext, reset_context, set_context

EXIT_REFUSED = 1
EXIT_VERIFICATION_FAILED = 3


class Command(BaseCommand):
    help = (
        "Restore a backup made by `bastion backup`. The file is checked before the database is touched; "
        "afterwards the restored audit chain is verified against the backup's manifest. Stop the web "
        "server and workers first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the backup archive")
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
        parser.add_argument(
            "--accept-key-mismatch",
            action="store_true",
            help="restore even though the backup's personal-data keys are not configured here",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        token = set_context(RequestContext(request_id="cli-restore", channel="cli"))
        try:
            with opened_backup(options["path"]) as backup:
                check_restorable(backup, allow_key_mismatch=options["accept_key_mismatch"])
                self._describe(backup)
                if not options["yes"]:
                    self._confirm()
                result = restore_backup(backup)
        except BackupError as exc:
            raise CommandError(str(exc), returncode=EXIT_REFUSED) from exc
        finally:
            reset_context(token)
        if result.safety_copy:
            self.stdout.write(_("previous database kept at %(path)s") % {"path": result.safety_copy})
        self.stdout.write(result.chain_message)
        expected = result.manifest["audit_head"]
        if not result.chain_ok:
            raise CommandError(
                _("restored, but the audit chain does not verify: %(message)s")
                % {"message": result.chain_message},
                returncode=EXIT_VERIFICATION_FAILED,
            )
        if not result.head_matches:
            raise CommandError(
                _("restored, but the audit head %(found)s differs from the backup's %(expected)s")
                % {
                    "found": f"{result.restored_head['seq']}:{result.restored_head['row_hash']}",
                    "expected": f"{expected['seq']}:{expected['row_hash']}",
                },
                returncode=EXIT_VERIFICATION_FAILED,
            )
        self.stdout.write(
            self.style.SUCCESS(
                _("restore complete: audit head %(seq)s:%(hash)s matches the backup")
                % {"seq": expected["seq"], "hash": expected["row_hash"]}
            )
        )
        if result.pending_migrations:
            self.stdout.write(
                _("this backup predates %(count)s migration(s) of this version: run `bastion migrate`")
                % {"count": len(result.pending_migrations)}
            )

    def _describe(self, backup: OpenedBackup) -> None:
        manifest = backup.manifest
        head = manifest["audit_head"]
        self.stdout.write(_("backup checked: %(path)s") % {"path": backup.path})
        self.stdout.write(
            _("made %(created)s by Bastion %(version)s from a %(engine)s database; dump sha256 %(digest)s ok")
            % {
                "created": manifest["created_at"],
                "version": manifest["bastion_version"],
                "engine": manifest["engine"],
                "digest": manifest["dump"]["sha256"],
            }
        )
        self.stdout.write(
            _("audit head in the backup: %(seq)s:%(hash)s") % {"seq": head["seq"], "hash": head["row_hash"]}
        )

    def _confirm(self) -> None:
        if not sys.stdin.isatty():
            raise BackupError(_("Restoring replaces the whole database; confirm with --yes."))
        answer = input(_("This replaces the whole live database. Type 'restore' to continue: "))
        if answer.strip() != "restore":
            raise BackupError(_("Restore cancelled; nothing was changed."))
