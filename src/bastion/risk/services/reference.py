"""Reads of channel risk assessments and counterparty ratings, and the figures an assessment uses."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from bastion.engine.schema import CHANNELS
from bastion.platform.errors import NotFound
from bastion.risk.choices import CHANNEL_POINTS, GRADE_POINTS
from bastion.risk.models import ChannelAssessment, CounterpartyRating, StoredPayment


def current_assessments() -> dict[str, ChannelAssessment]:
    """The assessment in force for each channel that has one (the newest)."""
    newest: dict[str, ChannelAssessment] = {}
    for row in ChannelAssessment.objects.select_related("assessed_by").order_by(
        "channel", "-assessed_at", "-pk"
    ):
        newest.setdefault(row.channel, row)
    return newest


def channel_overview(today: date) -> list[dict[str, Any]]:
    """Every channel with its assessment in force (or none) and whether re-assessment is due."""
    current = current_assessments()
    return [
        {"channel": channel, "assessment": current.get(channel),
         "due": channel not in current or current[channel].next_review <= today}
        for channel in CHANNELS
    ]  # fmt: skip


def assessments_of(channel: str) -> QuerySet[ChannelAssessment]:
    if channel not in CHANNELS:
        raise NotFound(_("Unknown channel."))
    return ChannelAssessment.objects.filter(channel=channel).select_related("assessed_by")


def list_counterparties(*, kind: str | None = None, search: str = "") -> QuerySet[CounterpartyRating]:
    rows = CounterpartyRating.objects.select_related("updated_by")
    if kind:
        rows = rows.filter(kind=kind)
    if search.strip():
        rows = rows.filter(Q(identifier__icontains=search.strip()) | Q(name__icontains=search.strip()))
    return rows


def get_counterparty(*, rating_id: int) -> CounterpartyRating:
    found = CounterpartyRating.objects.filter(pk=rating_id).first()
    if found is None:
        raise NotFound(_("Counterparty rating not found."))
    return found


def reference_revision() -> tuple[Any, ...]:
    """Changes whenever an assessment or a rating is added or changed (scorers poll it)."""
    a = ChannelAssessment.objects.aggregate(n=Count("pk"), at=Max("assessed_at"))
    r = CounterpartyRating.objects.aggregate(n=Count("pk"), at=Max("updated_at"))
    return (a["n"], a["at"], r["n"], r["at"])


def reference_tables() -> tuple[dict[str, tuple[str, int]], dict[str, tuple[str, str, int]],
                                dict[str, tuple[str, str, int]]]:  # fmt: skip
    """The model's tables: channel -> (rating, points); identifier -> (name, grade, points)."""
    channels = {c: (a.rating, CHANNEL_POINTS[a.rating]) for c, a in current_assessments().items()}
    institutions: dict[str, tuple[str, str, int]] = {}
    merchants: dict[str, tuple[str, str, int]] = {}
    for row in CounterpartyRating.objects.all():
        target = institutions if row.kind == "institution" else merchants
        target[row.identifier] = (row.name, row.grade, GRADE_POINTS[row.grade])
    return channels, institutions, merchants


def channel_figures(*, channel: str, start: date, end: date) -> dict[str, Any]:
    """Payments, confirmed fraud, fraud rate (basis points) and losses of a channel over [start, end].

    Losses are the amounts of the period's confirmed-fraud payments in CNY (other currencies are
    counted in payments and fraud, not in the sum).
    """
    zone = ZoneInfo(settings.TIME_ZONE)
    low = datetime.combine(start, time(), zone)
    high = datetime.combine(end + timedelta(days=1), time(), zone)
    rows = StoredPayment.objects.filter(channel=channel, occurred_at__gte=low, occurred_at__lt=high)
    found = rows.aggregate(
        payments=Count("pk"),
        fraud=Count("pk", filter=Q(confirmed_fraud=True)),
        losses=Sum("amount", filter=Q(confirmed_fraud=True, currency="CNY")),
    )
    payments, fraud = int(found["payments"] or 0), int(found["fraud"] or 0)
    rate = (Decimal(fraud) * 10_000 / payments).quantize(Decimal("0.01")) if payments else Decimal("0.00")
    losses = Decimal(found["losses"] or 0).quantize(Decimal("0.01"))
    return {"payments": payments, "confirmed_fraud": fraud, "fraud_rate_bp": rate, "losses": losses}
