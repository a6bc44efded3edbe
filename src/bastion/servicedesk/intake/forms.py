"""Console forms of the intake channels."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from bastion.identity.models import Branch


class WeChatBindingForm(forms.Form):
    """Register which branch and person a WeChat follower (OpenID) reports for."""

    openid = forms.CharField(label=_("OpenID"), max_length=64)
    display_name = forms.CharField(label=_("Name"), max_length=100)
    contact = forms.CharField(label=_("Contact"), max_length=100, required=False)
    branch = forms.TypedChoiceField(label=_("Branch"), coerce=int)

    def __init__(self, *args: Any, branches: list[Branch], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["branch"].choices = [(b.pk, b.name) for b in branches]  # type: ignore[attr-defined]
