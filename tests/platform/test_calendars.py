"""Working-time arithmetic: worked examples and properties (no database)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bastion.platform.calendars import (
    CalendarError,
    CalendarSchedule,
    add_working_minutes,
    add_working_time,
    is_working_time,
    next_working_time,
    working_minutes_between,
    working_time_between,
)
from bastion.platform.holidays import published_days
from bastion.platform.models import CalendarDayKind

SHANGHAI = ZoneInfo("Asia/Shanghai")
LONDON = ZoneInfo("Europe/London")
UTC = dt.UTC
T = dt.time


def _cn_schedule() -> CalendarSchedule:
    """Mon-Fri 09:00-12:00 and 13:00-17:30, with the published 2025 and 2026 holidays and 调休."""
    days = published_days(2025) + published_days(2026)
    return CalendarSchedule.build(
        weekly={d: [(T(9), T(12)), (T(13), T(17, 30))] for d in range(5)},
        holidays=[d.date for d in days if d.kind == CalendarDayKind.HOLIDAY],
        makeup_days={d.date: 0 for d in days if d.kind == CalendarDayKind.MAKEUP_WORKDAY},
        code="cn",
    )


CN = _cn_schedule()
LONDON_OFFICE = CalendarSchedule.build(
    weekly={d: [(T(9), T(17))] for d in range(5)} | {6: [(T(0), T(4))]}, code="london"
)


def sh(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


def add(
    start: dt.datetime, minutes: float, schedule: CalendarSchedule = CN, tz: ZoneInfo = SHANGHAI
) -> dt.datetime:
    return add_working_minutes(schedule=schedule, start=start, minutes=minutes, tz=tz)


def between(
    a: dt.datetime, b: dt.datetime, schedule: CalendarSchedule = CN, tz: ZoneInfo = SHANGHAI
) -> float:
    return working_minutes_between(schedule=schedule, start=a, end=b, tz=tz)


# 2025-09-22 is a Monday.
@pytest.mark.parametrize(
    ("start", "minutes", "expected"),
    [
        (sh(2025, 9, 22, 9, 0), 30, sh(2025, 9, 22, 9, 30)),
        (sh(2025, 9, 22, 11, 30), 60, sh(2025, 9, 22, 13, 30)),  # lunch break skipped
        (sh(2025, 9, 22, 11, 0), 60, sh(2025, 9, 22, 12, 0)),  # lands exactly on the window's end
        (sh(2025, 9, 22, 12, 0), 1, sh(2025, 9, 22, 13, 1)),  # starting at a window's end
        (sh(2025, 9, 22, 12, 30), 30, sh(2025, 9, 22, 13, 30)),  # starting in the lunch break
        (sh(2025, 9, 22, 7, 0), 10, sh(2025, 9, 22, 9, 10)),  # before opening
        (sh(2025, 9, 26, 17, 0), 60, sh(2025, 9, 28, 9, 30)),  # Friday -> Sunday 28th, a 调休 day
        (sh(2025, 9, 30, 17, 0), 60, sh(2025, 10, 9, 9, 30)),  # over the National Day week
        (sh(2025, 10, 1, 10, 0), 60, sh(2025, 10, 9, 10, 0)),  # starting inside a holiday
        (sh(2025, 10, 8, 16, 0), 450, sh(2025, 10, 9, 17, 30)),  # a whole working day is 7.5 hours
        (sh(2025, 10, 10, 17, 30), 30, sh(2025, 10, 11, 9, 30)),  # Saturday 11th is a 调休 day
        (sh(2025, 9, 22, 20, 0), 0, sh(2025, 9, 22, 20, 0)),  # zero leaves the start alone
    ],
)
def test_add_working_minutes_examples(start: dt.datetime, minutes: int, expected: dt.datetime) -> None:
    result = add(start, minutes)
    assert result == expected
    assert result.tzinfo is UTC


def test_results_are_utc_and_inputs_in_any_zone_agree() -> None:
    start_utc = sh(2025, 9, 22, 11, 30).astimezone(UTC)
    assert add(start_utc, 60) == add(sh(2025, 9, 22, 11, 30), 60)
    assert add(start_utc, 60).utcoffset() == dt.timedelta(0)


def test_between_examples() -> None:
    assert between(sh(2025, 9, 22, 8, 0), sh(2025, 9, 22, 18, 0)) == 450
    assert between(sh(2025, 9, 22, 11, 30), sh(2025, 9, 22, 13, 30)) == 60
    assert (
        between(sh(2025, 9, 26, 17, 0), sh(2025, 9, 29, 9, 30)) == 30 + 450 + 30
    )  # Fri tail + Sun 28th + Mon head
    assert between(sh(2025, 10, 1, 0, 0), sh(2025, 10, 8, 23, 0)) == 0  # the whole holiday
    assert between(sh(2025, 9, 22, 13, 30), sh(2025, 9, 22, 11, 30)) == -60  # signed
    assert between(sh(2025, 9, 22, 9, 0, 30), sh(2025, 9, 22, 9, 1)) == 0.5  # seconds count


def test_new_year_2026_and_spring_festival_2026() -> None:
    # 2025-12-31 (Wed) 17:00 + 60: Jan 1-3 closed, Sunday Jan 4 is a make-up working day.
    assert add(sh(2025, 12, 31, 17, 0), 60) == sh(2026, 1, 4, 9, 30)
    # Spring Festival 2026: closed Feb 15-23, Saturday Feb 14 works; Feb 13 (Fri) 17:30 + 30 = Feb 14 09:30.
    assert add(sh(2026, 2, 13, 17, 30), 30) == sh(2026, 2, 14, 9, 30)
    assert add(sh(2026, 2, 14, 17, 30), 30) == sh(2026, 2, 24, 9, 30)


def test_is_working_time_and_next_working_time() -> None:
    tz = SHANGHAI
    assert is_working_time(schedule=CN, at=sh(2025, 9, 22, 9, 0), tz=tz)  # start inclusive
    assert not is_working_time(schedule=CN, at=sh(2025, 9, 22, 12, 0), tz=tz)  # end exclusive
    assert not is_working_time(schedule=CN, at=sh(2025, 10, 1, 10, 0), tz=tz)  # holiday
    assert is_working_time(schedule=CN, at=sh(2025, 9, 28, 10, 0), tz=tz)  # 调休 Sunday
    assert next_working_time(schedule=CN, at=sh(2025, 9, 22, 12, 0), tz=tz) == sh(2025, 9, 22, 13, 0)
    assert next_working_time(schedule=CN, at=sh(2025, 9, 22, 10, 0), tz=tz) == sh(2025, 9, 22, 10, 0)
    assert next_working_time(schedule=CN, at=sh(2025, 9, 30, 18, 0), tz=tz) == sh(2025, 10, 9, 9, 0)


def test_makeup_day_uses_the_windows_of_its_weekday() -> None:
    schedule = CalendarSchedule.build(
        weekly={0: [(T(9), T(12))], 4: [(T(14), T(16))]},
        makeup_days={dt.date(2025, 9, 28): 4},
    )
    assert add_working_minutes(schedule=schedule, start=sh(2025, 9, 28, 0, 0), minutes=30, tz=SHANGHAI) == sh(
        2025, 9, 28, 14, 30
    )


def test_always_open_counts_every_minute_even_on_holidays() -> None:
    schedule = CalendarSchedule.build(weekly={}, holidays=[dt.date(2025, 10, 1)], always_open=True)
    start = sh(2025, 10, 1, 3, 0)
    assert add_working_minutes(schedule=schedule, start=start, minutes=90, tz=SHANGHAI) == sh(
        2025, 10, 1, 4, 30
    )
    assert (
        working_minutes_between(schedule=schedule, start=start, end=sh(2025, 10, 2, 3, 0), tz=SHANGHAI)
        == 1440
    )
    assert is_working_time(schedule=schedule, at=start, tz=SHANGHAI)


def test_dst_changes_in_london() -> None:
    # 2025-03-30: clocks go 01:00 GMT -> 02:00 BST, so Sunday's 00:00-04:00 window lasts 3 hours.
    spring = dt.datetime(2025, 3, 30, 0, 0, tzinfo=LONDON)
    assert between(spring, spring + dt.timedelta(hours=6), LONDON_OFFICE, LONDON) == 180
    # 2025-10-26: clocks go 02:00 BST -> 01:00 GMT, so the same window lasts 5 hours.
    autumn = dt.datetime(2025, 10, 26, 0, 0, tzinfo=LONDON)
    assert between(autumn, autumn + dt.timedelta(hours=8), LONDON_OFFICE, LONDON) == 300
    end = add(autumn, 299, LONDON_OFFICE, LONDON)
    assert end == dt.datetime(2025, 10, 26, 3, 59, tzinfo=UTC)  # 03:59 GMT
    # Friday 16:00 BST + 2 h lands Monday 10:00 GMT, i.e. 10:00 UTC after the change.
    friday = dt.datetime(2025, 10, 24, 16, 0, tzinfo=LONDON)
    assert add(friday, 120 + 300, LONDON_OFFICE, LONDON) == dt.datetime(2025, 10, 27, 10, 0, tzinfo=UTC)
    assert add(friday, 60, LONDON_OFFICE, LONDON) == dt.datetime(2025, 10, 24, 16, 0, tzinfo=UTC)


def test_window_ending_at_235959_runs_to_midnight() -> None:
    schedule = CalendarSchedule.build(weekly={d: [(T(0), T(23, 59, 59))] for d in range(7)})
    start = sh(2025, 9, 22, 0, 0)
    assert (
        working_minutes_between(schedule=schedule, start=start, end=start + dt.timedelta(days=2), tz=SHANGHAI)
        == 2880
    )


def test_refusals() -> None:
    with pytest.raises(CalendarError, match="aware"):
        add(dt.datetime(2025, 9, 22, 9, 0), 10)
    with pytest.raises(CalendarError, match="negative"):
        add(sh(2025, 9, 22, 9, 0), -1)
    with pytest.raises(CalendarError, match="ends before"):
        CalendarSchedule.build(weekly={0: [(T(12), T(9))]})
    closed = CalendarSchedule.build(weekly={}, makeup_days={}, code="closed")
    with pytest.raises(CalendarError, match="no working time"):
        add(sh(2025, 9, 22, 9, 0), 1, closed)
    assert between(sh(2025, 9, 22), sh(2025, 12, 22), closed) == 0
    holidays_only = CalendarSchedule.build(
        weekly={0: [(T(9), T(10))]}, holidays=[dt.date(2025, 1, 1) + dt.timedelta(days=i) for i in range(800)]
    )
    with pytest.raises(CalendarError, match="no working time"):
        add(sh(2025, 1, 1), 1, holidays_only)


# --- properties -----------------------------------------------------------------------------------

ZONES = {"cn": (CN, SHANGHAI), "london": (LONDON_OFFICE, LONDON)}
instants = st.datetimes(
    min_value=dt.datetime(2024, 12, 1),
    max_value=dt.datetime(2026, 12, 31),
    timezones=st.just(UTC),
)
durations = st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=30))
which = st.sampled_from(sorted(ZONES))


@settings(max_examples=150, deadline=None)
@given(which=which, start=instants, duration=durations)
def test_add_then_between_round_trips(which: str, start: dt.datetime, duration: dt.timedelta) -> None:
    schedule, tz = ZONES[which]
    end = add_working_time(schedule=schedule, start=start, duration=duration, tz=tz)
    assert working_time_between(schedule=schedule, start=start, end=end, tz=tz) == duration
    assert end >= start


@settings(max_examples=150, deadline=None)
@given(which=which, a=instants, b=instants, duration=durations, extra=durations)
def test_add_is_monotonic(
    which: str, a: dt.datetime, b: dt.datetime, duration: dt.timedelta, extra: dt.timedelta
) -> None:
    schedule, tz = ZONES[which]
    early, late = min(a, b), max(a, b)
    assert add_working_time(schedule=schedule, start=early, duration=duration, tz=tz) <= add_working_time(
        schedule=schedule, start=late, duration=duration, tz=tz
    )
    assert add_working_time(schedule=schedule, start=a, duration=duration, tz=tz) <= add_working_time(
        schedule=schedule, start=a, duration=duration + extra, tz=tz
    )


@settings(max_examples=150, deadline=None)
@given(which=which, a=instants, b=instants, c=instants)
def test_between_is_additive(which: str, a: dt.datetime, b: dt.datetime, c: dt.datetime) -> None:
    schedule, tz = ZONES[which]

    def w(x: dt.datetime, y: dt.datetime) -> dt.timedelta:
        return working_time_between(schedule=schedule, start=x, end=y, tz=tz)

    assert w(a, b) + w(b, c) == w(a, c)
    assert w(a, b) == -w(b, a)


@settings(max_examples=100, deadline=None)
@given(which=which, a=instants, b=instants)
def test_adding_the_time_between_never_overshoots(which: str, a: dt.datetime, b: dt.datetime) -> None:
    schedule, tz = ZONES[which]
    start, end = min(a, b), max(a, b)
    worked = working_time_between(schedule=schedule, start=start, end=end, tz=tz)
    reached = add_working_time(schedule=schedule, start=start, duration=worked, tz=tz)
    assert reached <= end
    assert working_time_between(schedule=schedule, start=reached, end=end, tz=tz) == dt.timedelta(0)
