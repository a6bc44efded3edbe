"""The institution's calendar and time zone, which regulatory days and deadlines run on."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bastion.identity.models import Institution
from bastion.platform.calendars import CalendarSchedule, add_working_days

# Without a configured calendar, Monday to Friday are the working days (no holidays known): a
# deadline then errs early, never late. The console warns about it (docs/decisions/0600).
_WEEKDAYS_ONLY = CalendarSchedule.build(
    weekly={d: [(dt.time(9), dt.time(17))] for d in range(5)}, code="weekdays-only"
)


@dataclass(frozen=True)
class RegulatoryCalendar:
    """Working days and local dates of the institution."""

    schedule: CalendarSchedule
    tz: ZoneInfo
    configured: bool

    def local_day(self, instant: dt.datetime) -> dt.date:
        return instant.astimezone(self.tz).date()

    def working_days_after(self, day: dt.date, days: int) -> dt.date:
        return add_working_days(schedule=self.schedule, day=day, days=days)


def regulatory_calendar() -> RegulatoryCalendar:
    institution = Institution.objects.order_by("pk").first()
    tz = ZoneInfo(institution.time_zone if institution else "Asia/Shanghai")
    if institution is None or institution.calendar_id is None:
        return RegulatoryCalendar(_WEEKDAYS_ONLY, tz, configured=False)
    return RegulatoryCalendar(CalendarSchedule.load(institution.calendar_id), tz, configured=True)
