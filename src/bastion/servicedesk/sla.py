"""SLA clock arithmetic (R3.4), free of the database so it can be tested and benchmarked alone.

A clock counts working time on the branch calendar (or every instant, 24x7, for self-service
devices) from the moment the order opened, minus the time it spent waiting on a third party or the
customer. Pauses are rebuilt from the status history, so a corrected history gives corrected due
times. The semantics are those of :mod:`bastion.platform.calendars`; :class:`WorkingTimeIndex` is a
precomputed form of the same calendar that answers in microseconds (differentially tested against
the platform functions).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from bastion.platform.calendars import BranchClock, CalendarSchedule

UTC = dt.UTC
ZERO = dt.timedelta(0)

Pause = tuple[dt.datetime, dt.datetime | None]


class WorkingClock(Protocol):
    """What the due-time arithmetic needs from a clock."""

    def add(self, start: dt.datetime, duration: dt.timedelta) -> dt.datetime: ...

    def between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta: ...

    def add_many(self, start: dt.datetime, durations: Sequence[dt.timedelta]) -> list[dt.datetime]: ...


class AlwaysOpen:
    """24x7: every instant counts (self-service devices, and 'always open' calendars)."""

    def add(self, start: dt.datetime, duration: dt.timedelta) -> dt.datetime:
        return start + duration

    def between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        return end - start

    def add_many(self, start: dt.datetime, durations: Sequence[dt.timedelta]) -> list[dt.datetime]:
        return [start + d for d in durations]


ALWAYS_OPEN = AlwaysOpen()


class CalendarClock:
    """A branch clock through the platform functions (the reference implementation)."""

    def __init__(self, clock: BranchClock) -> None:
        self.clock = clock

    def add(self, start: dt.datetime, duration: dt.timedelta) -> dt.datetime:
        return self.clock.add_working_minutes(start, duration / dt.timedelta(minutes=1))

    def between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        return dt.timedelta(minutes=self.clock.working_minutes_between(start, end))

    def add_many(self, start: dt.datetime, durations: Sequence[dt.timedelta]) -> list[dt.datetime]:
        return [self.add(start, d) for d in durations]


class WorkingTimeIndex:
    """The working intervals of one calendar in one zone over a span of days, with running totals.

    ``add`` and ``between`` are two binary searches instead of a walk over days, which is what lets
    due times be computed for a million orders at once. Outside the indexed span it falls back to the
    platform functions, so it is never wrong, only slower.
    """

    def __init__(self, clock: BranchClock, *, first_day: dt.date, last_day: dt.date) -> None:
        self.clock = clock
        self.fallback = CalendarClock(clock)
        starts: list[float] = []
        ends: list[float] = []
        cumulative: list[float] = []  # working seconds before each interval
        total = 0.0
        previous_end: float | None = None
        day = first_day - dt.timedelta(days=1)
        while day <= last_day + dt.timedelta(days=1):
            for start_s, end_s in clock.schedule.windows_on(day):
                begin, finish = _instant(day, start_s, clock.tz), _instant(day, end_s, clock.tz)
                if previous_end is not None and begin < previous_end:
                    begin = previous_end  # a DST gap can fold two windows onto each other
                if finish > begin:
                    starts.append(begin)
                    ends.append(finish)
                    cumulative.append(total)
                    total += finish - begin
                    previous_end = finish
            day += dt.timedelta(days=1)
        self.starts, self.ends, self.cumulative = starts, ends, cumulative
        # Trust only the inner span: the edge days only complete intervals that cross midnight.
        self.low = _instant(first_day, 0, clock.tz)
        self.high = _instant(last_day, 0, clock.tz)

    def _worked_until(self, ts: float) -> float:
        """Working seconds from the index origin up to the instant ``ts``."""
        i = bisect.bisect_right(self.starts, ts) - 1
        if i < 0:
            return 0.0
        return self.cumulative[i] + min(ts, self.ends[i]) - self.starts[i]

    def add(self, start: dt.datetime, duration: dt.timedelta) -> dt.datetime:
        if self.clock.schedule.always_open or not duration:
            return start + duration
        ts = start.timestamp()
        if not self.low <= ts <= self.high:
            return self.fallback.add(start, duration)
        target = self._worked_until(ts) + duration.total_seconds()
        i = bisect.bisect_left(self.cumulative, target) - 1
        if i < 0 or i + 1 >= len(self.cumulative):
            return self.fallback.add(start, duration)
        instant = max(self.starts[i] + (target - self.cumulative[i]), ts)
        if instant > self.high:
            return self.fallback.add(start, duration)
        return _from_ts(instant)

    def add_many(self, start: dt.datetime, durations: Sequence[dt.timedelta]) -> list[dt.datetime]:
        """Several durations from one start: the start is located once (the batch fast path)."""
        ts = start.timestamp()
        if self.clock.schedule.always_open or not self.low <= ts <= self.high:
            return [self.add(start, d) for d in durations]
        base = self._worked_until(ts)
        cumulative, starts, last = self.cumulative, self.starts, len(self.cumulative) - 1
        result = []
        for duration in durations:
            if not duration:
                result.append(start)
                continue
            target = base + duration.total_seconds()
            i = bisect.bisect_left(cumulative, target) - 1
            instant = starts[i] + (target - cumulative[i]) if 0 <= i < last else self.high + 1
            if instant > self.high:
                result.append(self.fallback.add(start, duration))
            else:
                result.append(_from_ts(max(instant, ts)))
        return result

    def between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        if self.clock.schedule.always_open:
            return end - start
        a, b = start.timestamp(), end.timestamp()
        if not (self.low <= min(a, b) and max(a, b) <= self.high):
            return self.fallback.between(start, end)
        return dt.timedelta(seconds=self._worked_until(b) - self._worked_until(a))


def _instant(day: dt.date, seconds: int, tz: dt.tzinfo) -> float:
    wall = dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=seconds)
    return wall.replace(tzinfo=tz).timestamp()


def _from_ts(ts: float) -> dt.datetime:
    # Round to the microsecond the platform functions work in.
    return dt.datetime.fromtimestamp(round(ts, 6), UTC)


def clock_for(clock: BranchClock | None, *, always_open: bool) -> WorkingClock:
    """The clock an order runs on: 24x7, or its branch calendar."""
    if always_open or clock is None or clock.schedule.always_open:
        return ALWAYS_OPEN
    return CalendarClock(clock)


# --- pauses and due times -------------------------------------------------------------------------


def pauses_from_history(changes: Iterable[tuple[dt.datetime, str]], paused: Iterable[str]) -> list[Pause]:
    """The waiting intervals in a status history of ``(at, new_status)``, oldest first.

    A pause runs from entering a waiting state until leaving the waiting states; an open pause has
    ``None`` as its end.
    """
    paused = frozenset(paused)
    result: list[Pause] = []
    started: dt.datetime | None = None
    for at, status in sorted(changes, key=lambda change: change[0]):
        if status in paused and started is None:
            started = at
        elif status not in paused and started is not None:
            result.append((started, at))
            started = None
    if started is not None:
        result.append((started, None))
    return result


def due_at(
    clock: WorkingClock, *, start: dt.datetime, target: dt.timedelta, pauses: Sequence[Pause]
) -> dt.datetime | None:
    """When ``target`` working time, not counting pauses, has elapsed since ``start``.

    None while the clock is paused before reaching its target: the due time is unknown until the
    order resumes.
    """
    cursor, remaining = start, target
    for pause_start, pause_end in pauses:
        if pause_end is not None and pause_end <= cursor:
            continue
        if pause_start > cursor:
            candidate = clock.add(cursor, remaining)
            if candidate <= pause_start:
                return candidate
            remaining -= clock.between(cursor, pause_start)
        if pause_end is None:
            return None
        cursor = max(cursor, pause_end)
    return clock.add(cursor, remaining)


def elapsed(
    clock: WorkingClock, *, start: dt.datetime, until: dt.datetime, pauses: Sequence[Pause]
) -> dt.timedelta:
    """Working time counted on a clock between ``start`` and ``until``, pauses excluded."""
    total = clock.between(start, until) if until > start else ZERO
    for pause_start, pause_end in pauses:
        begin = max(pause_start, start)
        finish = min(pause_end or until, until)
        if finish > begin:
            total -= clock.between(begin, finish)
    return total


@dataclass(frozen=True)
class Targets:
    """The targets an order is measured against (copied from its SLA policy)."""

    response: dt.timedelta
    resolution: dt.timedelta
    warn_share: Decimal
    response_warning: dt.timedelta = ZERO
    resolution_warning: dt.timedelta = ZERO

    @classmethod
    def of_minutes(cls, response: int, resolution: int, warn_share: Decimal | str) -> Targets:
        share = Decimal(warn_share)
        first, full = dt.timedelta(minutes=response), dt.timedelta(minutes=resolution)
        return cls(first, full, share, _share_of(first, share), _share_of(full, share))

    def warning(self, target: dt.timedelta) -> dt.timedelta:
        return _share_of(target, self.warn_share)


def _share_of(target: dt.timedelta, share: Decimal) -> dt.timedelta:
    # Whole seconds keep the warning instant stable across databases.
    return dt.timedelta(seconds=int(target.total_seconds() * float(share)))


@dataclass(frozen=True)
class DueTimes:
    """The four instants an order's SLA tasks fire at (None: not applicable or paused)."""

    response_warning: dt.datetime | None
    response_due: dt.datetime | None
    resolution_warning: dt.datetime | None
    resolution_due: dt.datetime | None


