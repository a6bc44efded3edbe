"""Reliability figures (R2.4): failure rate, MTBF, MTTR, availability, age; the replacement plan.

Read-only. A *fault* is an alarm that stood for the device itself: suppressed alarms (their
upstream link spoke for them) and warnings do not count. *Down time* is the union of the intervals
of service-affecting faults (critical or major), so two overlapping faults are not counted twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from bastion.devices.choices import AlarmSeverity, AlarmState, LifecycleState
from bastion.devices.models import Alarm, Device
from bastion.platform.scoping import scoped

SERVICE_AFFECTING = (AlarmSeverity.CRITICAL, AlarmSeverity.MAJOR)
COUNTED_SEVERITIES = (AlarmSeverity.CRITICAL, AlarmSeverity.MAJOR, AlarmSeverity.MINOR)
COUNTED = Q(severity__in=COUNTED_SEVERITIES) & ~Q(state=AlarmState.SUPPRESSED)
# Self-service devices are typically written off after eight years (common bank practice).
EXPECTED_LIFE_YEARS = 8.0
# A device failing monthly is a strong replacement candidate.
HIGH_FAILURES_PER_YEAR = 12.0


@dataclass(frozen=True)
class Figures:
    """Reliability of one device over a period."""

    period_days: int
    faults: int
    downtime_hours: float
    mtbf_hours: float | None
    mttr_hours: float | None
    availability: float  # 0..1
    failures_per_year: float
    age_years: float | None


def _union_seconds(intervals: list[tuple[datetime, datetime]]) -> float:
    total, current_start, current_end = 0.0, None, None
    for start, end in sorted(intervals):
        if current_end is None or start > current_end:
            if current_end is not None and current_start is not None:
                total += (current_end - current_start).total_seconds()
            current_start, current_end = start, end
        else:
            current_end = max(current_end, end)
    if current_end is not None and current_start is not None:
        total += (current_end - current_start).total_seconds()
    return total


def age_years(device: Device, *, today: date | None = None) -> float | None:
    if device.install_date is None:
        return None
    return round(((today or timezone.localdate()) - device.install_date).days / 365.25, 1)


def figures(device: Device, *, days: int = 365, now: datetime | None = None) -> Figures:
    """Failure rate, MTBF, MTTR and availability over the last ``days`` (or since installation)."""
    now = now or timezone.now()
    start = now - timedelta(days=days)
    if device.install_date is not None:
        installed = datetime.combine(device.install_date, datetime.min.time(), tzinfo=now.tzinfo)
        start = max(start, installed)
    period = max((now - start).total_seconds(), 1.0)
    faults = list(
        Alarm.objects.filter(COUNTED, device=device)
        .filter(Q(cleared_at__isnull=True) | Q(cleared_at__gte=start), raised_at__lte=now)
        .values_list("raised_at", "cleared_at", "severity")
    )
    down = [
        (max(raised, start), min(cleared or now, now))
        for raised, cleared, severity in faults
        if severity in SERVICE_AFFECTING
    ]
    downtime = _union_seconds([(a, b) for a, b in down if b > a])
    repaired = [(raised, cleared) for raised, cleared, _ in faults if cleared is not None]
    repair_seconds = [(cleared - raised).total_seconds() for raised, cleared in repaired]
    count = len(faults)
    return Figures(
        period_days=round(period / 86400),
        faults=count,
        downtime_hours=round(downtime / 3600, 1),
        mtbf_hours=round((period - downtime) / 3600 / count, 1) if count else None,
        mttr_hours=round(sum(repair_seconds) / 3600 / len(repair_seconds), 1) if repair_seconds else None,
        availability=round(1 - downtime / period, 4),
        failures_per_year=round(count * 365.25 * 86400 / period, 1),
        age_years=age_years(device),
    )


@dataclass(frozen=True)
class Candidate:
    """A device on the replacement plan, with the parts of its score."""

    device: Device
    score: float
    age_years: float | None
    failures_per_year: float
    end_of_support: date | None
    reasons: list[str]


def _support_factor(end_of_support: date | None, today: date) -> float:
    if end_of_support is None:
        return 0.0
    if end_of_support <= today:
        return 1.0
    return 0.5 if (end_of_support - today).days <= 365 else 0.0


def replacement_plan(*, principal: Any, limit: int = 100, today: date | None = None) -> list[Candidate]:
    """Devices in service ranked for replacement: 40 % age, 40 % failure rate, 20 % end of support."""
    today = today or timezone.localdate()
    since = timezone.now() - timedelta(days=365)
    devices = (
        scoped(Device.objects.select_related("branch"), principal)
        .filter(lifecycle_state__in=(LifecycleState.IN_SERVICE, LifecycleState.MAINTENANCE))
        .annotate(
            faults=Count(
                "alarms",
                filter=Q(alarms__severity__in=COUNTED_SEVERITIES, alarms__raised_at__gte=since)
                & ~Q(alarms__state=AlarmState.SUPPRESSED),
            )
        )
    )
    candidates = []
    for device in devices:
        age = age_years(device, today=today)
        rate = float(getattr(device, "faults", 0))
        support = _support_factor(device.end_of_support, today)
        score = (
            0.4 * min((age or 0) / EXPECTED_LIFE_YEARS, 1.5)
            + 0.4 * min(rate / HIGH_FAILURES_PER_YEAR, 1.5)
            + 0.2 * support
        )
        reasons = []
        if age is not None and age >= EXPECTED_LIFE_YEARS:
            reasons.append("age")
        if rate >= HIGH_FAILURES_PER_YEAR / 2:
            reasons.append("failures")
        if support == 1.0:
            reasons.append("end_of_support")
        elif support:
            reasons.append("support_ending")
        candidates.append(Candidate(device, round(score, 3), age, rate, device.end_of_support, reasons))
    candidates.sort(key=lambda c: (-c.score, c.device.asset_tag))
    return candidates[:limit]
