"""How the console presents the payload of each kind of dual-control request.

Apps that register an approval kind may register a presenter too; without one the payload is shown
as plain key/value rows, which is always correct if less friendly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from bastion.identity.models import ApprovalRequest, Role, User
from bastion.platform.scoping import Principal, scoped


@dataclass(frozen=True)
class PayloadRow:
    """One labelled line of a request's payload, optionally linking to the object it names."""

    label: Promise | str
    value: str
    url: str = ""


Presenter = Callable[[ApprovalRequest, Principal], list[PayloadRow]]
_PRESENTERS: dict[str, Presenter] = {}


def register_presenter(kind: str, presenter: Presenter) -> None:
    _PRESENTERS[kind] = presenter


def _plain_rows(request: ApprovalRequest) -> list[PayloadRow]:
    payload: dict[str, Any] = request.payload if isinstance(request.payload, dict) else {}
    return [PayloadRow(str(key), str(value)) for key, value in sorted(payload.items())]


def payload_rows(request: ApprovalRequest, viewer: Principal) -> list[PayloadRow]:
    presenter = _PRESENTERS.get(request.kind)
    return presenter(request, viewer) if presenter else _plain_rows(request)


def _role_grant_rows(request: ApprovalRequest, viewer: Principal) -> list[PayloadRow]:
    user = scoped(User.objects.all(), viewer).filter(pk=request.payload.get("user_id")).first()
    role = Role.objects.filter(code=request.payload.get("role")).first()
    rows = []
    if user is not None:
        rows.append(
            PayloadRow(
                _("User"),
                user.username
                if user.display_name == user.username
                else f"{user.display_name} ({user.username})",
                reverse("web:user_detail", args=[user.pk])
                if viewer.has_permission("identity.view_users")
                else "",
            )
        )
    else:
        rows.append(PayloadRow(_("User"), f"#{request.payload.get('user_id')}"))
    rows.append(PayloadRow(_("Role"), str(role) if role else str(request.payload.get("role"))))
    if role is not None and role.privileged:
        rows.append(PayloadRow(_("Note"), str(_("Privileged role: the user must use MFA."))))
    return rows


register_presenter("identity.role_grant", _role_grant_rows)
