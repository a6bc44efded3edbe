"""Reads behind the decision console: the filtered feed and the risk-level distribution over time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from bastion.platform.scoping import Principal
from bastion.risk.choices import RiskLevel
from bastion.risk.models import Decision
from bastion.risk.services.decisions import decisions_for


@dataclass(frozen=True)
class DecisionFeedFilter:
    """What the analyst narrowed the feed to; empty fields do not filter."""

    level: str = ""
    action: str = ""
    channel: str = ""
    branch_id: int | None = None
    q: str = ""


def list_feed(*, principal: Principal, filters: DecisionFeedFilter) -> QuerySet[Decision]:
    """Decisions in the principal's scope, newest first, narrowed by ``filters``."""
    queryset = decisions_for(principal)
    if filters.level:
        queryset = queryset.filter(level=filters.level)
    if filters.action:
        queryset = queryset.filter(action=filters.action)
    if filters.channel:
        queryset = queryset.filter(payment__channel=filters.channel)
    if filters.branch_id is not None:
        queryset = queryset.filter(payment__branch_id=filters.branch_id)
    if filters.q:
        term = filters.q.strip()
        queryset = queryset.filter(
            Q(payment__payment_id=term) | Q(payment__payer_account=term) | Q(payment__payee_account=term)
        )
    return queryset


@dataclass(frozen=True)
class LevelDay:
    """How many decisions of each level were made on one day (in the current time zone)."""

    day: dt.date
    counts: dict[str, int]


def level_distribution(*, principal: Principal, days: int, now: dt.datetime | None = None) -> list[LevelDay]:
    """Decisions per risk level for each of the last ``days`` days, oldest first, zero-filled."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    first = today - dt.timedelta(days=days - 1)
    since = timezone.make_aware(dt.datetime.combine(first, dt.time.min))
    rows = (
        decisions_for(principal)
        .filter(decided_at__gte=since)
        .annotate(day=TruncDate("decided_at", tzinfo=timezone.get_current_timezone()))
        .values("day", "level")
        .annotate(n=Count("pk"))
        .order_by()
    )
    table: dict[dt.date, dict[str, int]] = {
        first + dt.timedelta(days=i): dict.fromkeys(RiskLevel.values, 0) for i in range(days)
    }
    for row in rows:
        if row["day"] in table:
            table[row["day"]][row["level"]] = row["n"]
    return [LevelDay(day, counts) for day, counts in table.items()]
