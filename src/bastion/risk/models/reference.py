"""Reference data that feeds the score: channel risk assessments (R4.6), counterparty ratings (R4.8)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bastion.risk.choices import CounterpartyKind, CreditGrade, RiskRating


class ChannelAssessment(models.Model):
    """One risk assessment of a payment channel; the newest per channel is in force.

    Identification (the risks found), a qualitative rating with its reasoning, and the quantitative
    evaluation of the period (payments, confirmed fraud, fraud rate, losses, incidents) give the
    rating: the higher of the qualitative and the quantitative one. The rating sets the next
    review date and the points the channel adds to each payment's score.
    """

    channel = models.CharField(_("channel"), max_length=32, db_index=True)
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    identified_risks = models.TextField(_("risks identified"), max_length=4000)
    qualitative_rating = models.CharField(_("qualitative rating"), max_length=8, choices=RiskRating.choices)
    qualitative_notes = models.TextField(_("qualitative evaluation"), max_length=4000)
    payments = models.PositiveBigIntegerField(_("payments"), default=0)
    confirmed_fraud = models.PositiveBigIntegerField(_("confirmed fraud"), default=0)
    fraud_rate_bp = models.DecimalField(
        _("fraud rate (basis points)"), max_digits=9, decimal_places=2, default=0
    )
    losses = models.DecimalField(_("losses (CNY)"), max_digits=20, decimal_places=2, default=0)
    incidents = models.PositiveIntegerField(_("incidents"), default=0)
    quantitative_rating = models.CharField(_("quantitative rating"), max_length=8, choices=RiskRating.choices)
    rating = models.CharField(_("rating"), max_length=8, choices=RiskRating.choices)
    next_review = models.DateField(_("next review"))
    assessed_at = models.DateTimeField(_("assessed"), default=timezone.now)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["channel", "-assessed_at", "-pk"]
        verbose_name = _("channel risk assessment")
        verbose_name_plural = _("channel risk assessments")

    def __str__(self) -> str:
        return f"{self.channel}: {self.rating}"


class CounterpartyRating(models.Model):
    """The credit grade of a counterparty institution or merchant (R4.8), kept current in place.

    ``identifier`` is matched against the payment's ``counterparty_institution`` (institutions) or
    ``payee_customer`` (merchants); the grade adds points to the score of payments to it.
    """

    kind = models.CharField(_("kind"), max_length=12, choices=CounterpartyKind.choices)
    identifier = models.CharField(_("identifier"), max_length=128)
    name = models.CharField(_("name"), max_length=200)
    grade = models.CharField(_("credit grade"), max_length=4, choices=CreditGrade.choices)
    note = models.CharField(_("basis of the rating"), max_length=1000, blank=True)
    rated_at = models.DateField(_("rated on"))
    next_review = models.DateField(_("next review"))
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["kind", "identifier"]
        verbose_name = _("counterparty rating")
        verbose_name_plural = _("counterparty ratings")
        constraints = [models.UniqueConstraint(fields=["kind", "identifier"], name="risk_counterparty_once")]

    def __str__(self) -> str:
        return f"{self.name} ({self.grade})"
