"""Reads of platform data: business calendars and the clock a branch's timers run on."""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from bastion.platform.calendars import BranchClock, CalendarSchedule
from bastion.platform.errors import NotFound
from bastion.platform.models import BusinessCalendar, CalendarDay, WorkingWindow


class HasCalendar(Protocol):
    calendar_id: Any
    time_zone: str


def list_calendars() -> QuerySet[BusinessCalendar]:
    return BusinessCalendar.objects.all()


def get_calendar(*, code: str) -> BusinessCalendar:
    calendar = BusinessCalendar.objects.filter(code=code).first()
    if calendar is None:
        raise NotFound(_("No business calendar with that code."))
    return calendar


def list_working_windows(*, calendar: BusinessCalendar) -> QuerySet[WorkingWindow]:
    return calendar.windows.order_by("weekday", "start")


def list_calendar_days(
    *, calendar: BusinessCalendar, year: int | None = None, kind: str | None = None
) -> QuerySet[CalendarDay]:
    days = calendar.days.order_by("date")
    if year is not None:
        days = days.filter(date__year=year)
    if kind is not None:
        days = days.filter(kind=kind)
    return days


def clock_for_branch(*, branch: HasCalendar) -> BranchClock:
    """The branch's calendar in the branch's time zone, from the process cache."""
    return BranchClock(schedule=CalendarSchedule.load(int(branch.calendar_id)), tz=ZoneInfo(branch.time_zone))


def clock_for_calendar(*, calendar: BusinessCalendar, tz: str | dt.tzinfo) -> BranchClock:
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    return BranchClock(schedule=CalendarSchedule.load(calendar.pk), tz=zone)
