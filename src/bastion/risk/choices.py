"""Choices of the risk app, with labels and console colours."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class RiskLevel(models.TextChoices):
    """The four risk levels of R4.1 (正常/关注/警告/高风险), as the engine names them."""

    # A context of their own: "Warning" and "Normal" mean other things in other catalogues.
    NORMAL = "normal", pgettext_lazy("risk level", "Normal")
    ATTENTION = "attention", pgettext_lazy("risk level", "Attention")
    WARNING = "warning", pgettext_lazy("risk level", "Warning")
    HIGH_RISK = "high_risk", pgettext_lazy("risk level", "High risk")

    @classmethod
    def colour(cls, value: str) -> str:
        return {"normal": "green", "attention": "blue", "warning": "orange", "high_risk": "red"}.get(
            value, "grey"
        )


class DecisionAction(models.TextChoices):
    """What the payment system must do, in increasing severity (the engine's order)."""

    ALLOW = "allow", _("Allow")
    REVIEW = "review", _("Allow and review")
    CHALLENGE = "challenge", _("Challenge (re-verify identity)")
    HOLD = "hold", _("Hold for review")
    BLOCK = "block", _("Block")

    @classmethod
    def colour(cls, value: str) -> str:
        return {
            "allow": "green",
            "review": "blue",
            "challenge": "orange",
            "hold": "red",
            "block": "black",
        }.get(value, "grey")


class RuleSetStatus(models.TextChoices):
    """Life of a rule-set version; dual control (submitted > approved) arrives with rule management."""

    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted for approval")
    APPROVED = "approved", _("Approved")
    # A context of its own: the project catalogue's "Active" is a user account's (正常).
    ACTIVE = "active", pgettext_lazy("rule set", "Active")
    RETIRED = "retired", _("Retired")

    @classmethod
    def colour(cls, value: str) -> str:
        return {
            "draft": "grey",
            "submitted": "blue",
            "approved": "teal",
            "active": "green",
            "retired": "grey",
        }.get(value, "grey")


class DecisionSource(models.TextChoices):
    """How the payment reached the scorer."""

    HTTP = "http", _("Decision API")
    STREAM = "stream", _("NATS JetStream")


class BacktestStatus(models.TextChoices):
    """Progress of a backtest run as a queued task."""

    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")

    @classmethod
    def colour(cls, value: str) -> str:
        return {"queued": "grey", "running": "blue", "done": "green", "failed": "red"}.get(value, "grey")


class ListKind(models.TextChoices):
    """What a named list is for; rules decide what membership means (R5.5)."""

    BLOCK = "block", _("Block list")
    ALLOW = "allow", _("Allow list")
    WATCH = "watch", _("Watch list")

    @classmethod
    def colour(cls, value: str) -> str:
        return {"block": "red", "allow": "green", "watch": "orange"}.get(value, "grey")


class ListEntryType(models.TextChoices):
    """What a list entry's value identifies; one list may hold several types."""

    ACCOUNT = "account", _("Account")
    CUSTOMER = "customer", _("Customer")
    DEVICE = "device", _("Device")
    IP = "ip", _("IP address")
    PAYEE = "payee", _("Payee account")


class ListEntryState(models.TextChoices):
    """Whether an entry is in force: removed by a person, past its expiry, or live."""

    LIVE = "live", _("In force")
    EXPIRED = "expired", _("Expired")
    REMOVED = "removed", _("Removed")

    @classmethod
    def colour(cls, value: str) -> str:
        return {"live": "green", "expired": "grey", "removed": "grey"}.get(value, "grey")


class ControlKind(models.TextChoices):
    """A payment control: a limit asks the payer to re-verify; an authorisation asks a second person."""

    LIMIT = "limit", _("Limit (identity re-verification)")
    AUTHORISATION = "authorisation", _("Business authorisation")


class ReviewKind(models.TextChoices):
    """Why a payment waits for people."""

    HOLD = "hold", _("Held payment")
    REVIEW = "review", _("Allowed, to review")
    AUTHORISATION = "authorisation", _("Business authorisation")


class ReviewStatus(models.TextChoices):
    """A review's progress under dual control: proposed by one person, confirmed by another."""

    PENDING = "pending", _("Waiting")
    PROPOSED = "proposed", _("Proposed, to confirm")
    RELEASED = "released", _("Released")
    REJECTED = "rejected", _("Rejected")

    @classmethod
    def colour(cls, value: str) -> str:
        return {"pending": "orange", "proposed": "blue", "released": "green", "rejected": "red"}.get(
            value, "grey"
        )


class ReviewOutcome(models.TextChoices):
    """What the reviewers decide for the payment."""

    RELEASE = "release", _("Release (let it complete)")
    REJECT = "reject", _("Reject (stop it)")


class Indicator(models.TextChoices):
    """The monitoring indicators of 002 5.1, computed per period and scope (docs/guide/*/risk-indicators.md)."""

    VOLUME_COUNT = "volume_count", _("Payments (count)")
    VOLUME_AMOUNT = "volume_amount", _("Amount (sum, CNY)")
    AMOUNT_CV = "amount_cv", _("Amount volatility (coefficient of variation)")
    AMOUNT_CHANGE = "amount_change", _("Amount change vs. trailing 7-day mean (%)")
    FREQUENCY_AVG = "frequency_avg", _("Payments per active payer account")
    FREQUENCY_MAX = "frequency_max", _("Most payments by one payer account")
    TOP10_PAYEE_SHARE = "top10_payee_share", _("Top-10 payee share of the amount (%)")
    TOP10_PAYER_SHARE = "top10_payer_share", _("Top-10 payer share of the amount (%)")
    PAYER_HHI = "payer_hhi", _("Payer concentration (HHI, 0-10,000)")
    LEVEL_NORMAL = "level_normal", _("Decisions at level Normal")
    LEVEL_ATTENTION = "level_attention", _("Decisions at level Attention")
    LEVEL_WARNING = "level_warning", _("Decisions at level Warning")
    LEVEL_HIGH_RISK = "level_high_risk", _("Decisions at level High risk")

    @classmethod
    def level_codes(cls) -> dict[str, str]:
        """Risk level > the indicator that counts its decisions."""
        return {level: f"level_{level}" for level in RiskLevel.values}

    @classmethod
    def charted(cls) -> list[str]:
        """The indicators drawn one chart each (the levels share one chart)."""
        return [code for code in cls.values if not code.startswith("level_")]


class Granularity(models.TextChoices):
    """The length of an indicator period, in the bank's time zone."""

    # A context of their own: the project catalogue's "Day" is a date (日期).
    DAY = "day", pgettext_lazy("indicator period", "Day")
    HOUR = "hour", pgettext_lazy("indicator period", "Hour")


class IndicatorScope(models.TextChoices):
    """What an indicator value is about: one channel, one branch, or the whole institution."""

    INSTITUTION = "institution", _("Institution")
    CHANNEL = "channel", _("Channel")
    BRANCH = "branch", _("Branch")


class ThresholdScope(models.TextChoices):
    """Which indicator values a threshold watches."""

    ANY = "any", _("Every scope")
    INSTITUTION = "institution", _("Institution")
    CHANNEL = "channel", _("Channel")
    BRANCH = "branch", _("Branch")


class Comparison(models.TextChoices):
    """How a value crosses a threshold."""

    GTE = "gte", "≥"
    LTE = "lte", "≤"


class WarningSeverity(models.TextChoices):
    """The severity of an indicator warning, on the levels of 002 5.3 above normal."""

    ATTENTION = "attention", pgettext_lazy("risk level", "Attention")
    WARNING = "warning", pgettext_lazy("risk level", "Warning")
    HIGH_RISK = "high_risk", pgettext_lazy("risk level", "High risk")

    @classmethod
    def colour(cls, value: str) -> str:
        return {"attention": "blue", "warning": "amber", "high_risk": "red"}.get(value, "grey")


class RiskRating(models.TextChoices):
    """A channel's assessed risk (R4.6)."""

    LOW = "low", pgettext_lazy("risk rating", "Low")
    MEDIUM = "medium", pgettext_lazy("risk rating", "Medium")
    HIGH = "high", pgettext_lazy("risk rating", "High")

    @classmethod
    def colour(cls, value: str) -> str:
        return {"low": "green", "medium": "amber", "high": "red"}.get(value, "grey")


class CounterpartyKind(models.TextChoices):
    """What a rated counterparty is, and which payment field names it."""

    INSTITUTION = "institution", _("Counterparty institution")
    MERCHANT = "merchant", _("Merchant")


class CreditGrade(models.TextChoices):
    """The bank's internal credit grades of counterparties (R4.8), best first."""

    AAA = "AAA", "AAA"
    AA = "AA", "AA"
    A = "A", "A"
    BBB = "BBB", "BBB"
    BB = "BB", "BB"
    B = "B", "B"
    CCC = "CCC", "CCC"
    D = "D", _("D (default)")

    @classmethod
    def colour(cls, value: str) -> str:
        return {"AAA": "green", "AA": "green", "A": "green", "BBB": "blue", "BB": "amber", "B": "amber"}.get(
            value, "red"
        )


# Points a channel's rating and a counterparty's grade add to a payment's score (docs/decisions/0512).
CHANNEL_POINTS = {"low": 0, "medium": 5, "high": 15}
GRADE_POINTS = {"AAA": 0, "AA": 0, "A": 0, "BBB": 5, "BB": 10, "B": 20, "CCC": 30, "D": 40}
# Days until a channel is assessed again, by its rating (higher risk, more often).
REVIEW_DAYS = {"low": 365, "medium": 180, "high": 90}
