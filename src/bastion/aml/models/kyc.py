"""Customer identification (KYC, R5.1): customers, their documents and beneficial owners.

Identity data (names, ID numbers, phone, address, dates of birth) are stored encrypted
(:class:`~bastion.platform.crypto.EncryptedTextField`) and shown masked unless the reader holds the
clear-read permission; exact look-ups by ID number go through a keyed blind index.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bastion.aml.choices import CustomerKind, CustomerRiskRating, IdType
from bastion.platform.crypto import EncryptedTextField


class Customer(models.Model):
    """A customer as known to AML: identity, expected activity, risk rating and review dates.

    ``customer_no`` is the core-banking customer number, the same value payments carry as
    ``payer_customer`` / ``payee_customer``, so reports and cases join payments to customers.
    """

    customer_no = models.CharField(_("customer number"), max_length=128, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=CustomerKind.choices)
    name = EncryptedTextField(_("name"))
    name_en = EncryptedTextField(_("name in Latin letters"), blank=True, default="")
    id_type = models.CharField(_("ID type"), max_length=24, choices=IdType.choices)
    id_number = EncryptedTextField(_("ID number"))
    id_number_index = models.CharField(max_length=64, db_index=True, editable=False)
    id_expires_on = models.DateField(_("ID valid until"), null=True, blank=True)
    date_of_birth = EncryptedTextField(_("date of birth"), blank=True, default="")
    nationality = models.CharField(
        _("nationality"), max_length=3, default="CHN", help_text=_("ISO 3166 alpha-3.")
    )
    phone = EncryptedTextField(_("phone"), blank=True, default="")
    address = EncryptedTextField(_("address"), blank=True, default="")
    occupation = models.CharField(_("occupation or industry"), max_length=40, blank=True)
    employer = models.CharField(_("employer"), max_length=200, blank=True)
    is_pep = models.BooleanField(_("politically exposed person"), default=False)
    non_face_to_face = models.BooleanField(_("onboarded without meeting"), default=False)
    expected_monthly_amount = models.DecimalField(
        _("expected monthly amount (CNY)"), max_digits=20, decimal_places=2, default=0
    )
    expected_monthly_cash = models.DecimalField(
        _("expected monthly cash (CNY)"), max_digits=20, decimal_places=2, default=0
    )
    expected_activity = models.TextField(_("expected activity"), blank=True)
    branch = models.ForeignKey(
        "identity.Branch", on_delete=models.PROTECT, related_name="+", verbose_name=_("branch")
    )
    onboarded_on = models.DateField(_("relationship began"), default=timezone.localdate)
    relationship_ended_on = models.DateField(_("relationship ended"), null=True, blank=True)
    risk_rating = models.CharField(
        _("risk rating"), max_length=8, choices=CustomerRiskRating.choices, default=CustomerRiskRating.LOW
    )
    risk_score = models.PositiveSmallIntegerField(_("risk score"), default=0)
    risk_factors = models.JSONField(
        _("risk factors"), default=list, help_text=_("Each factor: code, points, reason_zh, reason_en.")
    )
    rated_at = models.DateTimeField(_("rated"), null=True, blank=True)
    next_review_on = models.DateField(_("next review"), null=True, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    branch_scope_path = "branch"

    class Meta:
        ordering = ["customer_no"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return self.customer_no


class CustomerDocument(models.Model):
    """An identity or due-diligence document seen for a customer, and who verified it."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="documents")
    doc_type = models.CharField(_("document type"), max_length=24, choices=IdType.choices)
    number = EncryptedTextField(_("document number"))
    issued_on = models.DateField(_("issued"), null=True, blank=True)
    expires_on = models.DateField(_("valid until"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(_("verified"), default=timezone.now)

    branch_scope_path = "customer__branch"

    class Meta:
        ordering = ["customer", "-verified_at"]
        verbose_name = _("customer document")
        verbose_name_plural = _("customer documents")

    def __str__(self) -> str:
        return f"{self.customer.customer_no}: {self.doc_type}"


class BeneficialOwner(models.Model):
    """A natural person who ultimately owns or controls an institutional customer (受益所有人)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="beneficial_owners")
    name = EncryptedTextField(_("name"))
    id_type = models.CharField(_("ID type"), max_length=24, choices=IdType.choices)
    id_number = EncryptedTextField(_("ID number"))
    nationality = models.CharField(_("nationality"), max_length=3, default="CHN")
    ownership_percent = models.DecimalField(_("ownership (%)"), max_digits=5, decimal_places=2, default=0)
    control = models.CharField(
        _("means of control"),
        max_length=200,
        blank=True,
        help_text=_("E.g. shareholding, agreement, senior manager."),
    )

    branch_scope_path = "customer__branch"

    class Meta:
        ordering = ["customer", "-ownership_percent"]
        verbose_name = _("beneficial owner")
        verbose_name_plural = _("beneficial owners")

    def __str__(self) -> str:
        return f"{self.customer.customer_no}: {self.ownership_percent}%"
