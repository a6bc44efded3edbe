"""Working-time arithmetic over a business calendar, in the time zone of the branch that uses it.

Semantics (docs/decisions/0020-calendar-semantics.md):

- A working window is the half-open interval ``[start, end)`` of local wall-clock time on one date.
  Its length is *elapsed* time: the local times are turned into instants in the branch's zone, so a
  window that spans a daylight-saving change is an hour shorter or longer, as the clock on the wall
  of that branch says. A window ending at 23:59:59 or later runs to midnight (``TimeField`` cannot
  hold 24:00).
- Which windows a date has: a ``holiday`` day has none; a ``makeup_workday`` (调休) has the windows of
  its ``works_as_weekday``; every other date has its weekday's windows. An ``always_open`` calendar
  counts every instant and ignores dated exceptions.
- Arithmetic is exact to the microsecond; minutes are a convenience on top.
  :func:`add_working_time` returns the *earliest* instant at which the duration has been worked, so a
  deadline can fall exactly on a window's end (``11:00 + 60 min = 12:00``, not 13:00) and adding zero
  returns the start unchanged, even outside working time. :func:`working_time_between` is signed
  (``between(b, a) == -between(a, b)``), hence additive for any three instants.
- Aware datetimes in, aware UTC datetimes out; a naive datetime is refused.
"""

from __future__ import annotations

import datetime as dt
import threading
import time as _time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from zoneinfo import ZoneInfo

UTC = dt.UTC
DAY_SECONDS = 86_400
# A window ending this late runs to midnight: TimeField has no 24:00.
_END_OF_DAY_FROM = 23 * 3600 + 59 * 60 + 59
# A calendar closed this many consecutive days has no working time to offer.
MAX_CLOSED_DAYS = 2 * 366
# How long a process trusts its cached schedule before asking whether another process changed it.
RECHECK_SECONDS = 10.0
_GENERATION_KEY = "bastion:calendars:generation"

Window = tuple[int, int]  # seconds since local midnight, [start, end)


class CalendarError(ValueError):
    """The calendar cannot answer: naive datetime, negative duration, or no working time at all."""


def _seconds(value: dt.time, *, is_end: bool = False) -> int:
    seconds = value.hour * 3600 + value.minute * 60 + value.second
    if is_end and seconds >= _END_OF_DAY_FROM:
        return DAY_SECONDS
    return seconds


def normalise_windows(
    windows: list[tuple[dt.time, dt.time]] | tuple[tuple[dt.time, dt.time], ...],
) -> tuple[Window, ...]:
    """Windows as sorted, merged ``(start, end)`` second offsets; an inverted window is refused."""
    spans = []
    for start, end in windows:
        s, e = _seconds(start), _seconds(end, is_end=True)
        if e <= s:
            raise CalendarError(f"window {start:%H:%M}-{end:%H:%M} ends before it starts")
        spans.append((s, e))
    merged: list[Window] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return tuple(merged)


@dataclass(frozen=True, eq=False)
class CalendarSchedule:
    """An immutable, in-memory calendar: weekly windows plus dated exceptions, ready for arithmetic."""

    code: str
    always_open: bool
    weekly: tuple[tuple[Window, ...], ...]  # index 0 = Monday
    exceptions: Mapping[dt.date, tuple[Window, ...]]
    calendar_id: int | None = None

    def windows_on(self, day: dt.date) -> tuple[Window, ...]:
        found = self.exceptions.get(day)
        return self.weekly[day.weekday()] if found is None else found

    @property
    def last_exception(self) -> dt.date | None:
        return max(self.exceptions) if self.exceptions else None

    @property
    def has_weekly_time(self) -> bool:
        return any(self.weekly)

    @classmethod
    def build(
        cls,
        *,
        weekly: Mapping[int, list[tuple[dt.time, dt.time]]],
        holidays: list[dt.date] | tuple[dt.date, ...] = (),
        makeup_days: Mapping[dt.date, int] | None = None,
        always_open: bool = False,
        code: str = "",
        calendar_id: int | None = None,
    ) -> CalendarSchedule:
        """Build a schedule from plain values (the database loader and tests both use this)."""
        week = tuple(normalise_windows(weekly.get(day, [])) for day in range(7))
        exceptions: dict[dt.date, tuple[Window, ...]] = dict.fromkeys(holidays, ())
        for day, as_weekday in (makeup_days or {}).items():
            if not 0 <= as_weekday <= 6:
                raise CalendarError(f"make-up day {day} works as weekday {as_weekday}, not 0-6")
            exceptions[day] = week[as_weekday]
        return cls(
            code=code,
            always_open=always_open,
            weekly=week,
            exceptions=MappingProxyType(exceptions),
            calendar_id=calendar_id,
        )

    @classmethod
    def load(cls, calendar_id: int) -> CalendarSchedule:
        """The schedule of a stored calendar, from the process cache when it is still current."""
        return _CACHE.get(calendar_id)


