"""The database-free SLA arithmetic: pauses from a history, due times, and the fast index that must
agree with the platform calendar functions to the microsecond (differential, property-based)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bastion.platform.calendars import BranchClock, CalendarSchedule
from bastion.servicedesk import sla

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")  # has daylight-saving changes inside the tested span
LUNCH = {d: [(dt.time(9), dt.time(12)), (dt.time(13), dt.time(17, 30))] for d in range(5)}
SCHEDULE = CalendarSchedule.build(
    weekly=LUNCH,
    holidays=[dt.date(2026, 3, 9), dt.date(2026, 10, 1), dt.date(2026, 10, 2)],
    makeup_days={dt.date(2026, 3, 8): 0, dt.date(2026, 9, 27): 4},
    code="test",
)
BASE = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def test_pauses_from_history():
    history = [
        (at(2026, 3, 2, 10), "acknowledged"),
        (at(2026, 3, 2, 11), "waiting_third_party"),
        (at(2026, 3, 2, 12), "waiting_customer"),  # still paused: one interval
        (at(2026, 3, 2, 14), "repair"),
        (at(2026, 3, 2, 15), "waiting_customer"),
    ]
    paused = {"waiting_third_party", "waiting_customer"}
    assert sla.pauses_from_history(history, paused) == [
        (at(2026, 3, 2, 11), at(2026, 3, 2, 14)),
        (at(2026, 3, 2, 15), None),
    ]


def test_due_at_with_a_pause_spanning_lunch():
    clock = sla.CalendarClock(BranchClock(SCHEDULE, SHANGHAI))
    pauses = [(at(2026, 3, 2, 11, 30), at(2026, 3, 2, 14, 0))]
    # 30 minutes before the pause, the remaining 210 from 14:00: 14:00-17:30 is exactly 210.
    due = sla.due_at(clock, start=at(2026, 3, 2, 11), target=dt.timedelta(minutes=240), pauses=pauses)
    assert due == at(2026, 3, 2, 17, 30)
    assert (
        sla.due_at(
            clock,
            start=at(2026, 3, 2, 11),
            target=dt.timedelta(minutes=240),
            pauses=[(at(2026, 3, 2, 11, 30), None)],
        )
        is None
    )
    # A target reached before the pause begins is not affected by it.
    assert sla.due_at(clock, start=at(2026, 3, 2, 11), target=dt.timedelta(minutes=20), pauses=pauses) == at(
        2026, 3, 2, 11, 20
    )


def test_elapsed_excludes_pauses():
    clock = sla.CalendarClock(BranchClock(SCHEDULE, SHANGHAI))
    pauses = [(at(2026, 3, 2, 11, 30), at(2026, 3, 2, 14, 0))]
    used = sla.elapsed(clock, start=at(2026, 3, 2, 11), until=at(2026, 3, 2, 15), pauses=pauses)
    assert used == dt.timedelta(minutes=90)


def test_targets_warning_share():
    targets = sla.Targets.of_minutes(30, 240, Decimal("0.75"))
    assert targets.warning(targets.response) == dt.timedelta(minutes=22, seconds=30)


instants = st.integers(min_value=0, max_value=200 * 86400 * 1_000_000).map(
    lambda us: BASE + dt.timedelta(microseconds=us)
)
durations = st.integers(min_value=0, max_value=3 * 24 * 60 * 60).map(lambda s: dt.timedelta(seconds=s))


@settings(max_examples=300, deadline=None)
@given(start=instants, duration=durations, zone=st.sampled_from([SHANGHAI, NEW_YORK]))
def test_index_add_agrees_with_platform(start, duration, zone):
    branch_clock = BranchClock(SCHEDULE, zone)
    index = sla.WorkingTimeIndex(branch_clock, first_day=dt.date(2026, 2, 1), last_day=dt.date(2026, 10, 31))
    reference = sla.CalendarClock(branch_clock)
    assert abs(index.add(start, duration) - reference.add(start, duration)) <= dt.timedelta(microseconds=1)


@settings(max_examples=300, deadline=None)
@given(a=instants, b=instants, zone=st.sampled_from([SHANGHAI, NEW_YORK]))
def test_index_between_agrees_with_platform(a, b, zone):
    branch_clock = BranchClock(SCHEDULE, zone)
    index = sla.WorkingTimeIndex(branch_clock, first_day=dt.date(2026, 2, 1), last_day=dt.date(2026, 10, 31))
    reference = sla.CalendarClock(branch_clock)
    assert abs(index.between(a, b) - reference.between(a, b)) <= dt.timedelta(microseconds=1)


def test_index_outside_its_span_falls_back():
    branch_clock = BranchClock(SCHEDULE, SHANGHAI)
    index = sla.WorkingTimeIndex(branch_clock, first_day=dt.date(2026, 3, 1), last_day=dt.date(2026, 3, 31))
    late = at(2026, 9, 30, 17, 15)  # before the National Day holidays, outside the index
    assert index.add(late, dt.timedelta(minutes=30)) == sla.CalendarClock(branch_clock).add(
        late, dt.timedelta(minutes=30)
    )
    assert index.add(late, dt.timedelta(minutes=30)) == at(2026, 10, 5, 9, 15)


@settings(max_examples=200, deadline=None)
@given(
    start=instants,
    durations=st.lists(durations, min_size=1, max_size=4),
    zone=st.sampled_from([SHANGHAI, NEW_YORK]),
)
def test_index_add_many_equals_add(start, durations, zone):
    index = sla.WorkingTimeIndex(
        BranchClock(SCHEDULE, zone), first_day=dt.date(2026, 2, 1), last_day=dt.date(2026, 10, 31)
    )
    assert index.add_many(start, durations) == [index.add(start, d) for d in durations]


def test_compute_due_times_with_and_without_pauses():
    clock = sla.WorkingTimeIndex(
        BranchClock(SCHEDULE, SHANGHAI), first_day=dt.date(2026, 2, 1), last_day=dt.date(2026, 4, 30)
    )
    targets = sla.default_targets()
    plain = sla.compute_due_times(clock, opened_at=at(2026, 3, 2, 11, 45), targets=targets, pauses=[])
    assert (plain.response_warning, plain.response_due) == (at(2026, 3, 2, 13, 7, 30), at(2026, 3, 2, 13, 15))
    assert (plain.resolution_warning, plain.resolution_due) == (
        at(2026, 3, 2, 15, 45),
        at(2026, 3, 2, 16, 45),
    )
    paused = sla.compute_due_times(
        clock,
        opened_at=at(2026, 3, 2, 11, 45),
        targets=targets,
        pauses=[(at(2026, 3, 2, 13, 0), at(2026, 3, 3, 9, 0))],
    )
    assert paused.response_due == at(2026, 3, 3, 9, 15)
