"""Console forms of the service desk. They parse input; the actions decide and refuse."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from bastion.devices.choices import DeviceClass
from bastion.servicedesk.choices import TRANSITIONS, Channel, Priority, WorkOrderKind, WorkOrderStatus

EMPTY = [("", "—")]


def _choices(form: forms.Form, name: str, choices: list[Any]) -> None:
    """Set a choice field's options at run time (they depend on the user's scope)."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


# Channels a member of staff types in; e-mail, WeChat, alarms and plans arrive by themselves.
STAFF_CHANNELS = [(c.value, c.label) for c in (Channel.PHONE, Channel.WEB)]


class QueueFilterForm(forms.Form):
    VIEWS = [
        ("open", _("Open orders")),
        ("mine", _("My queue")),
        ("team", _("Team queue")),
        ("at_risk", _("SLA at risk")),
        ("all", _("All orders")),
    ]
    view = forms.ChoiceField(label=_("View"), choices=VIEWS, required=False)
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"), choices=EMPTY + list(WorkOrderStatus.choices), required=False
    )
    priority = forms.ChoiceField(label=_("Priority"), choices=EMPTY + list(Priority.choices), required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=EMPTY + list(WorkOrderKind.choices), required=False)
    channel = forms.ChoiceField(label=_("Channel"), choices=EMPTY + list(Channel.choices), required=False)


class OrderCreateForm(forms.Form):
    branch = forms.TypedChoiceField(label=_("Branch"), coerce=int)
    device = forms.TypedChoiceField(label=_("Device"), coerce=int, required=False, empty_value=None)
    kind = forms.ChoiceField(label=_("Kind"), choices=WorkOrderKind.choices, initial=WorkOrderKind.FAULT)
    channel = forms.ChoiceField(label=_("Channel"), choices=STAFF_CHANNELS, initial=Channel.PHONE)
    priority = forms.ChoiceField(
        label=_("Priority"),
        choices=[("", _("Automatic")), *list(Priority.choices)],
        required=False,
        help_text=_("Faults default to P3; a smart-counter fault is raised to at least P2."),
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    symptoms = forms.CharField(label=_("Symptoms"), widget=forms.Textarea(attrs={"rows": 4}))
    reporter_name = forms.CharField(label=_("Reporter"), max_length=100, required=False)
    reporter_contact = forms.CharField(label=_("Reporter contact"), max_length=120, required=False)

    def __init__(
        self, *args: Any, branches: list[tuple[int, str]], devices: list[tuple[int, str]], **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        _choices(self, "branch", branches)
        _choices(self, "device", [("", "—"), *devices])


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class TransitionForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"))
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    resolution_summary = forms.CharField(
        label=_("Resolution"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when resolving: what was done."),
    )

    def __init__(self, *args: Any, current: str, may_cancel: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        allowed = [s for s in WorkOrderStatus if s.value in TRANSITIONS[current]]
        if not may_cancel:
            allowed = [s for s in allowed if s != WorkOrderStatus.CANCELLED]
        _choices(self, "status", [(s.value, s.label) for s in allowed])


class AssignForm(forms.Form):
    engineer = forms.TypedChoiceField(label=_("Engineer"), coerce=int)
    reason = forms.CharField(label=_("Reason"), max_length=500)

    def __init__(self, *args: Any, engineers: list[tuple[int, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        _choices(self, "engineer", engineers)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class PriorityForm(forms.Form):
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    reason = forms.CharField(label=_("Reason"), max_length=500)


class PostmortemForm(forms.Form):
    root_cause = forms.CharField(label=_("Root cause"), widget=forms.Textarea(attrs={"rows": 3}))
    prevention = forms.CharField(label=_("Prevention"), widget=forms.Textarea(attrs={"rows": 3}))


class SubstituteForm(forms.Form):
    substitute_device = forms.TypedChoiceField(
        label=_("Substitute device"), coerce=int, required=False, empty_value=None
    )
    note = forms.CharField(label=_("Arrangement"), max_length=300, required=False)

    def __init__(self, *args: Any, devices: list[tuple[int, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        _choices(self, "substitute_device", [("", "—"), *devices])


class FeedbackForm(forms.Form):
    RATINGS = [(5, "5 ★★★★★"), (4, "4 ★★★★"), (3, "3 ★★★"), (2, "2 ★★"), (1, "1 ★")]
    rating = forms.TypedChoiceField(
        label=_("How satisfied are you with the service?"),
        choices=RATINGS,
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class PolicyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    device_class = forms.ChoiceField(
        label=_("Device class"), choices=[("", _("Any")), *list(DeviceClass.choices)], required=False
    )
    branch = forms.TypedChoiceField(label=_("Branch"), coerce=int, required=False, empty_value=None)
    response_minutes = forms.IntegerField(label=_("First response (minutes)"), min_value=1, initial=30)
    resolution_minutes = forms.IntegerField(label=_("Resolution (minutes)"), min_value=1, initial=240)
    warn_share = forms.DecimalField(
        label=_("Warning at share of target"), min_value=0.1, max_value=0.99, decimal_places=2, initial="0.75"
    )
    reminder_minutes = forms.IntegerField(
        label=_("Reminder interval after breach (minutes)"), min_value=5, initial=60
    )

    def __init__(self, *args: Any, branches: list[tuple[int, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        _choices(self, "branch", [("", _("Every branch")), *branches])


class ShiftForm(forms.Form):
    engineer = forms.TypedChoiceField(label=_("Engineer"), coerce=int)
    starts_at = forms.DateTimeField(
        label=_("Starts"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label=_("Ends"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, engineers: list[tuple[int, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        _choices(self, "engineer", engineers)


class ProfileForm(forms.Form):
    engineer = forms.TypedChoiceField(label=_("Engineer"), coerce=int)
    device_classes = forms.MultipleChoiceField(
        label=_("Device classes"),
        choices=DeviceClass.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    certifications = forms.CharField(
        label=_("Certifications"), required=False, help_text=_("Comma-separated, e.g. ITIL, CCNA")
    )
    max_open_orders = forms.IntegerField(label=_("Maximum open orders"), min_value=1, max_value=50, initial=6)

    def __init__(self, *args: Any, engineers: list[tuple[int, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        _choices(self, "engineer", engineers)