def _load_from_database(calendar_id: int) -> CalendarSchedule:
    from bastion.platform.models import BusinessCalendar, CalendarDayKind

    calendar = BusinessCalendar.objects.get(pk=calendar_id)
    weekly: dict[int, list[tuple[dt.time, dt.time]]] = {}
    for window in calendar.windows.all():
        weekly.setdefault(window.weekday, []).append((window.start, window.end))
    holidays, makeup = [], {}
    for day in calendar.days.all():
        if day.kind == CalendarDayKind.HOLIDAY:
            holidays.append(day.date)
        elif day.kind == CalendarDayKind.MAKEUP_WORKDAY:
            makeup[day.date] = day.works_as_weekday
    return CalendarSchedule.build(
        weekly=weekly,
        holidays=holidays,
        makeup_days=makeup,
        always_open=calendar.always_open,
        code=calendar.code,
        calendar_id=calendar.pk,
    )


@dataclass
class _Entry:
    schedule: CalendarSchedule
    generation: int
    checked_at: float


class _ScheduleCache:
    """Per-process cache of loaded schedules.

    Local changes clear it at once (signals); other processes learn of a change through a generation
    counter in Django's shared cache, checked at most every ``RECHECK_SECONDS``. A schedule loaded
    while this thread's open transaction has changed a calendar is not kept: a rollback would leave
    the cache holding rows that never existed.
    """

    def __init__(self) -> None:
        self._entries: dict[int, _Entry] = {}
        self._lock = threading.Lock()
        self._local = threading.local()

    def get(self, calendar_id: int) -> CalendarSchedule:
        now = _time.monotonic()
        entry = self._entries.get(calendar_id)
        if entry and now - entry.checked_at < RECHECK_SECONDS:
            return entry.schedule
        generation = _shared_generation()
        if entry and entry.generation == generation:
            entry.checked_at = now
            return entry.schedule
        schedule = _load_from_database(calendar_id)
        if self._may_keep():
            with self._lock:
                self._entries[calendar_id] = _Entry(schedule, generation, now)
        return schedule

    def _may_keep(self) -> bool:
        from django.db import connection

        if not getattr(self._local, "dirty", False):
            return True
        if connection.in_atomic_block:
            return False
        self._local.dirty = False  # the changing transaction ended (a commit already cleared us)
        return True

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def changed(self) -> None:
        """A calendar row changed: forget everything now, and tell other processes once committed."""
        from django.db import connection, transaction

        self.clear()
        if connection.in_atomic_block:
            self._local.dirty = True
        transaction.on_commit(self._committed)

    def _committed(self) -> None:
        self._local.dirty = False
        self.clear()
        _bump_shared_generation()


def _shared_generation() -> int:
    from django.core.cache import cache

    try:
        return int(cache.get(_GENERATION_KEY, 0))
    except Exception:  # an unreachable cache must not stop SLA arithmetic; reload instead
        return -1


