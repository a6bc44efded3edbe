"""Reads of the monitoring indicators (002 5.1-5.3): computing a day's values, and the console's queries.

Computation is two SQL statements per granularity, whatever the number of payments: the database
groups the day's payments per (hour, channel, branch, account) and then per scope, ranking accounts
with a window function for the top-10 shares; Python only turns the few resulting rows per scope
and period into indicator values. The formulas are documented in docs/guide/*/risk-indicators.md.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, DecimalField, F, QuerySet, Sum
from django.db.models.functions import ExtractHour, TruncDate
from django.utils import timezone

from bastion.platform.errors import NotFound
from bastion.platform.scoping import Principal, get_scoped_object, scoped
from bastion.risk.choices import Granularity, Indicator, IndicatorScope, RiskLevel, ThresholdScope
from bastion.risk.models import (
    Decision,
    IndicatorThreshold,
    IndicatorValue,
    IndicatorWarning,
    StoredPayment,
)

TOP_N = 10
TRAILING_DAYS = 7
HHI_SCALE = Decimal(10_000)
SIX_PLACES = Decimal("0.000001")
MONEY_PLACES = Decimal("0.0001")
SCOPES = (IndicatorScope.CHANNEL, IndicatorScope.BRANCH, IndicatorScope.INSTITUTION)


@dataclass(frozen=True)
class Computed:
    """One indicator value as computed, before it is stored."""

    granularity: str
    period_start: dt.datetime
    scope: str
    scope_key: str
    indicator: str
    value: Decimal

    @property
    def key(self) -> tuple[str, dt.datetime, str, str, str]:
        return (self.granularity, self.period_start, self.scope, self.scope_key, self.indicator)

    @property
    def channel(self) -> str:
        return self.scope_key if self.scope == IndicatorScope.CHANNEL else ""

    @property
    def branch_id(self) -> int | None:
        return int(self.scope_key) if self.scope == IndicatorScope.BRANCH else None


def bank_zone() -> dt.tzinfo:
    """Periods are days and hours of the bank's time zone (settings.TIME_ZONE), whoever asks."""
    return timezone.get_default_timezone()


