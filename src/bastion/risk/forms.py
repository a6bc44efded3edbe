"""Console forms of the risk app."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from bastion.engine.schema import BUSINESS_TYPES, CHANNELS, CUSTOMER_TYPES
from bastion.engine.scoring import STEP_UP_METHODS
from bastion.identity.models import Branch
from bastion.platform.scoping import scoped
from bastion.risk.choices import (
    ControlKind,
    CounterpartyKind,
    CreditGrade,
    DecisionAction,
    ListEntryState,
    ListEntryType,
    ListKind,
    ReviewKind,
    ReviewStatus,
    RiskLevel,
    RiskRating,
)


def channel_label(value: str) -> str:
    """The channel's name in the reader's language (the engine keeps the code)."""
    return str(CHANNEL_LABELS.get(value, value))


CHANNEL_LABELS = {
    "cash": _("Cash"),
    "bank_card": _("Bank card"),
    "third_party": _("Third-party payment"),
    "mobile": _("Mobile banking"),
    "digital_currency": _("Digital currency"),
    "counter": _("Counter"),
    "atm": _("ATM"),
    "pos": _("POS"),
    "smart_counter": _("Smart counter"),
}
assert set(CHANNEL_LABELS) == set(CHANNELS)  # a new engine channel needs its label here


class DecisionFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Payment or account"),
        required=False,
        max_length=128,
        help_text=_("A payment id, or a payer or payee account number."),
    )
    level = forms.ChoiceField(label=_("Risk level"), required=False, choices=[("", "—"), *RiskLevel.choices])
    action = forms.ChoiceField(
        label=_("Decision"), required=False, choices=[("", "—"), *DecisionAction.choices]
    )
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", "—"), *CHANNEL_LABELS.items()]
    )
    branch = forms.ModelChoiceField(
        label=_("Branch"), queryset=Branch.objects.none(), required=False, empty_label="—"
    )

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        branches = scoped(Branch.objects.filter(is_active=True), actor, path="pk").order_by("code")
        self.fields["branch"].queryset = branches  # type: ignore[attr-defined]


class ListEntryFilterForm(forms.Form):
    """Filters of a list's entries page."""

    q = forms.CharField(label=_("Value"), required=False, max_length=128)
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", "—"), *ListEntryState.choices], initial="live"
    )
    entry_type = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", "—"), *ListEntryType.choices]
    )


class ListEntryForm(forms.Form):
    """Put a value on a list (the action checks it again; the form gives the page its fields)."""

    value = forms.CharField(label=_("Value"), max_length=128)
    entry_type = forms.ChoiceField(label=_("Type"), choices=ListEntryType.choices)
    reason = forms.CharField(label=_("Reason"), max_length=500)
    expires_at = forms.DateTimeField(
        label=_("Expires"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        help_text=_("Bank time; empty: until removed."),
    )


class RiskListForm(forms.Form):
    """Create a named list."""

    name = forms.SlugField(label=_("Name"), max_length=60, help_text=_('Rules refer to it as list("name").'))
    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=ListKind.choices)
    description = forms.CharField(
        label=_("Description"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class PaymentControlForm(forms.Form):
    """Add a limit or an authorisation threshold (the action checks the combination)."""

    kind = forms.ChoiceField(label=_("Kind"), choices=ControlKind.choices)
    name = forms.CharField(label=_("Name"), max_length=200)
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("any")), *CHANNEL_LABELS.items()]
    )
    business_type = forms.ChoiceField(
        label=_("Business type"), required=False, choices=[("", _("any")), *((b, b) for b in BUSINESS_TYPES)]
    )
    customer_type = forms.ChoiceField(
        label=_("Customer type"), required=False, choices=[("", _("any")), *((c, c) for c in CUSTOMER_TYPES)]
    )
    customer = forms.CharField(label=_("Customer"), required=False, max_length=128)
    single_amount = forms.DecimalField(label=_("Single amount (CNY)"), required=False, decimal_places=2)
    daily_amount = forms.DecimalField(label=_("Daily amount (CNY)"), required=False, decimal_places=2)
    required_auth = forms.MultipleChoiceField(
        label=_("Verification that satisfies a limit"),
        required=False,
        choices=[(m, m) for m in STEP_UP_METHODS],
        widget=forms.CheckboxSelectMultiple,
    )
    review_minutes = forms.IntegerField(
        label=_("Minutes to authorise"), initial=30, min_value=1, max_value=1440
    )


class ReviewFilterForm(forms.Form):
    """Filters of the review queue."""

    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", "—"), *ReviewKind.choices])
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Open")), *ReviewStatus.choices]
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)


class ChannelAssessmentForm(forms.Form):
    """Assess a channel: identification, qualitative evaluation; the figures come from the records."""

    channel = forms.ChoiceField(label=_("Channel"), choices=list(CHANNEL_LABELS.items()))
    period_start = forms.DateField(label=_("Period from"), widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(label=_("Period to"), widget=forms.DateInput(attrs={"type": "date"}))
    identified_risks = forms.CharField(
        label=_("Risks identified"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    qualitative_rating = forms.ChoiceField(label=_("Qualitative rating"), choices=RiskRating.choices)
    qualitative_notes = forms.CharField(
        label=_("Qualitative evaluation"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    incidents = forms.IntegerField(label=_("Incidents in the period"), min_value=0, initial=0)


class CounterpartyForm(forms.Form):
    """Rate a counterparty institution or merchant."""

    kind = forms.ChoiceField(label=_("Kind"), choices=CounterpartyKind.choices)
    identifier = forms.CharField(label=_("Identifier"), max_length=128)
    name = forms.CharField(label=_("Name"), max_length=200)
    grade = forms.ChoiceField(label=_("Credit grade"), choices=CreditGrade.choices)
    note = forms.CharField(label=_("Basis of the rating"), max_length=1000, required=False)
