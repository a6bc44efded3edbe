"""``bastion risk-indicators [--from DAY] [--to DAY] [--all]``: (re)compute monitoring indicators.

Days are computed in date order (the amount-change baseline reads the 7 days before), each in its
own transaction, so an interrupted backfill keeps the days it finished and can simply be re-run.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from bastion.platform.cli_context import command_context
from bastion.platform.errors import DomainError
from bastion.risk.actions.indicators import do_compute_indicator_range
from bastion.risk.services import indicators as services


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(_("Give a date as YYYY-MM-DD.")) from None


class Command(BaseCommand):
    help = (
        "Compute the payment monitoring indicators (and raise threshold warnings) for a range of days "
        "in the bank's time zone; default: yesterday and today. Idempotent: re-running a day rewrites it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="start", help="first day, YYYY-MM-DD")
        parser.add_argument(
            "--to", dest="end", help="last day, YYYY-MM-DD (default: the first day, or today)"
        )
        parser.add_argument(
            "--all", action="store_true", help="every day from the first stored payment to today"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        console = Console(file=self.stdout._out, width=120, highlight=False)  # type: ignore[arg-type]
        today = timezone.localdate(timezone.now(), services.bank_zone())
        if options["all"]:
            found = services.payment_days()
            if found is None:
                console.print(_("No stored payments: nothing to compute."))
                return
            start, end = found[0], max(found[1], today)
        elif options["start"]:
            start = _day(options["start"])
            end = _day(options["end"]) if options["end"] else start
        else:
            start, end = today - dt.timedelta(days=1), today
        total = (end - start).days + 1
        with command_context("risk-indicators"):
            try:
                with Progress(
                    TextColumn("{task.description}"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TimeRemainingColumn(),
                    console=console,
                ) as progress:
                    task = progress.add_task(_("Computing indicators"), total=max(total, 0))
                    results = do_compute_indicator_range(
                        start=start, end=end, progress=lambda day: progress.advance(task)
                    )
            except DomainError as exc:
                raise CommandError(exc.message) from exc
        console.print(
            _("%(days)d day(s) computed: %(values)d value(s) stored, %(warnings)d warning(s) raised.")
            % {
                "days": len(results),
                "values": sum(r.values for r in results),
                "warnings": sum(r.warnings for r in results),
            }
        )
