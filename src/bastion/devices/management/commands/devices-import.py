"""``bastion devices-import FILE [--valid-rows-only]``: register devices from a CSV or XLSX file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from bastion.devices.actions.importing import ImportRejected, do_import_devices
from bastion.devices.importing import RowError, check_file
from bastion.platform.cli_context import command_context
from bastion.platform.errors import DomainError


class Command(BaseCommand):
    help = (
        "Import devices from a CSV or XLSX file (columns: docs/guide/en/devices.md). A file with "
        "errors imports nothing and exits 1, unless --valid-rows-only. Audited as the system, or as --user."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--valid-rows-only", action="store_true", help="import the rows without errors")
        parser.add_argument("--dry-run", action="store_true", help="check and report only")
        parser.add_argument("--user", help="act as this user (their permissions and branches)")

    def handle(self, *args: Any, **options: Any) -> None:
        console = Console(file=self.stdout._out, width=120, highlight=False)  # type: ignore[arg-type]
        path: Path = options["file"]
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(_("Cannot read %(path)s: %(error)s") % {"path": path, "error": exc}) from exc
        actor = self._actor(options["user"])
        rows = len(check_file(filename=path.name, content=content, actor=actor).rows)
        with command_context("devices-import"):
            try:
                with Progress(
                    TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console
                ) as progress:
                    task = progress.add_task(_("Importing devices"), total=rows)
                    report = do_import_devices(
                        filename=path.name,
                        content=content,
                        valid_rows_only=options["valid_rows_only"],
                        dry_run=options["dry_run"],
                        actor=actor,
                        progress=lambda n: progress.update(task, completed=n),
                    )
            except ImportRejected as exc:
                self._print_errors(
                    console, check_file(filename=path.name, content=content, actor=actor).errors
                )
                raise CommandError(exc.message) from exc
            except DomainError as exc:
                raise CommandError(exc.message) from exc
        self._print_errors(console, report.errors)
        verb = _("would be imported") if report.dry_run else _("imported")
        console.print(
            _("%(file)s: %(rows)d row(s), %(n)d device(s) %(verb)s, %(skipped)d row(s) with errors skipped.")
            % {
                "file": path.name,
                "rows": report.rows,
                "n": report.valid_rows if report.dry_run else report.imported,
                "verb": verb,
                "skipped": report.skipped_rows,
            }
        )
        if report.errors:
            # Skipped rows are still a problem to fix: scripts see it in the exit status.
            raise CommandError(_("%(n)d row(s) were not imported.") % {"n": report.skipped_rows})

    def _actor(self, username: str | None) -> Any:
        if not username:
            return None
        from bastion.identity.models import User

        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(_("No active user %(name)s.") % {"name": username})
        return user

    def _print_errors(self, console: Console, errors: list[RowError]) -> None:
        if not errors:
            return
        table = Table(_("Row"), _("Column"), _("Problem"), title=_("Errors in the file"))
        for error in errors:
            table.add_row(str(error.row), error.column, error.message)
        console.print(table)
