"""Reads of payment controls and the review queue."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from bastion.engine import EngineConfig
from bastion.engine.money import to_base_fen
from bastion.platform.errors import NotFound
from bastion.platform.scoping import Principal, get_scoped_object, scoped
from bastion.risk.choices import ReviewStatus
from bastion.risk.models import PaymentControl, PaymentReview, StoredPayment

COUNTED = ("allow", "review")
OPEN = (ReviewStatus.PENDING, ReviewStatus.PROPOSED)


def controls_revision() -> tuple[Any, ...]:
    """Changes whenever a control is added or edited (scorers poll it)."""
    found = PaymentControl.objects.aggregate(n=Count("pk"), at=Max("updated_at"))
    return (found["n"], found["at"])


def active_controls() -> QuerySet[PaymentControl]:
    return PaymentControl.objects.filter(active=True).order_by("pk")


def list_controls() -> QuerySet[PaymentControl]:
    return PaymentControl.objects.select_related("updated_by").order_by(
        "kind", "channel", "business_type", "pk"
    )


def get_control(*, control_id: int) -> PaymentControl:
    found = list_controls().filter(pk=control_id).first()
    if found is None:
        raise NotFound(_("Payment control not found."))
    return found


def completed_payments_since(
    since: datetime, *, config: EngineConfig
) -> Iterator[tuple[int, str, datetime, str, str, int]]:
    """``(account hash, payer account, time, channel, business type, fen)`` of allowed payments."""
    rows = (
        StoredPayment.objects.filter(occurred_at__gte=since, decision__action__in=COUNTED)
        .order_by("pk")
        .values_list("account_hash", "payer_account", "occurred_at", "channel", "business_type", "amount",
                     "currency")
    )  # fmt: skip
    for hashed, account, occurred_at, channel, business_type, amount, currency in rows.iterator(
        chunk_size=5000
    ):
        fen = to_base_fen(Decimal(amount).normalize(), currency, config.fx_rates)
        yield hashed, account, occurred_at, channel, business_type, fen


def reviews_for(principal: Principal) -> QuerySet[PaymentReview]:
    queryset = PaymentReview.objects.select_related(
        "payment", "payment__decision", "payment__branch", "proposed_by", "decided_by"
    )
    return scoped(queryset, principal)


def list_reviews(
    principal: Principal, *, status: str | None = None, kind: str | None = None, overdue: bool = False
) -> QuerySet[PaymentReview]:
    """The queue in the principal's scope: open ones by deadline unless a status is asked for."""
    queryset = reviews_for(principal)
    queryset = queryset.filter(status=status) if status else queryset.filter(status__in=OPEN)
    if kind:
        queryset = queryset.filter(kind=kind)
    if overdue:
        queryset = queryset.filter(due_at__lt=timezone.now())
    return queryset.order_by("due_at", "pk")


def get_review(principal: Principal, *, review_id: int) -> PaymentReview:
    return get_scoped_object(reviews_for(principal), principal, pk=review_id)


def open_review_counts(principal: Principal) -> dict[str, int]:
    now = timezone.now()
    found = reviews_for(principal).aggregate(
        open=Count("pk", filter=Q(status__in=OPEN)),
        overdue=Count("pk", filter=Q(status__in=OPEN, due_at__lt=now)),
        proposed=Count("pk", filter=Q(status=ReviewStatus.PROPOSED)),
    )
    return {k: int(v or 0) for k, v in found.items()}
