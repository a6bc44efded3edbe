"""Writes to platform data (business calendars), each atomic and audited in the same transaction."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from bastion.audit.actions import record_event
from bastion.platform.calendars import CalendarError, calendar_changed, normalise_windows
from bastion.platform.errors import Conflict, FieldError, NotFound
from bastion.platform.holidays import published_days
from bastion.platform.models import BusinessCalendar, CalendarDay, CalendarDayKind, WorkingWindow


def _lock(calendar: BusinessCalendar) -> BusinessCalendar:
    """Serialise edits of one calendar (SQLite's IMMEDIATE transactions already hold the write lock)."""
    return BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)


def _window_labels(windows: list[tuple[dt.time, dt.time]]) -> list[str]:
    return [f"{start:%H:%M:%S}-{end:%H:%M:%S}" for start, end in sorted(windows)]


def _day_payload(day: CalendarDay) -> dict[str, Any]:
    return {
        "date": day.date.isoformat(),
        "kind": day.kind,
        "name": day.name,
        "works_as_weekday": day.works_as_weekday,
    }


def _check_weekday(field: str, weekday: int) -> None:
    if not isinstance(weekday, int) or not 0 <= weekday <= 6:
        raise FieldError(field, _("A weekday is a number from 0 (Monday) to 6 (Sunday)."))


def _check_windows(windows: list[tuple[dt.time, dt.time]]) -> None:
    try:
        normalise_windows(windows)
    except CalendarError:
        raise FieldError("windows", _("Each working window must end after it starts.")) from None
    ordered = sorted(windows)
    for (_start, end), (next_start, _end) in itertools.pairwise(ordered):
        if next_start < end:
            raise FieldError("windows", _("Working windows of one day must not overlap."))


def do_set_working_windows(
    *, calendar: BusinessCalendar, weekday: int, windows: list[tuple[dt.time, dt.time]], actor: Any
) -> list[WorkingWindow]:
    """Replace the working windows of one weekday of a calendar."""
    _check_weekday("weekday", weekday)
    _check_windows(windows)
    with transaction.atomic():
        calendar = _lock(calendar)
        existing = calendar.windows.filter(weekday=weekday)
        before = _window_labels([(w.start, w.end) for w in existing])
        existing.delete()
        created = WorkingWindow.objects.bulk_create(
            WorkingWindow(calendar=calendar, weekday=weekday, start=start, end=end)
            for start, end in sorted(windows)
        )
        record_event(
            action="calendar.windows_set",
            actor=actor,
            obj=calendar,
            before={"weekday": weekday, "windows": before},
            after={"weekday": weekday, "windows": _window_labels(windows)},
        )
        calendar_changed()
    return created


def do_add_calendar_day(
    *,
    calendar: BusinessCalendar,
    date: dt.date,
    kind: str,
    name: str = "",
    works_as_weekday: int = 0,
    actor: Any,
) -> CalendarDay:
    """Add a public holiday or a make-up working day (调休) to a calendar."""
    if kind not in CalendarDayKind.values:
        raise FieldError("kind", _("Choose a holiday or a make-up working day."))
    _check_weekday("works_as_weekday", works_as_weekday)
    if len(name) > CalendarDay._meta.get_field("name").max_length:  # type: ignore[operator]
        raise FieldError("name", _("The name is too long."))
    with transaction.atomic():
        calendar = _lock(calendar)
        if (
            kind == CalendarDayKind.MAKEUP_WORKDAY
            and not calendar.windows.filter(weekday=works_as_weekday).exists()
        ):
            raise FieldError("works_as_weekday", _("That weekday has no working windows to borrow."))
        if calendar.days.filter(date=date).exists():
            raise Conflict(
                _("The calendar already has an entry for this date."),
                fields={"date": [_("The calendar already has an entry for this date.")]},
            )
        day = CalendarDay.objects.create(
            calendar=calendar,
            date=date,
            kind=kind,
            name=name,
            works_as_weekday=works_as_weekday if kind == CalendarDayKind.MAKEUP_WORKDAY else 0,
        )
        record_event(action="calendar.day_added", actor=actor, obj=calendar, after=_day_payload(day))
    return day


def do_remove_calendar_day(*, calendar: BusinessCalendar, date: dt.date, actor: Any) -> None:
    """Remove a dated exception, so the date follows its weekday's windows again."""
    with transaction.atomic():
        calendar = _lock(calendar)
        day = calendar.days.filter(date=date).first()
        if day is None:
            raise NotFound(_("The calendar has no entry for this date."))
        before = _day_payload(day)
        day.delete()
        record_event(action="calendar.day_removed", actor=actor, obj=calendar, before=before)


@dataclass(frozen=True)
class HolidayLoad:
    """What loading a published schedule changed."""

    created: int
    updated: int
    unchanged: int
    removed: int


def do_load_public_holidays(
    *, calendar: BusinessCalendar, year: int, actor: Any, replace: bool = False, works_as_weekday: int = 0
) -> HolidayLoad:
    """Bring a calendar's entries for ``year`` in line with the published State Council schedule."""
    _check_weekday("works_as_weekday", works_as_weekday)
    try:
        published = published_days(year)
    except LookupError:
        raise FieldError("year", _("No published holiday schedule for that year.")) from None
    with transaction.atomic():
        calendar = _lock(calendar)
        existing = {d.date: d for d in calendar.days.filter(date__year=year)}
        before = [_day_payload(d) for d in existing.values()]
        created = updated = unchanged = 0
        for entry in published:
            wanted = {
                "kind": entry.kind,
                "name": entry.name,
                "works_as_weekday": works_as_weekday if entry.kind == CalendarDayKind.MAKEUP_WORKDAY else 0,
            }
            current = existing.pop(entry.date, None)
            if current is None:
                CalendarDay.objects.create(calendar=calendar, date=entry.date, **wanted)
                created += 1
            elif any(getattr(current, k) != v for k, v in wanted.items()):
                CalendarDay.objects.filter(pk=current.pk).update(**wanted)
                updated += 1
            else:
                unchanged += 1
        removed = 0
        if replace and existing:
            removed, _counts = CalendarDay.objects.filter(pk__in=[d.pk for d in existing.values()]).delete()
        result = HolidayLoad(created, updated, unchanged, removed)
        record_event(
            action="calendar.holidays_loaded",
            actor=actor,
            obj=calendar,
            before={"year": year, "days": before},
            after={"year": year, "days": [_day_payload(d) for d in calendar.days.filter(date__year=year)]},
            extra={"created": created, "updated": updated, "unchanged": unchanged, "removed": removed},
        )
        calendar_changed()
    return result
