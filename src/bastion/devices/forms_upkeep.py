"""Console forms of device lifecycle steps and upkeep: plans, inspections, updates, remote sessions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from bastion.devices.checklists import checklist
from bastion.devices.choices import (
    DeviceClass,
    InspectionItemResult,
    LifecycleState,
    MaintenanceKind,
    OperationalStatus,
    RemoteChannel,
    RemoteSessionOutcome,
    SoftwareUpdateResult,
)
from bastion.devices.forms import _branches
from bastion.devices.models import Device
from bastion.identity.models import Branch


class LifecycleStepForm(forms.Form):
    """The next manual lifecycle step; the choices are the steps allowed from the current state."""

    to_state = forms.ChoiceField(label=_("Next step"))
    note = forms.CharField(
        label=_("Note"), required=False, max_length=1000, widget=forms.Textarea({"rows": 2})
    )
    test_record = forms.CharField(
        label=_("Acceptance test record"),
        required=False,
        max_length=4000,
        widget=forms.Textarea({"rows": 3}),
        help_text=_("Required when commissioning ends: what was tested and the result."),
    )

    def __init__(self, *args: Any, steps: list[str], commissioning: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_state"].choices = [(s, LifecycleState(s).label) for s in steps]  # type: ignore[attr-defined]
        if not commissioning:
            del self.fields["test_record"]


class RetirementForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for retirement (appraisal findings)"),
        max_length=2000,
        widget=forms.Textarea({"rows": 3}),
    )


class ProcurementForm(forms.Form):
    """A procurement request: the device as it will be registered, and why it is needed."""

    branch = forms.ModelChoiceField(label=_("Branch"), queryset=Branch.objects.none())
    device_class = forms.ChoiceField(label=_("Device class"), choices=DeviceClass.choices)
    asset_tag = forms.CharField(label=_("Asset tag"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=120)
    vendor = forms.CharField(label=_("Vendor"), max_length=80)
    model = forms.CharField(label=_("Model"), max_length=80)
    serial_number = forms.CharField(label=_("Serial number"), max_length=80)
    location = forms.CharField(label=_("Location"), max_length=200, required=False)
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea({"rows": 3}))

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = _branches(actor)  # type: ignore[attr-defined]


class PlanForm(forms.Form):
    """A maintenance plan for one device (device page) or a device class at a branch (plan list)."""

    kind = forms.ChoiceField(label=_("Kind"), choices=MaintenanceKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    cycle_days = forms.IntegerField(label=_("Cycle (days)"), min_value=1, max_value=730)
    first_due_at = forms.DateTimeField(
        label=_("First due"),
        required=False,
        widget=forms.DateTimeInput({"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Empty: one cycle from now."),
    )


class ClassPlanForm(PlanForm):
    branch = forms.ModelChoiceField(label=_("Branch"), queryset=Branch.objects.none())
    device_class = forms.ChoiceField(label=_("Device class"), choices=DeviceClass.choices)

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = _branches(actor)  # type: ignore[attr-defined]


class CompleteForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several photos or documents in one input; each is checked by the action (platform.uploads)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput({"accept": "image/jpeg,image/png,application/pdf"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data]
        return [super().clean(data, initial)] if data else []


class InspectionForm(forms.Form):
    """The device class's checklist: per item ok or problem (with what was found), photos, a note."""

    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea({"rows": 2})
    )
    attachments = MultipleFileField(label=_("Photos or documents (JPEG, PNG, PDF; up to 10)"), required=False)
    open_work_order = forms.BooleanField(
        label=_("Open a fault work order for the problems found"), required=False
    )

    def __init__(self, *args: Any, device_class: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items = checklist(device_class)
        items: dict[str, forms.Field] = {}
        for item in self.items:
            items[f"{item.code}__result"] = forms.ChoiceField(
                label=str(item.label),
                choices=InspectionItemResult.choices,
                initial=InspectionItemResult.OK,
                widget=forms.RadioSelect,
            )
            items[f"{item.code}__note"] = forms.CharField(
                label=_("What was found"), required=False, max_length=500
            )
        # The checklist first, in its order, then note, photos and the work-order box.
        self.fields = {**items, **self.fields}

    def rows(self) -> list[tuple[Any, Any]]:
        """(result field, note field) per checklist item, for the table in the template."""
        return [(self[f"{i.code}__result"], self[f"{i.code}__note"]) for i in self.items]

    def results(self) -> dict[str, dict[str, str]]:
        data = self.cleaned_data
        return {
            i.code: {"result": data[f"{i.code}__result"], "note": data[f"{i.code}__note"]} for i in self.items
        }


class SoftwareUpdateForm(forms.Form):
    to_version = forms.CharField(label=_("Version installed"), max_length=60)
    result = forms.ChoiceField(label=_("Result"), choices=SoftwareUpdateResult.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)


class SessionStartForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=RemoteChannel.choices)
    alarm = forms.TypedChoiceField(label=_("About alarm"), required=False, coerce=int, empty_value=None)
    summary = forms.CharField(label=_("What is being looked at"), required=False, max_length=2000)

    def __init__(self, *args: Any, alarms: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["alarm"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (a.pk, f"#{a.pk} {a.fault_code}") for a in alarms
        ]


class RemoteActionForm(forms.Form):
    action = forms.CharField(label=_("Action taken"), max_length=200)
    result = forms.CharField(label=_("Result"), required=False, max_length=200)


class SessionEndForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[c for c in RemoteSessionOutcome.choices if c[0] != RemoteSessionOutcome.IN_PROGRESS],
    )
    summary = forms.CharField(
        label=_("Summary"), required=False, max_length=2000, widget=forms.Textarea({"rows": 2})
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Operational status"), choices=[c for c in OperationalStatus.choices if c[0] != "unknown"]
    )
    reason = forms.CharField(label=_("Reason"), max_length=200)


