"""Choices of the AML app, with labels and console colours."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CustomerKind(models.TextChoices):
    """Natural person or institution: the PBOC thresholds and KYC duties differ between them."""

    NATURAL_PERSON = "natural_person", _("Natural person")
    INSTITUTION = "institution", _("Institution (non-natural person)")


class CustomerRiskRating(models.TextChoices):
    """The customer money-laundering risk rating (客户洗钱风险等级), from documented factors."""

    LOW = "low", pgettext_lazy("customer risk", "Low")
    MEDIUM = "medium", pgettext_lazy("customer risk", "Medium")
    HIGH = "high", pgettext_lazy("customer risk", "High")

    @classmethod
    def colour(cls, value: str) -> str:
        return {"low": "green", "medium": "orange", "high": "red"}.get(value, "grey")


class IdType(models.TextChoices):
    """Identity documents accepted at onboarding."""

    RESIDENT_ID = "resident_id", _("Resident identity card")
    PASSPORT = "passport", _("Passport")
    HK_MACAO_PERMIT = "hk_macao_permit", _("Mainland travel permit for Hong Kong and Macao residents")
    TAIWAN_PERMIT = "taiwan_permit", _("Mainland travel permit for Taiwan residents")
    FOREIGN_PERMANENT = "foreign_permanent", _("Foreign permanent resident ID card")
    BUSINESS_LICENCE = "business_licence", _("Business licence (unified social credit code)")
    OTHER = "other", _("Other document")


class LargeValueStandard(models.TextChoices):
    """The four standards of PBOC Order [2016] No. 3, Art. 5 (大额交易报告标准)."""

    CASH = "cash", _("Cash of RMB 50,000 / USD 10,000 or more")
    INSTITUTION_TRANSFER = (
        "institution_transfer",
        _("Non-natural-person transfers of RMB 2,000,000 / USD 200,000 or more"),
    )
    PERSON_DOMESTIC = (
        "person_domestic",
        _("Natural-person domestic transfers of RMB 500,000 / USD 100,000 or more"),
    )
    PERSON_CROSS_BORDER = (
        "person_cross_border",
        _("Natural-person cross-border transfers of RMB 200,000 / USD 10,000 or more"),
    )


class FundsDirection(models.TextChoices):
    """Inflow and outflow are counted apart (the rule says so)."""

    INFLOW = "in", _("Inflow")
    OUTFLOW = "out", _("Outflow")


class ReportStatus(models.TextChoices):
    """Life of a regulatory report: drafted, reviewed by a second person, submitted."""

    DRAFT = "draft", pgettext_lazy("report", "Draft")
    REVIEWED = "reviewed", pgettext_lazy("report", "Reviewed")
    SUBMITTED = "submitted", pgettext_lazy("report", "Submitted")
    WITHDRAWN = "withdrawn", pgettext_lazy("report", "Withdrawn")

    @classmethod
    def colour(cls, value: str) -> str:
        return {"draft": "grey", "reviewed": "blue", "submitted": "green", "withdrawn": "black"}.get(
            value, "grey"
        )


class AlertSource(models.TextChoices):
    """Where an alert came from."""

    TYPOLOGY = "typology", _("Typology")
    RULE = "rule", _("Risk rule")
    SCREENING = "screening", _("Screening hit")
    MODEL = "model", _("Fraud model")
    MANUAL = "manual", _("Reported by staff")


class AlertStatus(models.TextChoices):
    """An alert is triaged: excluded with a reason (kept, Art. 14) or taken into a case."""

    NEW = "new", pgettext_lazy("alert", "New")
    IN_CASE = "in_case", _("In a case")
    EXCLUDED = "excluded", _("Excluded")

    @classmethod
    def colour(cls, value: str) -> str:
        return {"new": "orange", "in_case": "blue", "excluded": "grey"}.get(value, "grey")


class CaseStatus(models.TextChoices):
    """Life of an investigation; the closing decision is under dual control."""

    OPEN = "open", pgettext_lazy("case", "Open")
    PROPOSED = "proposed", _("Decision proposed")
    CLOSED = "closed", pgettext_lazy("case", "Closed")
    REPORTED = "reported", _("Reported as suspicious")

    @classmethod
    def colour(cls, value: str) -> str:
        return {"open": "orange", "proposed": "blue", "closed": "grey", "reported": "red"}.get(value, "grey")


class CaseDecision(models.TextChoices):
    """What an investigation concludes."""

    CLOSE = "close", _("Close: not suspicious")
    REPORT = "report", _("Report as suspicious")


class EvidenceKind(models.TextChoices):
    """What a piece of case evidence points at."""

    PAYMENT = "payment", _("Payment")
    ACCOUNT = "account", _("Account")
    CUSTOMER = "customer", _("Customer")
    DOCUMENT = "document", _("Document or note")


class WatchListKind(models.TextChoices):
    """What a watch list holds; terrorist lists escalate a hit at once."""

    SANCTIONS = "sanctions", _("Sanctions")
    TERRORIST = "terrorist", _("Terrorist and terrorist-financing")
    PEP = "pep", _("Politically exposed persons")
    INTERNAL = "internal", _("Internal watch list")
    FRAUD = "fraud", _("Shared fraud information")


class WatchEntryType(models.TextChoices):
    """A listed person or organisation."""

    PERSON = "person", _("Person")
    ORGANISATION = "organisation", _("Organisation")


class ScreeningTrigger(models.TextChoices):
    """Why a name was screened."""

    ONBOARDING = "onboarding", _("Onboarding")
    LIST_UPDATE = "list_update", _("List update")
    PAYMENT = "payment", _("Payment")
    MANUAL = "manual", _("Manual check")


class HitStatus(models.TextChoices):
    """A screening hit is confirmed as a true match or dismissed as a false positive, with reasons."""

    OPEN = "open", pgettext_lazy("hit", "Open")
    CONFIRMED = "confirmed", _("True match")
    DISMISSED = "dismissed", _("False positive")

    @classmethod
    def colour(cls, value: str) -> str:
        return {"open": "orange", "confirmed": "red", "dismissed": "grey"}.get(value, "grey")


class ModelStatus(models.TextChoices):
    """Life of a fraud-model version: trained, approved by a second person, deployed, retired."""

    TRAINED = "trained", _("Trained")
    APPROVED = "approved", pgettext_lazy("model", "Approved")
    ACTIVE = "active", pgettext_lazy("model", "In use")
    RETIRED = "retired", pgettext_lazy("model", "Retired")

    @classmethod
    def colour(cls, value: str) -> str:
        return {"trained": "grey", "approved": "blue", "active": "green", "retired": "black"}.get(
            value, "grey"
        )