def compute_due_times(
    clock: WorkingClock, *, opened_at: dt.datetime, targets: Targets, pauses: Sequence[Pause]
) -> DueTimes:
    """The warning and due instants of both clocks of an order."""
    durations = (targets.response_warning, targets.response, targets.resolution_warning, targets.resolution)
    if not pauses:
        return DueTimes(*clock.add_many(opened_at, durations))
    return DueTimes(*(due_at(clock, start=opened_at, target=d, pauses=pauses) for d in durations))


def default_targets() -> Targets:
    """R3.4 defaults: first response within 30 minutes, resolution within 4 hours, warn at 75 %."""
    return Targets.of_minutes(30, 240, Decimal("0.75"))


def index_for(clock: BranchClock, *, around: dt.datetime, days: int = 120) -> WorkingTimeIndex:
    """An index spanning ``days`` either side of ``around`` (batch due-time computation)."""
    centre = around.astimezone(clock.tz).date()
    return WorkingTimeIndex(
        clock, first_day=centre - dt.timedelta(days=days), last_day=centre + dt.timedelta(days=days)
    )


__all__ = [
    "ALWAYS_OPEN",
    "CalendarClock",
    "CalendarSchedule",
    "DueTimes",
    "Targets",
    "WorkingTimeIndex",
    "clock_for",
    "compute_due_times",
    "due_at",
    "elapsed",
    "index_for",
    "pauses_from_history",
]
