"""``bastion load_holidays --calendar CODE --year 2026``: the State Council schedule into a calendar."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bastion.platform.actions import do_load_public_holidays
from bastion.platform.cli_context import command_context
from bastion.platform.errors import DomainError
from bastion.platform.holidays import published_years, source_of
from bastion.platform.models import BusinessCalendar


class Command(BaseCommand):
    help = (
        "Load the mainland China public holidays and make-up working days (调休) of a year into a "
        "business calendar. Idempotent; audited."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--calendar", required=True, help="code of the business calendar")
        parser.add_argument(
            "--year", type=int, action="append", required=True, help="year to load (repeatable)"
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="also remove the calendar's other entries in that year (default: keep them)",
        )
        parser.add_argument(
            "--makeup-as-weekday",
            type=int,
            default=0,
            help="whose windows a make-up working day uses, 0 = Monday (default) … 6 = Sunday",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        calendar = BusinessCalendar.objects.filter(code=options["calendar"]).first()
        if calendar is None:
            known = ", ".join(BusinessCalendar.objects.values_list("code", flat=True)) or "none"
            raise CommandError(f"--calendar: no business calendar {options['calendar']!r} (known: {known})")
        available = published_years()
        for year in options["year"]:
            if year not in available:
                raise CommandError(
                    f"--year: no published schedule for {year} (available: {', '.join(map(str, available))})"
                )
        with command_context("load_holidays"):
            for year in options["year"]:
                try:
                    result = do_load_public_holidays(
                        calendar=calendar,
                        year=year,
                        actor=None,
                        replace=options["replace"],
                        works_as_weekday=options["makeup_as_weekday"],
                    )
                except DomainError as exc:
                    raise CommandError(f"{', '.join(exc.fields) or 'error'}: {exc.message}") from exc
                self.stdout.write(
                    f"{calendar.code} {year}: {result.created} added, {result.updated} updated, "
                    f"{result.unchanged} unchanged, {result.removed} removed (source: {source_of(year)})"
                )
