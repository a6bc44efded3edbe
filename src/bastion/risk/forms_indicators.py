"""Console forms of the monitoring indicators: the page's filters, thresholds, acknowledgements."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from bastion.identity.models import Branch, Role, User
from bastion.platform.scoping import scoped
from bastion.risk import permissions as perms
from bastion.risk.choices import Comparison, Granularity, Indicator, ThresholdScope, WarningSeverity
from bastion.risk.forms import CHANNEL_LABELS
from bastion.risk.services.indicators import IndicatorFilter, bank_zone

DEFAULT_DAYS = {Granularity.DAY: 14, Granularity.HOUR: 2}
MAX_DAYS = {Granularity.DAY: 366, Granularity.HOUR: 14}


def _today() -> dt.date:
    return timezone.localdate(timezone.now(), bank_zone())


def _with_default_range(data: Any) -> Any:
    """The query with the default dates filled in, so the form shows the range the page shows."""
    data = data.copy()
    granularity = data.get("granularity") or Granularity.DAY
    days = DEFAULT_DAYS.get(granularity, DEFAULT_DAYS[Granularity.DAY])
    if not data.get("end"):
        data["end"] = _today().isoformat()
    if not data.get("start"):
        try:
            end = dt.date.fromisoformat(data["end"])
        except ValueError:
            return data  # the end field reports its own error
        data["start"] = (end - dt.timedelta(days=days - 1)).isoformat()
    return data


class IndicatorFilterForm(forms.Form):
    indicator = forms.ChoiceField(
        label=_("Indicator"), required=False, choices=[("", _("All indicators")), *Indicator.choices]
    )
    granularity = forms.ChoiceField(label=_("Period"), required=False, choices=Granularity.choices)
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", "—"), *CHANNEL_LABELS.items()]
    )
    branch = forms.ModelChoiceField(
        label=_("Branch"), queryset=Branch.objects.none(), required=False, empty_label="—"
    )
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, data: Any = None, *, actor: Any, **kwargs: Any) -> None:
        if data is not None:
            data = _with_default_range(data)
        super().__init__(data, **kwargs)
        branches = scoped(Branch.objects.filter(is_active=True), actor, path="pk").order_by("code")
        self.fields["branch"].queryset = branches  # type: ignore[attr-defined]
        # Show the default range an empty form stands for.
        end = _today()
        self.fields["end"].initial = end
        self.fields["start"].initial = end - dt.timedelta(days=DEFAULT_DAYS[Granularity.DAY] - 1)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("channel") and data.get("branch"):
            raise forms.ValidationError(
                _("Choose a channel or a branch: indicators are kept per channel and per branch.")
            )
        granularity = data.get("granularity") or Granularity.DAY
        end = data.get("end") or _today()
        start = data.get("start") or end - dt.timedelta(days=DEFAULT_DAYS[granularity] - 1)
        if start > end:
            self.add_error("start", _("The start is after the end."))
        elif (end - start).days >= MAX_DAYS[granularity]:
            self.add_error("start", _("At most %(n)d days at a time.") % {"n": MAX_DAYS[granularity]})
        data.update(granularity=granularity, start=start, end=end)
        return data

    def filters(self) -> IndicatorFilter:
        """The filters to apply: the valid choices, or the defaults when the form is not valid."""
        if self.is_bound and self.is_valid():
            data = self.cleaned_data
            return IndicatorFilter(
                indicator=data["indicator"],
                granularity=data["granularity"],
                channel=data["channel"],
                branch_id=data["branch"].pk if data["branch"] else None,
                start=data["start"],
                end=data["end"],
            )
        end = _today()
        return IndicatorFilter(start=end - dt.timedelta(days=DEFAULT_DAYS[Granularity.DAY] - 1), end=end)


def responsible_people() -> Any:
    """Active users who can see and acknowledge warnings."""
    roles = [
        role.pk
        for role in Role.objects.all()
        if {perms.VIEW_INDICATORS, perms.ACKNOWLEDGE_WARNINGS} <= set(role.permissions or [])
    ]
    return User.objects.filter(is_active=True, user_roles__role__in=roles).distinct().order_by("username")


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.display_name} ({obj.username})"


class ThresholdForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    indicator = forms.ChoiceField(label=_("Indicator"), choices=Indicator.choices)
    granularity = forms.ChoiceField(label=_("Period"), choices=Granularity.choices, initial=Granularity.DAY)
    scope = forms.ChoiceField(label=_("Scope"), choices=ThresholdScope.choices, initial=ThresholdScope.ANY)
    channel = forms.ChoiceField(
        label=_("Channel"),
        required=False,
        choices=[("", _("every channel")), *CHANNEL_LABELS.items()],
        help_text=_("Channel thresholds only."),
    )
    branch = forms.ModelChoiceField(
        label=_("Branch"),
        queryset=Branch.objects.filter(is_active=True).order_by("code"),
        required=False,
        empty_label=_("every branch"),
        help_text=_("Branch thresholds only."),
    )
    comparison = forms.ChoiceField(label=_("Warn when the value is"), choices=Comparison.choices)
    value = forms.DecimalField(label=_("Threshold"), max_digits=28, decimal_places=6)
    severity = forms.ChoiceField(label=_("Severity"), choices=WarningSeverity.choices)
    responsible = PersonChoiceField(label=_("Responsible person"), queryset=User.objects.none())
    active = forms.BooleanField(label=pgettext_lazy("threshold", "Active"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["responsible"].queryset = responsible_people()  # type: ignore[attr-defined]

    def fields_for_action(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        branch, responsible = data.pop("branch"), data.pop("responsible")
        return {**data, "branch_id": branch.pk if branch else None, "responsible_id": responsible.pk}

    @staticmethod
    def initial_from(threshold: Any) -> dict[str, Any]:
        names = ("name", "indicator", "granularity", "scope", "channel", "comparison", "value", "severity")
        return {
            **{name: getattr(threshold, name) for name in names},
            "branch": threshold.branch_id,
            "responsible": threshold.responsible_id,
            "active": threshold.active,
        }


class AcknowledgeForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