def _bump_shared_generation() -> None:
    from django.core.cache import cache

    try:
        cache.add(_GENERATION_KEY, 0, timeout=None)
        cache.incr(_GENERATION_KEY)
    except Exception:  # noqa: S110 - peers fall back to RECHECK-bounded staleness at worst
        pass


_CACHE = _ScheduleCache()


def calendar_changed() -> None:
    """Invalidate cached schedules after a change to any calendar, its windows or its days."""
    _CACHE.changed()


# --- arithmetic -----------------------------------------------------------------------------------


def _zone(tz: str | dt.tzinfo) -> dt.tzinfo:
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def _aware(value: dt.datetime, name: str) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise CalendarError(f"{name} must be an aware datetime")
    return value.astimezone(UTC)


def _instant(day: dt.date, seconds: int, tz: dt.tzinfo) -> dt.datetime:
    """The instant a local wall-clock offset on ``day`` denotes (fold=0 for repeated hours)."""
    wall = dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=seconds)
    return wall.replace(tzinfo=tz).astimezone(UTC)


def _intervals(
    schedule: CalendarSchedule, tz: dt.tzinfo, first_day: dt.date, last_day: dt.date | None = None
) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """Working intervals in UTC, in order and non-overlapping, from ``first_day`` on.

    Without ``last_day`` the iteration is endless and raises :class:`CalendarError` when the calendar
    has no working time left to offer.
    """
    previous_end: dt.datetime | None = None
    day, closed_run = first_day, 0
    last_exception = schedule.last_exception
    while last_day is None or day <= last_day:
        windows = schedule.windows_on(day)
        if windows:
            closed_run = 0
        elif last_day is None:
            closed_run += 1
            past_exceptions = last_exception is None or day > last_exception
            if closed_run > MAX_CLOSED_DAYS or (past_exceptions and not schedule.has_weekly_time):
                raise CalendarError(f"calendar {schedule.code!r} has no working time after {day}")
        for start_s, end_s in windows:
            start, end = _instant(day, start_s, tz), _instant(day, end_s, tz)
            if previous_end is not None and start < previous_end:
                start = previous_end  # a DST gap can fold two windows onto each other
            if end > start:
                previous_end = end
                yield start, end
        day += dt.timedelta(days=1)


def _local_day(instant: dt.datetime, tz: dt.tzinfo) -> dt.date:
    # One day earlier: a window of the previous local date may still be open (DST edge cases).
    return instant.astimezone(tz).date() - dt.timedelta(days=1)


def add_working_time(
    *, schedule: CalendarSchedule, start: dt.datetime, duration: dt.timedelta, tz: str | dt.tzinfo
) -> dt.datetime:
    """The earliest instant at which ``duration`` of working time has elapsed since ``start``."""
    start = _aware(start, "start")
    if duration < dt.timedelta(0):
        raise CalendarError("the duration must not be negative")
    if schedule.always_open or not duration:
        return start + duration
    zone = _zone(tz)
    remaining = duration
    for begin, end in _intervals(schedule, zone, _local_day(start, zone)):
        if end <= start:
            continue
        begin = max(begin, start)
        if remaining <= end - begin:
            return begin + remaining
        remaining -= end - begin
    raise AssertionError("unreachable: the interval iteration is endless or raises")


def add_working_minutes(
    *, schedule: CalendarSchedule, start: dt.datetime, minutes: float, tz: str | dt.tzinfo
) -> dt.datetime:
    """``start`` plus ``minutes`` working minutes (see :func:`add_working_time`)."""
    return add_working_time(schedule=schedule, start=start, duration=dt.timedelta(minutes=minutes), tz=tz)


