"""Console forms for user, role and token administration and for self-service.

Forms parse and offer only choices inside the actor's scope; the identity actions make the decisions
(and refuse anything a crafted POST tries beyond what the form offered).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bastion.identity import services
from bastion.identity.models import Branch, Role, User
from bastion.identity.permissions import PERMISSIONS


def _branch_field(actor: User, *, required: bool, label: Any) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=label, queryset=services.list_branches(actor), required=required, empty_label="—"
    )


class UserFilterForm(forms.Form):
    STATUS_CHOICES = [
        ("", "—"),
        ("active", _("Active")),
        ("inactive", _("Deactivated")),
        ("locked", _("Locked")),
    ]
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    branch: forms.ModelChoiceField[Branch] = forms.ModelChoiceField(
        label=_("Branch"), queryset=Branch.objects.none(), required=False, empty_label="—"
    )
    role = forms.ModelChoiceField(
        label=_("Role"), queryset=Role.objects.all(), required=False, empty_label="—", to_field_name="code"
    )
    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUS_CHOICES)

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = services.list_branches(actor)  # type: ignore[attr-defined]
        self.fields["q"].widget.attrs.update({"placeholder": _("Name, user name or employee number")})


class _ProfileFields(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=100)
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(label=_("Mobile phone"), required=False, max_length=20)
    employee_no = forms.CharField(label=_("Employee number"), required=False, max_length=40)

    def _add_scope_fields(self, actor: User) -> None:
        self.fields["home_branch"] = _branch_field(actor, required=False, label=_("Home branch"))
        if actor.branch_scope().all_branches:
            self.fields["institution_wide"] = forms.BooleanField(
                label=_("Institution-wide scope"),
                required=False,
                help_text=_("Sees the data of every branch. Only for head-office staff."),
            )


class UserCreateForm(_ProfileFields):
    username = forms.CharField(label=_("User name"), max_length=150)
    password1 = forms.CharField(
        label=_("Initial password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 12 characters; give it to the person through a separate channel."),
    )
    password2 = forms.CharField(
        label=_("Repeat the password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    field_order = ["username", "full_name", "email", "phone", "employee_no", "home_branch"]

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._add_scope_fields(actor)
        self.order_fields(self.field_order)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return data


class UserEditForm(_ProfileFields):
    is_active = forms.BooleanField(
        label=_("Active"), required=False, help_text=_("A deactivated user cannot sign in.")
    )

    def __init__(self, *args: Any, actor: User, target: User, **kwargs: Any) -> None:
        initial = {
            "full_name": target.full_name,
            "email": target.email,
            "employee_no": target.employee_no,
            "home_branch": target.home_branch_id,
            "institution_wide": target.institution_wide,
            "is_active": target.is_active,
        }
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        self._add_scope_fields(actor)
        self.fields["phone"].help_text = _("Leave empty to keep the current number.")

    def changes(self, target: User) -> dict[str, Any]:
        """Only the fields whose value differs from the stored one, as the action expects them."""
        data = self.cleaned_data
        candidates: dict[str, Any] = {
            "full_name": data["full_name"],
            "email": data["email"],
            "employee_no": data["employee_no"],
            "home_branch_id": data["home_branch"].pk if data.get("home_branch") else None,
            "is_active": data["is_active"],
        }
        if "institution_wide" in self.fields:
            candidates["institution_wide"] = data["institution_wide"]
        changed = {k: v for k, v in candidates.items() if getattr(target, k) != v}
        if data["phone"]:
            changed["phone"] = data["phone"]
        return changed


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class RoleGrantForm(ReasonForm):
    role = forms.ModelChoiceField(
        label=_("Role"), queryset=Role.objects.none(), to_field_name="code", empty_label="—"
    )
    field_order = ["role", "reason"]

    def __init__(self, *args: Any, target: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].queryset = Role.objects.exclude(  # type: ignore[attr-defined]
            user_assignments__user=target
        )
        self.order_fields(self.field_order)


class RoleRevokeForm(ReasonForm):
    role = forms.ModelChoiceField(
        label=_("Role"), queryset=Role.objects.none(), to_field_name="code", empty_label="—"
    )
    field_order = ["role", "reason"]

    def __init__(self, *args: Any, target: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].queryset = Role.objects.filter(  # type: ignore[attr-defined]
            user_assignments__user=target
        )
        self.order_fields(self.field_order)


class TokenIssueForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100, help_text=_("The system that will use the token.")
    )
    permissions = forms.MultipleChoiceField(
        label=_("Permissions"), widget=forms.CheckboxSelectMultiple, choices=[]
    )
    all_branches = forms.BooleanField(label=_("All branches"), required=False)
    branches: forms.ModelMultipleChoiceField[Branch] = forms.ModelMultipleChoiceField(
        label=_("Branches"),
        queryset=Branch.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    expires_on = forms.DateField(
        label=_("Expires on"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("At most one year from today."),
    )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"expires_on": (timezone.localdate() + timedelta(days=90))})
        super().__init__(*args, **kwargs)
        self.fields["permissions"].choices = [  # type: ignore[attr-defined]
            (code, f"{PERMISSIONS[code]} ({code})") for code in sorted(actor.permission_codes())
        ]
        self.fields["branches"].queryset = services.list_branches(actor)  # type: ignore[attr-defined]
        if not actor.branch_scope().all_branches:
            del self.fields["all_branches"]


class PasswordChangeForm(forms.Form):
    current_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 12 characters, not a common password, not similar to your name."),
    )
    new_password2 = forms.CharField(
        label=_("Repeat the new password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_current_password(self) -> str:
        value = str(self.cleaned_data["current_password"])
        if not self.user.check_password(value):
            raise forms.ValidationError(_("The current password is wrong."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_password1") and data.get("new_password1") != data.get("new_password2"):
            self.add_error("new_password2", _("The two passwords differ."))
        return data
