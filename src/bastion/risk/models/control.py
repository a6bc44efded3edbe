"""Payment controls (limits, business authorisation) and the review queue of held payments."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bastion.risk.choices import ControlKind, ReviewKind, ReviewOutcome, ReviewStatus


class PaymentControl(models.Model):
    """A limit or an authorisation threshold for payments that match its scope (empty: any).

    A limit (R4.4) challenges a payment above its single amount, or one that takes the payer
    account's total of the day (bank time) above its daily amount, naming the verification methods
    that satisfy it; a payment made with one of them passes. An authorisation threshold (003,
    smart counters) holds a payment at or above its amount until a second person authorises it.
    """

    kind = models.CharField(_("kind"), max_length=16, choices=ControlKind.choices)
    name = models.CharField(_("name"), max_length=200)
    channel = models.CharField(_("channel"), max_length=32, blank=True)
    business_type = models.CharField(_("business type"), max_length=32, blank=True)
    customer_type = models.CharField(_("customer type"), max_length=32, blank=True)
    customer = models.CharField(
        _("customer"), max_length=128, blank=True, help_text=_("One customer's id; empty: every customer.")
    )
    single_amount = models.DecimalField(
        _("single amount (CNY)"), max_digits=20, decimal_places=2, null=True, blank=True
    )
    daily_amount = models.DecimalField(
        _("daily amount (CNY)"), max_digits=20, decimal_places=2, null=True, blank=True
    )
    required_auth = models.JSONField(_("verification that satisfies it"), default=list, blank=True)
    review_minutes = models.PositiveIntegerField(_("minutes to authorise"), default=30)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["kind", "channel", "business_type", "pk"]
        verbose_name = _("payment control")
        verbose_name_plural = _("payment controls")

    def __str__(self) -> str:
        return self.name


class PaymentReview(models.Model):
    """A held, to-review or to-authorise payment in the queue, decided by two people.

    Held and review decisions: one reviewer proposes release or reject with a note and whether fraud
    was confirmed; a second confirms (or returns it). Business authorisation: the operator who
    submitted the payment is the maker; an authoriser approves or rejects. The confirmed outcome
    becomes the payment's known outcome for backtests.
    """

    payment = models.OneToOneField(
        "risk.StoredPayment", on_delete=models.PROTECT, related_name="review", verbose_name=_("payment")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ReviewKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.PENDING
    )
    operator = models.CharField(_("operator"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("queued"), default=timezone.now)
    due_at = models.DateTimeField(_("review by"))
    proposed_outcome = models.CharField(
        _("proposal"), max_length=8, choices=ReviewOutcome.choices, blank=True
    )
    proposed_fraud = models.BooleanField(_("fraud confirmed"), null=True, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    proposed_at = models.DateTimeField(_("proposed"), null=True, blank=True)
    proposal_note = models.CharField(_("reviewer's note"), max_length=1000, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.CharField(_("checker's note"), max_length=1000, blank=True)

    branch_scope_path = "payment__branch"

    class Meta:
        ordering = ["due_at", "pk"]
        verbose_name = _("payment review")
        verbose_name_plural = _("payment reviews")
        indexes = [models.Index(fields=["status", "due_at"], name="risk_review_queue")]

    def __str__(self) -> str:
        return f"{self.kind} {self.payment_id}: {self.status}"