def working_time_between(
    *, schedule: CalendarSchedule, start: dt.datetime, end: dt.datetime, tz: str | dt.tzinfo
) -> dt.timedelta:
    """Working time from ``start`` to ``end``; negative when ``end`` comes first."""
    start, end = _aware(start, "start"), _aware(end, "end")
    if end < start:
        return -working_time_between(schedule=schedule, start=end, end=start, tz=tz)
    if schedule.always_open:
        return end - start
    zone = _zone(tz)
    total = dt.timedelta(0)
    last_day = end.astimezone(zone).date() + dt.timedelta(days=1)
    for begin, finish in _intervals(schedule, zone, _local_day(start, zone), last_day):
        if begin >= end:
            break
        overlap = min(finish, end) - max(begin, start)
        if overlap > dt.timedelta(0):
            total += overlap
    return total


def working_minutes_between(
    *, schedule: CalendarSchedule, start: dt.datetime, end: dt.datetime, tz: str | dt.tzinfo
) -> float:
    """Working minutes from ``start`` to ``end`` (fractional; exact arithmetic lives in the timedelta)."""
    between = working_time_between(schedule=schedule, start=start, end=end, tz=tz)
    return between / dt.timedelta(minutes=1)


def is_working_time(*, schedule: CalendarSchedule, at: dt.datetime, tz: str | dt.tzinfo) -> bool:
    """Whether ``at`` lies inside a working window (start inclusive, end exclusive)."""
    at = _aware(at, "at")
    if schedule.always_open:
        return True
    zone = _zone(tz)
    last_day = at.astimezone(zone).date()
    return any(begin <= at < end for begin, end in _intervals(schedule, zone, _local_day(at, zone), last_day))


def next_working_time(*, schedule: CalendarSchedule, at: dt.datetime, tz: str | dt.tzinfo) -> dt.datetime:
    """``at`` itself when it is working time, else the start of the next working window."""
    at = _aware(at, "at")
    if schedule.always_open:
        return at
    zone = _zone(tz)
    for begin, end in _intervals(schedule, zone, _local_day(at, zone)):
        if end > at:
            return max(begin, at)
    raise AssertionError("unreachable: the interval iteration is endless or raises")


@dataclass(frozen=True)
class BranchClock:
    """A schedule bound to a time zone: what SLA timers hold for one branch."""

    schedule: CalendarSchedule
    tz: dt.tzinfo

    def add_working_minutes(self, start: dt.datetime, minutes: float) -> dt.datetime:
        return add_working_minutes(schedule=self.schedule, start=start, minutes=minutes, tz=self.tz)

    def working_minutes_between(self, start: dt.datetime, end: dt.datetime) -> float:
        return working_minutes_between(schedule=self.schedule, start=start, end=end, tz=self.tz)

    def is_working_time(self, at: dt.datetime) -> bool:
        return is_working_time(schedule=self.schedule, at=at, tz=self.tz)

    def next_working_time(self, at: dt.datetime) -> dt.datetime:
        return next_working_time(schedule=self.schedule, at=at, tz=self.tz)


def is_working_day(*, schedule: CalendarSchedule, day: dt.date) -> bool:
    """A date with working time: not a holiday, and a weekday with windows or a make-up day."""
    return schedule.always_open or bool(schedule.windows_on(day))


def add_working_days(*, schedule: CalendarSchedule, day: dt.date, days: int) -> dt.date:
    """The ``days``-th working day after ``day`` (regulatory "within N working days" deadlines).

    ``day`` itself never counts, working or not: a report due "within 5 working days" of a Friday
    trade is due on the fifth working day after that Friday.
    """
    if days < 0:
        raise CalendarError("the number of working days must not be negative")
    if (
        days
        and not schedule.always_open
        and not schedule.has_weekly_time
        and not any(schedule.exceptions.values())
    ):
        raise CalendarError(f"calendar {schedule.code or '?'} has no working days")
    current, counted, closed = day, 0, 0
    while counted < days:
        current += dt.timedelta(days=1)
        if is_working_day(schedule=schedule, day=current):
            counted, closed = counted + 1, 0
        else:
            closed += 1
            if closed > MAX_CLOSED_DAYS:
                raise CalendarError(f"calendar {schedule.code or '?'} has no working day after {current}")
    return current