def day_window(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The start and end of ``day`` in the bank's time zone, as aware datetimes."""
    zone = bank_zone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start, end


def period_end(granularity: str, start: dt.datetime) -> dt.datetime:
    if granularity == Granularity.HOUR:
        return start + dt.timedelta(hours=1)
    local = start.astimezone(bank_zone())
    return day_window(local.date())[1]


def _dec(value: Any) -> Decimal:
    # SQLite hands sums back as floats, PostgreSQL as exact numerics.
    if value is None:
        return Decimal(0)
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _q(value: Decimal, places: Decimal = SIX_PLACES) -> Decimal:
    return value.quantize(places, rounding=ROUND_HALF_UP)


# --- computing one day ------------------------------------------------------------------------------
def _grouped_payments(start: dt.datetime, end: dt.datetime, party: str) -> tuple[str, tuple[Any, ...]]:
    """SQL of the day's payments grouped per (hour, channel, branch, account); the ORM writes the
    backend's own time-zone arithmetic for the hour."""
    queryset = StoredPayment.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
    if party == "payee_account":
        queryset = queryset.exclude(payee_account="")
    grouped = (
        queryset.annotate(hour=ExtractHour("occurred_at", tzinfo=bank_zone()), party=F(party))
        .values("hour", "channel", "branch_id", "party")
        .annotate(
            n=Count("pk"),
            s=Sum("amount"),
            ss=Sum(F("amount") * F("amount"), output_field=DecimalField(max_digits=40, decimal_places=8)),
        )
        .order_by()
    )
    sql, params = grouped.query.get_compiler(using=grouped.db).as_sql()
    return sql, tuple(params)


def _scope_select(scope: str, hourly: bool) -> str:
    """Per scope and period: totals, the busiest account, the top-N share and the sum of squares."""
    period = "hour" if hourly else "0"
    key = {"channel": "channel", "branch": "CAST(branch_id AS VARCHAR(20))", "institution": "''"}[scope]
    where = "WHERE branch_id IS NOT NULL" if scope == "branch" else ""
    group = [column for column in (period, key) if column not in ("0", "''")] + ["party"]
    # Only fixed identifiers from this module are interpolated; every value travels as a parameter.
    return f"""
        SELECT '{scope}' AS scope, p, k, SUM(n) AS n, COUNT(*) AS accounts, SUM(s) AS s, SUM(ss) AS ss,
               MAX(n) AS max_n, SUM(CASE WHEN rk <= {TOP_N} THEN s ELSE 0 END) AS top_s, SUM(s * s) AS s2
        FROM (
            SELECT p, k, n, s, ss, ROW_NUMBER() OVER (PARTITION BY p, k ORDER BY s DESC, party) AS rk
            FROM (
                SELECT {period} AS p, {key} AS k, party, SUM(n) AS n, SUM(s) AS s, SUM(ss) AS ss
                FROM base {where} GROUP BY {", ".join(group)}
            ) accounts
        ) ranked
        GROUP BY p, k"""  # noqa: S608


def _account_rows(start: dt.datetime, end: dt.datetime, party: str, hourly: bool) -> list[tuple[Any, ...]]:
    inner, params = _grouped_payments(start, end, party)
    sql = f"WITH base AS ({inner})" + " UNION ALL ".join(_scope_select(scope, hourly) for scope in SCOPES)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _period(start: dt.datetime, granularity: str, hour: Any) -> dt.datetime:
    if granularity == Granularity.DAY:
        return start
    local = start.astimezone(bank_zone())
    return dt.datetime.combine(local.date(), dt.time(int(hour)), tzinfo=bank_zone())


def _volume_values(
    granularity: str, period: dt.datetime, scope: str, key: str, row: tuple[Any, ...]
) -> Iterator[Computed]:
    count, accounts, amount, squares = int(row[3]), int(row[4]), _dec(row[5]), _dec(row[6])
    busiest, top, square_sums = int(row[7]), _dec(row[8]), _dec(row[9])

    def value(indicator: str, number: Decimal) -> Computed:
        return Computed(granularity, period, scope, key, indicator, number)

    yield value(Indicator.VOLUME_COUNT, Decimal(count))
    yield value(Indicator.VOLUME_AMOUNT, _q(amount, MONEY_PLACES))
    yield value(Indicator.FREQUENCY_AVG, _q(Decimal(count) / Decimal(accounts)))
    yield value(Indicator.FREQUENCY_MAX, Decimal(busiest))
    if amount > 0:
        mean = amount / count
        variance = max(squares / count - mean * mean, Decimal(0))
        yield value(Indicator.AMOUNT_CV, _q(variance.sqrt() / mean))
        yield value(Indicator.TOP10_PAYER_SHARE, _q(top / amount * 100))
        yield value(Indicator.PAYER_HHI, _q(square_sums / (amount * amount) * HHI_SCALE))


def _level_counts(
    start: dt.datetime, end: dt.datetime, granularity: str
) -> dict[tuple[dt.datetime, str, str], dict[str, int]]:
    rows = (
        Decision.objects.filter(payment__occurred_at__gte=start, payment__occurred_at__lt=end)
        .annotate(hour=ExtractHour("payment__occurred_at", tzinfo=bank_zone()))
        .values("hour", "payment__channel", "payment__branch_id", "level")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts: dict[tuple[dt.datetime, str, str], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(RiskLevel.values, 0)
    )
    for row in rows:
        period = _period(start, granularity, row["hour"])
        branch = row["payment__branch_id"]
        keys = [(IndicatorScope.CHANNEL, row["payment__channel"]), (IndicatorScope.INSTITUTION, "")]
        if branch is not None:
            keys.append((IndicatorScope.BRANCH, str(branch)))
        for scope, key in keys:
            counts[(period, scope, key)][row["level"]] += row["n"]
    return counts


def _baselines(start: dt.datetime, granularity: str) -> dict[tuple[str, str, int], Decimal]:
    """Mean amount of the same period (the day, or the same hour) on the previous 7 days that had
    payments, per scope; from the stored values, so days are computed in date order."""
    rows = IndicatorValue.objects.filter(
        indicator=Indicator.VOLUME_AMOUNT,
        granularity=granularity,
        period_start__gte=start - dt.timedelta(days=TRAILING_DAYS),
        period_start__lt=start,
    ).values_list("scope", "scope_key", "period_start", "value")
    sums: dict[tuple[str, str, int], list[Decimal]] = defaultdict(list)
    for scope, key, period, value in rows:
        sums[(scope, key, period.astimezone(bank_zone()).hour)].append(value)
    return {key: sum(values, Decimal(0)) / len(values) for key, values in sums.items()}


def compute_day(day: dt.date) -> list[Computed]:
    """Every indicator value of ``day`` (bank time zone), daily and hourly, for every scope with payments."""
    start, end = day_window(day)
    computed: list[Computed] = []
    for granularity in Granularity.values:
        hourly = granularity == Granularity.HOUR
        totals: dict[tuple[dt.datetime, str, str], Decimal] = {}
        for row in _account_rows(start, end, "payer_account", hourly):
            scope, key = row[0], str(row[2])
            period = _period(start, granularity, row[1])
            totals[(period, scope, key)] = _dec(row[5])
            computed.extend(_volume_values(granularity, period, scope, key, row))
        # Payments without a payee (cash, withdrawals) count in the total but belong to no payee.
        payee_top = {
            (_period(start, granularity, row[1]), row[0], str(row[2])): _dec(row[8])
            for row in _account_rows(start, end, "payee_account", hourly)
        }
        for (period, scope, key), amount in totals.items():
            if amount > 0:
                share = _q(payee_top.get((period, scope, key), Decimal(0)) / amount * 100)
                computed.append(Computed(granularity, period, scope, key, Indicator.TOP10_PAYEE_SHARE, share))
        baselines = _baselines(start, granularity)
        for (period, scope, key), amount in totals.items():
            baseline = baselines.get((scope, key, period.astimezone(bank_zone()).hour))
            if baseline:
                change = _q((amount - baseline) / baseline * 100)
                computed.append(Computed(granularity, period, scope, key, Indicator.AMOUNT_CHANGE, change))
        levels = Indicator.level_codes()
        for (period, scope, key), counts in _level_counts(start, end, granularity).items():
            for level, n in counts.items():
                computed.append(Computed(granularity, period, scope, key, levels[level], Decimal(n)))
    return computed


def days_between(start: dt.date, end: dt.date) -> list[dt.date]:
    """The days from ``start`` to ``end`` inclusive, in date order (the 7-day baselines need it)."""
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def payment_dates() -> list[dt.date]:
    """Every day (bank time zone) with at least one stored payment, in date order."""
    days = (
        StoredPayment.objects.annotate(day=TruncDate("occurred_at", tzinfo=bank_zone()))
        .values_list("day", flat=True)
        .distinct()
        .order_by("day")
    )
    return list(days)


def payment_days() -> tuple[dt.date, dt.date] | None:
    """The first and last day (bank time zone) with a stored payment, or None."""
    first = StoredPayment.objects.order_by("occurred_at").values_list("occurred_at", flat=True).first()
    last = StoredPayment.objects.order_by("-occurred_at").values_list("occurred_at", flat=True).first()
    if first is None or last is None:
        return None
    zone = bank_zone()
    return first.astimezone(zone).date(), last.astimezone(zone).date()


# --- thresholds ------------------------------------------------------------------------------------
def values_crossing(
    threshold: IndicatorThreshold, *, start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> QuerySet[IndicatorValue]:
    """Stored values in [start, end) that cross ``threshold``; ``<=`` looks at finished periods only."""
    found = IndicatorValue.objects.filter(
        indicator=threshold.indicator,
        granularity=threshold.granularity,
        period_start__gte=start,
        period_start__lt=end,
    )
    if threshold.scope != ThresholdScope.ANY:
        found = found.filter(scope=threshold.scope)
    if threshold.scope == ThresholdScope.CHANNEL and threshold.channel:
        found = found.filter(scope_key=threshold.channel)
    if threshold.scope == ThresholdScope.BRANCH and threshold.branch_id:
        found = found.filter(branch_id=threshold.branch_id)
    if threshold.comparison == "gte":
        return found.filter(value__gte=threshold.value)
    if threshold.granularity == Granularity.HOUR:
        finished_before = now - dt.timedelta(hours=1)
    else:
        finished_before = now - dt.timedelta(days=1)
    # A day is finished when its end (start + 1 day in the bank zone, no DST in Asia/Shanghai) has passed.
    return found.filter(value__lte=threshold.value, period_start__lte=finished_before)


def list_thresholds(*, active: bool | None = None) -> QuerySet[IndicatorThreshold]:
    """Thresholds are institution-wide configuration; each names its responsible person."""
    found = IndicatorThreshold.objects.select_related("responsible", "branch")
    if active is not None:
        found = found.filter(active=active)
    return found


def get_threshold(*, threshold_id: int) -> IndicatorThreshold:
    threshold = list_thresholds().filter(pk=threshold_id).first()
    if threshold is None:
        raise NotFound("indicator threshold not found")
    return threshold


def thresholds_for(*, indicator: str, granularity: str) -> list[IndicatorThreshold]:
    return list(list_thresholds(active=True).filter(indicator=indicator, granularity=granularity))


# --- the console and the API -----------------------------------------------------------------------
@dataclass(frozen=True)
class IndicatorFilter:
    """What the reader narrowed the indicators to; ``scope`` empty: the reader's natural scope."""

    indicator: str = ""
    granularity: str = Granularity.DAY
    scope: str = ""
    channel: str = ""
    branch_id: int | None = None
    start: dt.date | None = None
    end: dt.date | None = None


def resolve_scope(principal: Principal, filters: IndicatorFilter) -> tuple[str, str]:
    """The scope and key the page shows: the chosen branch or channel, else the institution for
    institution-wide readers and their own branches for everyone else ("" key: every branch)."""
    if filters.branch_id is not None:
        return IndicatorScope.BRANCH, str(filters.branch_id)
    if filters.channel:
        return IndicatorScope.CHANNEL, filters.channel
    if filters.scope:
        return filters.scope, ""
    if principal.branch_scope().all_branches:
        return IndicatorScope.INSTITUTION, ""
    return IndicatorScope.BRANCH, ""


def list_values(*, principal: Principal, filters: IndicatorFilter) -> QuerySet[IndicatorValue]:
    """Stored values in the principal's branch scope (channel and institution rows: institution-wide
    readers only), narrowed by ``filters``, newest period first."""
    found = scoped(IndicatorValue.objects.select_related("branch"), principal).filter(
        granularity=filters.granularity
    )
    scope, key = resolve_scope(principal, filters)
    found = found.filter(scope=scope)
    if key:
        found = found.filter(scope_key=key)
    if filters.indicator:
        found = found.filter(indicator=filters.indicator)
    zone = bank_zone()
    if filters.start is not None:
        found = found.filter(period_start__gte=dt.datetime.combine(filters.start, dt.time.min, tzinfo=zone))
    if filters.end is not None:
        found = found.filter(period_start__lt=day_window(filters.end)[1])
    return found.order_by("-period_start", "indicator", "scope_key")


def find_values(
    *,
    principal: Principal,
    indicator: str = "",
    granularity: str = Granularity.DAY,
    scope: str = "",
    channel: str = "",
    branch_id: int | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> QuerySet[IndicatorValue]:
    """Stored values in the principal's branch scope, filtered literally (the API's reading)."""
    found = scoped(IndicatorValue.objects.all(), principal).filter(granularity=granularity)
    if indicator:
        found = found.filter(indicator=indicator)
    if scope:
        found = found.filter(scope=scope)
    if channel:
        found = found.filter(scope=IndicatorScope.CHANNEL, scope_key=channel)
    if branch_id is not None:
        found = found.filter(branch_id=branch_id)
    if start is not None:
        found = found.filter(period_start__gte=day_window(start)[0])
    if end is not None:
        found = found.filter(period_start__lt=day_window(end)[1])
    return found.order_by("-period_start", "indicator", "scope", "scope_key")


@dataclass(frozen=True)
class SeriesPoints:
    """One line of a chart: the scope key and its points, oldest first."""

    scope: str
    scope_key: str
    points: list[tuple[dt.datetime, Decimal]]


def series_of(
    *, principal: Principal, filters: IndicatorFilter, indicators: Iterable[str], limit: int = 8
) -> dict[str, list[SeriesPoints]]:
    """Per indicator, one series per scope key (at most ``limit`` keys), oldest first."""
    codes = list(indicators)
    rows = (
        list_values(principal=principal, filters=IndicatorFilter(**{**filters.__dict__, "indicator": ""}))
        .filter(indicator__in=codes)
        .order_by("period_start")
        .values_list("indicator", "scope", "scope_key", "period_start", "value")
    )
    grouped: dict[str, dict[tuple[str, str], list[tuple[dt.datetime, Decimal]]]] = {c: {} for c in codes}
    for indicator, scope, key, period, value in rows:
        lines = grouped[indicator]
        if (scope, key) in lines or len(lines) < limit:
            lines.setdefault((scope, key), []).append((period.astimezone(bank_zone()), value))
    return {
        code: [SeriesPoints(scope, key, points) for (scope, key), points in sorted(lines.items())]
        for code, lines in grouped.items()
    }


def list_warnings(
    *, principal: Principal, open_only: bool = False, indicator: str = ""
) -> QuerySet[IndicatorWarning]:
    """Warnings in the principal's branch scope, newest first."""
    found = scoped(
        IndicatorWarning.objects.select_related("threshold", "branch", "responsible", "acknowledged_by"),
        principal,
    )
    if open_only:
        found = found.filter(acknowledged_at__isnull=True)
    if indicator:
        found = found.filter(indicator=indicator)
    return found


def get_warning(*, principal: Principal, warning_id: int) -> IndicatorWarning:
    return get_scoped_object(
        IndicatorWarning.objects.select_related("threshold", "branch"), principal, pk=warning_id
    )