class WindowForm(forms.Form):
    """A maintenance window on the device: its alarms are muted (no work order) while it lasts."""

    starts_at = forms.DateTimeField(
        label=_("Starts"), widget=forms.DateTimeInput({"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    ends_at = forms.DateTimeField(
        label=_("Ends"), widget=forms.DateTimeInput({"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    reason = forms.CharField(label=_("Reason"), max_length=200)


class DeviceEditForm(forms.Form):
    """The descriptive fields of a registered device; class, vendor, serial and branch stay as registered."""

    name = forms.CharField(label=_("Name"), max_length=120)
    location = forms.CharField(label=_("Location"), max_length=200, required=False)
    upstream = forms.ModelChoiceField(
        label=_("Network dependency"),
        queryset=Device.objects.none(),
        required=False,
        empty_label="—",
    )
    install_date = forms.DateField(
        label=_("Installed"), required=False, widget=forms.DateInput({"type": "date"})
    )
    warranty_until = forms.DateField(
        label=_("Warranty until"), required=False, widget=forms.DateInput({"type": "date"})
    )
    end_of_support = forms.DateField(
        label=_("End of support"), required=False, widget=forms.DateInput({"type": "date"})
    )

    def __init__(self, *args: Any, device: Any, **kwargs: Any) -> None:
        initial = {
            "name": device.name,
            "location": device.location,
            "upstream": device.upstream_id,
            "install_date": device.install_date,
            "warranty_until": device.warranty_until,
            "end_of_support": device.end_of_support,
        }
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        # A device hangs off a switch or link of its own branch.
        self.fields["upstream"].queryset = (  # type: ignore[attr-defined]
            Device.objects.filter(branch_id=device.branch_id, device_class=DeviceClass.NETWORK)
            .exclude(pk=device.pk)
            .order_by("asset_tag")
        )

    def changes(self) -> dict[str, Any]:
        """Only what the user changed, in the action's terms."""
        data = dict(self.cleaned_data)
        upstream = data.pop("upstream")
        data["upstream_id"] = upstream.pk if upstream else None
        initial = {**self.initial, "upstream_id": self.initial.get("upstream")}
        return {k: v for k, v in data.items() if v != initial.get(k)}
