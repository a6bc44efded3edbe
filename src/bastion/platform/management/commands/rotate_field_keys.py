"""``bastion rotate_field_keys``: re-encrypt every encrypted column under the ring's primary key."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table

from bastion.audit.actions import record_event
from bastion.platform.cli_context import command_context
from bastion.platform.crypto import key_ring
from bastion.platform.keyrotation import ColumnReport, count_rows, encrypted_columns, rotate_column


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted personal-data column with the primary (first) key of "
        "BASTION_FIELD_KEYS and report how many values each key id protected. Audited."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500, help="rows per transaction")
        parser.add_argument("--dry-run", action="store_true", help="only count values per key id")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        console = Console(file=self.stdout._out, width=120, highlight=False)  # type: ignore[arg-type]
        primary = key_ring().primary[0]
        columns = encrypted_columns()
        totals = {column.label: count_rows(column) for column in columns}
        reports: list[ColumnReport] = []
        with command_context("rotate_field_keys"):
            with Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console
            ) as progress:
                for column in columns:
                    task = progress.add_task(column.label, total=totals[column.label])

                    def advance(n: int, task: TaskID = task) -> None:
                        progress.advance(task, n)

                    reports.append(
                        rotate_column(
                            column,
                            batch_size=options["batch_size"],
                            dry_run=options["dry_run"],
                            progress=advance,
                        )
                    )
            by_key = sum((r.by_key for r in reports), Counter())
            if not options["dry_run"]:
                self._audit(primary, reports, by_key)
        self._print(console, primary, reports, by_key, dry_run=options["dry_run"])
        failures = [f for r in reports for f in r.failures]
        if failures:
            for failure in failures:
                console.print(f"[red]cannot decrypt[/red] {failure}")
            raise CommandError(f"{len(failures)} value(s) failed authentication; they were left unchanged")

    def _audit(self, primary: str, reports: list[ColumnReport], by_key: Counter[str]) -> None:
        with transaction.atomic():
            record_event(
                action="platform.field_keys_rotated",
                actor=None,
                extra={
                    "primary_key_id": primary,
                    "values_by_key_id_before": dict(sorted(by_key.items())),
                    "reencrypted": sum(r.reencrypted for r in reports),
                    "failures": sum(len(r.failures) for r in reports),
                },
            )

    def _print(
        self,
        console: Console,
        primary: str,
        reports: list[ColumnReport],
        by_key: Counter[str],
        *,
        dry_run: bool,
    ) -> None:
        table = Table(title=f"Encrypted columns (primary key id: {primary})")
        for heading in ("column", "values by key id", "re-encrypted", "changed meanwhile", "failed"):
            table.add_column(heading)
        for r in reports:
            keys = ", ".join(f"{kid}={n}" for kid, n in sorted(r.by_key.items())) or "-"
            table.add_row(r.column, keys, str(r.reencrypted), str(r.skipped_concurrent), str(len(r.failures)))
        console.print(table)
        for kid, n in sorted(by_key.items()):
            console.print(f"key {kid}: {n} value(s) before rotation")
        done = sum(r.reencrypted for r in reports)
        verb = "would re-encrypt" if dry_run else "re-encrypted"
        pending = sum(n for kid, n in by_key.items() if kid != primary)
        console.print(f"{verb} {pending if dry_run else done} value(s) under key {primary}")
