"""Writes of channel risk assessments (R4.6) and counterparty ratings (R4.8). Each is audited.

The quantitative evaluation is computed from stored payments, never typed in, so an assessment
says what the bank's own records showed for the period. Rating rules (docs/decisions/0512):
quantitative high when the fraud rate is at least 10 basis points, losses reach CNY 1,000,000 or
there were 3 or more incidents; medium at 1 basis point, CNY 100,000 or 1 incident; the rating
is the higher of the qualitative and the quantitative one.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bastion.audit.actions import record_event
from bastion.engine.schema import CHANNELS
from bastion.platform.errors import Conflict, FieldError, NotFound
from bastion.risk import permissions as perms
from bastion.risk.actions.rules import _require, _user_of
from bastion.risk.choices import REVIEW_DAYS, CounterpartyKind, CreditGrade, RiskRating
from bastion.risk.models import ChannelAssessment, CounterpartyRating
from bastion.risk.services.reference import channel_figures

RANK = ("low", "medium", "high")
MAX_PERIOD_DAYS = 366


def quantitative_rating(*, fraud_rate_bp: Decimal, losses: Decimal, incidents: int) -> str:
    if fraud_rate_bp >= 10 or losses >= 1_000_000 or incidents >= 3:
        return "high"
    if fraud_rate_bp >= 1 or losses >= 100_000 or incidents >= 1:
        return "medium"
    return "low"


def _text(value: str, field: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise FieldError(field, _("This field is required."))
    if len(value) > limit:
        raise FieldError(field, _("At most %(n)d characters.") % {"n": limit})
    return value


def do_assess_channel(
    *,
    channel: str,
    period_start: date,
    period_end: date,
    identified_risks: str,
    qualitative_rating: str,
    qualitative_notes: str,
    incidents: int,
    actor: Any,
) -> ChannelAssessment:
    """Record a channel's assessment; its rating feeds every later payment's score on that channel."""
    _require(actor, perms.MANAGE_RATINGS)
    if channel not in CHANNELS:
        raise FieldError("channel", _("Choose one of: %(choices)s.") % {"choices": ", ".join(CHANNELS)})
    if period_end < period_start:
        raise FieldError("period_end", _("The period ends before it starts."))
    if (period_end - period_start).days > MAX_PERIOD_DAYS or period_end > timezone.localdate():
        raise FieldError("period_end", _("A period of at most a year, ending today or earlier."))
    if qualitative_rating not in RiskRating.values:
        raise FieldError(
            "qualitative_rating", _("Choose one of: %(choices)s.") % {"choices": "low, medium, high"}
        )
    if not isinstance(incidents, int) or incidents < 0:
        raise FieldError("incidents", _("A whole number, zero or more."))
    risks = _text(identified_risks, "identified_risks", 4000)
    notes = _text(qualitative_notes, "qualitative_notes", 4000)
    figures = channel_figures(channel=channel, start=period_start, end=period_end)
    quantitative = quantitative_rating(
        fraud_rate_bp=figures["fraud_rate_bp"], losses=figures["losses"], incidents=incidents
    )
    rating = max(qualitative_rating, quantitative, key=RANK.index)
    now = timezone.now()
    with transaction.atomic():
        assessment = ChannelAssessment.objects.create(
            channel=channel, period_start=period_start, period_end=period_end, identified_risks=risks,
            qualitative_rating=qualitative_rating, qualitative_notes=notes, incidents=incidents, **figures,
            quantitative_rating=quantitative, rating=rating,
            next_review=timezone.localdate(now) + timedelta(days=REVIEW_DAYS[rating]),
            assessed_at=now, assessed_by=_user_of(actor),
        )  # fmt: skip
        record_event(
            action="risk.assess_channel",
            actor=actor,
            obj=assessment,
            after={
                "channel": channel, "rating": rating, "qualitative": qualitative_rating,
                "quantitative": quantitative, "fraud_rate_bp": str(figures["fraud_rate_bp"]),
                "losses": str(figures["losses"]), "incidents": incidents,
                "next_review": assessment.next_review.isoformat(),
            },
        )  # fmt: skip
    return assessment


def do_save_counterparty(
    *, rating_id: int | None = None, data: dict[str, Any], actor: Any
) -> CounterpartyRating:
    """Rate a counterparty, or change its grade; payments to it score accordingly within seconds."""
    _require(actor, perms.MANAGE_RATINGS)
    with transaction.atomic():
        if rating_id is None:
            row = CounterpartyRating()
            before = None
        else:
            found = CounterpartyRating.objects.select_for_update().filter(pk=rating_id).first()
            if found is None:
                raise NotFound(_("Counterparty rating not found."))
            row, before = found, _state(found)
        merged = {**(before or {}), **{k: v for k, v in data.items() if v is not None}}
        kind = merged.get("kind") or ""
        if kind not in CounterpartyKind.values:
            raise FieldError("kind", _("Choose one of: %(choices)s.") % {"choices": "institution, merchant"})
        grade = merged.get("grade") or ""
        if grade not in CreditGrade.values:
            raise FieldError(
                "grade", _("Choose one of: %(choices)s.") % {"choices": ", ".join(CreditGrade.values)}
            )
        row.kind, row.grade = kind, grade
        row.identifier = _text(merged.get("identifier", ""), "identifier", 128)
        row.name = _text(merged.get("name", ""), "name", 200)
        row.note = (merged.get("note") or "").strip()[:1000]
        today = timezone.localdate()
        row.rated_at = today
        row.next_review = today + timedelta(days=365)
        row.updated_at, row.updated_by = timezone.now(), _user_of(actor)
        try:
            with transaction.atomic():
                row.save()
        except IntegrityError:
            raise Conflict(_("This counterparty is already rated."), code="already_rated") from None
        record_event(action="risk.rate_counterparty", actor=actor, obj=row, before=before, after=_state(row))
    return row


def _state(row: CounterpartyRating) -> dict[str, Any]:
    return {
        "kind": row.kind,
        "identifier": row.identifier,
        "name": row.name,
        "grade": row.grade,
        "note": row.note,
    }


def do_remind_channel_reviews(*, today: date) -> int:
    """Tell the people who assess channels which channels are due; returns how many are due."""
    from bastion.notify.actions import do_notify
    from bastion.risk.services.reference import channel_overview

    due = [row["channel"] for row in channel_overview(today) if row["due"]]
    if not due:
        return 0
    people = [
        u for u in get_user_model().objects.filter(is_active=True) if u.has_permission(perms.MANAGE_RATINGS)
    ]
    with transaction.atomic():
        do_notify(
            recipients=people,
            kind="risk.channel_review_due",
            subject=_("Channel risk assessments due: %(channels)s") % {"channels": ", ".join(due)},
            body=_(
                "These payment channels have no assessment in force or are past their review date: "
                "%(channels)s."
            )
            % {"channels": ", ".join(due)},
            link="/risk/channels/",
        )
    return len(due)
