"""Console forms of the devices app."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from bastion.devices.choices import AlarmSeverity, AlarmState, DeviceClass, OperationalStatus
from bastion.identity.models import Branch
from bastion.platform.scoping import scoped

ALARM_CHOICES = [("", "—"), ("yes", _("In alarm")), ("no", _("No open alarm"))]


def _branches(actor: Any) -> Any:
    return scoped(Branch.objects.filter(is_active=True), actor, path="pk").order_by("code")


class DeviceFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    branch = forms.ModelChoiceField(
        label=_("Branch"), queryset=Branch.objects.none(), required=False, empty_label="—"
    )
    device_class = forms.ChoiceField(
        label=_("Device class"), required=False, choices=[("", "—"), *DeviceClass.choices]
    )
    operational_status = forms.ChoiceField(
        label=_("Operational status"), required=False, choices=[("", "—"), *OperationalStatus.choices]
    )
    alarm = forms.ChoiceField(label=_("Alarms"), required=False, choices=ALARM_CHOICES)

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = _branches(actor)  # type: ignore[attr-defined]


class AlarmFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("Standing")), *AlarmState.choices, ("all", _("All"))],
    )
    severity = forms.ChoiceField(
        label=_("Severity"), required=False, choices=[("", "—"), *AlarmSeverity.choices]
    )
    fault_code = forms.CharField(label=_("Fault code"), required=False, max_length=40)
    branch = forms.ModelChoiceField(
        label=_("Branch"), queryset=Branch.objects.none(), required=False, empty_label="—"
    )

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = _branches(actor)  # type: ignore[attr-defined]


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)
