"""Console forms of the notify app."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from bastion.notify.choices import Channel, NotificationStatus


class PreferenceForm(forms.Form):
    kind = forms.CharField(
        label=_("Kind of notification"),
        max_length=60,
        initial="*",
        help_text=_("* for every kind without its own choice, or a kind such as servicedesk.sla_breach"),
    )
    channels = forms.MultipleChoiceField(
        label=_("Channels"), choices=Channel.choices, widget=forms.CheckboxSelectMultiple
    )


class DeliveryFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *NotificationStatus.choices]
    )
    channel = forms.ChoiceField(
        label=_("Channel"),
        required=False,
        choices=[("", _("Any channel")), *[c for c in Channel.choices if c[0] != Channel.IN_APP]],
    )
