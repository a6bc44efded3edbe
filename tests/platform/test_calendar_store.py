"""Stored calendars: the audited edits, the holiday loader command and the schedule cache."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command

from bastion.audit.models import AuditEvent
from bastion.platform import calendars
from bastion.platform.actions import do_add_calendar_day, do_remove_calendar_day, do_set_working_windows
from bastion.platform.calendars import CalendarSchedule
from bastion.platform.errors import Conflict, FieldError, NotFound
from bastion.platform.models import BusinessCalendar, CalendarDay, CalendarDayKind
from bastion.platform.services import clock_for_branch, list_calendar_days
from tests.factories import make_calendar

T = dt.time


def _load(*args: str) -> str:
    out = StringIO()
    call_command("load_holidays", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_load_holidays_writes_the_published_2025_schedule() -> None:
    calendar = make_calendar()
    output = _load("--calendar", calendar.code, "--year", "2025")
    assert "33 added, 0 updated, 0 unchanged, 0 removed" in output
    assert "国办发明电〔2024〕12号" in output
    national_day = CalendarDay.objects.get(calendar=calendar, date=dt.date(2025, 10, 1))
    assert (national_day.kind, national_day.name) == (CalendarDayKind.HOLIDAY, "国庆节、中秋节")
    makeup = CalendarDay.objects.get(calendar=calendar, date=dt.date(2025, 9, 28))
    assert (makeup.kind, makeup.name, makeup.works_as_weekday) == (
        CalendarDayKind.MAKEUP_WORKDAY,
        "国庆节、中秋节",
        0,
    )
    spring = CalendarDay.objects.get(calendar=calendar, date=dt.date(2025, 1, 28))
    assert (spring.kind, spring.name) == (CalendarDayKind.HOLIDAY, "春节")
    assert not CalendarDay.objects.filter(calendar=calendar, date=dt.date(2025, 10, 9)).exists()
    event = AuditEvent.objects.get(action="calendar.holidays_loaded")
    assert event.channel == "cli"
    assert event.actor_type == "system"
    assert event.extra["created"] == 33


@pytest.mark.django_db
def test_load_holidays_2026_is_idempotent_and_replace_removes_other_entries() -> None:
    calendar = make_calendar()
    _load("--calendar", calendar.code, "--year", "2026")
    assert CalendarDay.objects.get(calendar=calendar, date=dt.date(2026, 2, 15)).name == "春节"
    assert CalendarDay.objects.get(calendar=calendar, date=dt.date(2026, 10, 10)).kind == "makeup_workday"
    assert CalendarDay.objects.get(calendar=calendar, date=dt.date(2026, 9, 25)).name == "中秋节"
    do_add_calendar_day(
        calendar=calendar, date=dt.date(2026, 12, 24), kind=CalendarDayKind.HOLIDAY, name="行庆日", actor=None
    )
    again = _load("--calendar", calendar.code, "--year", "2026")
    assert "0 added, 0 updated, 39 unchanged, 0 removed" in again
    replaced = _load("--calendar", calendar.code, "--year", "2026", "--replace")
    assert "0 added, 0 updated, 39 unchanged, 1 removed" in replaced
    assert list_calendar_days(calendar=calendar, year=2026).count() == 39


@pytest.mark.django_db
def test_load_holidays_refuses_unknown_calendar_and_year() -> None:
    calendar = make_calendar()
    with pytest.raises(CommandError, match="--calendar: no business calendar 'nope'"):
        _load("--calendar", "nope", "--year", "2025")
    with pytest.raises(CommandError, match="--year: no published schedule for 2019"):
        _load("--calendar", calendar.code, "--year", "2019")
    assert not CalendarDay.objects.exists()
    assert not AuditEvent.objects.filter(action="calendar.holidays_loaded").exists()


@pytest.mark.django_db
def test_set_working_windows_replaces_one_weekday_and_is_audited(world) -> None:
    calendar = world.branch_a.calendar
    admin = world.users["admin_hq"]
    do_set_working_windows(calendar=calendar, weekday=5, windows=[(T(9), T(12))], actor=admin)
    assert [(w.start, w.end) for w in calendar.windows.filter(weekday=5)] == [(T(9), T(12))]
    event = AuditEvent.objects.get(action="calendar.windows_set")
    assert event.actor_label == admin.username
    assert event.before == {"weekday": 5, "windows": []}
    assert event.after == {"weekday": 5, "windows": ["09:00:00-12:00:00"]}
    saturday = dt.datetime(2025, 9, 27, 11, 0, tzinfo=dt.UTC) - dt.timedelta(hours=8)  # 11:00 Shanghai
    assert clock_for_branch(branch=world.branch_a).is_working_time(saturday)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("weekday", "windows", "field"),
    [
        (7, [(T(9), T(12))], "weekday"),
        (0, [(T(12), T(9))], "windows"),
        (0, [(T(9), T(12)), (T(11), T(14))], "windows"),
    ],
)
def test_bad_windows_name_the_field_and_change_nothing(world, weekday, windows, field) -> None:
    calendar = world.branch_a.calendar
    before = list(calendar.windows.values_list("weekday", "start", "end"))
    with pytest.raises(FieldError) as refused:
        do_set_working_windows(calendar=calendar, weekday=weekday, windows=windows, actor=None)
    assert field in refused.value.fields
    assert list(calendar.windows.values_list("weekday", "start", "end")) == before
    assert not AuditEvent.objects.filter(action="calendar.windows_set").exists()


@pytest.mark.django_db
def test_add_and_remove_calendar_day(world) -> None:
    calendar, admin = world.branch_a.calendar, world.users["admin_hq"]
    clock = clock_for_branch(branch=world.branch_a)
    monday_10 = dt.datetime(2025, 9, 22, 2, 0, tzinfo=dt.UTC)
    assert clock.is_working_time(monday_10)
    do_add_calendar_day(
        calendar=calendar, date=dt.date(2025, 9, 22), kind="holiday", name="台风停业", actor=admin
    )
    assert not clock_for_branch(branch=world.branch_a).is_working_time(monday_10)
    with pytest.raises(Conflict):
        do_add_calendar_day(calendar=calendar, date=dt.date(2025, 9, 22), kind="holiday", actor=admin)
    with pytest.raises(FieldError) as refused:
        do_add_calendar_day(
            calendar=calendar,
            date=dt.date(2025, 9, 27),
            kind="makeup_workday",
            works_as_weekday=6,
            actor=admin,
        )
    assert "works_as_weekday" in refused.value.fields
    with pytest.raises(FieldError) as refused:
        do_add_calendar_day(calendar=calendar, date=dt.date(2025, 9, 27), kind="festival", actor=admin)
    assert "kind" in refused.value.fields
    do_remove_calendar_day(calendar=calendar, date=dt.date(2025, 9, 22), actor=admin)
    assert clock_for_branch(branch=world.branch_a).is_working_time(monday_10)
    with pytest.raises(NotFound):
        do_remove_calendar_day(calendar=calendar, date=dt.date(2025, 9, 22), actor=admin)
    actions = list(AuditEvent.objects.filter(action__startswith="calendar.").values_list("action", flat=True))
    assert actions == ["calendar.day_added", "calendar.day_removed"]


@pytest.mark.django_db(transaction=True)
def test_schedule_cache_is_reused_and_invalidated_on_change() -> None:
    calendar = make_calendar("cache-test")
    first = CalendarSchedule.load(calendar.pk)
    assert CalendarSchedule.load(calendar.pk) is first
    do_add_calendar_day(calendar=calendar, date=dt.date(2025, 9, 22), kind="holiday", actor=None)
    second = CalendarSchedule.load(calendar.pk)
    assert second is not first
    assert second.windows_on(dt.date(2025, 9, 22)) == ()
    assert CalendarSchedule.load(calendar.pk) is second


@pytest.mark.django_db(transaction=True)
def test_another_process_change_is_seen_after_the_recheck_interval(monkeypatch) -> None:
    calendar = make_calendar("cross-process")
    first = CalendarSchedule.load(calendar.pk)
    # Another process committed a change: simulate its write (bypassing our signals) and its bump.
    BusinessCalendar.objects.filter(pk=calendar.pk).update(always_open=True)
    assert CalendarSchedule.load(calendar.pk) is first  # within the recheck interval
    monkeypatch.setattr(calendars, "RECHECK_SECONDS", 0.0)
    assert CalendarSchedule.load(calendar.pk) is first  # nobody announced a change
    cache.incr("bastion:calendars:generation")
    assert CalendarSchedule.load(calendar.pk).always_open
