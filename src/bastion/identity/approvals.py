"""Registry of dual-control request kinds (R1.4): who may approve each, and how it is applied.

Later apps register their own kinds (rule activation, payment release, large transfers, ...) with
:func:`register_kind`; the generic actions in :mod:`bastion.identity.actions.approvals` do the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.functional import Promise

if TYPE_CHECKING:
    from bastion.identity.models import ApprovalRequest, User
    from bastion.platform.scoping import Principal


@dataclass(frozen=True)
class ApprovalKind:
    """One kind of maker-checker request."""

    kind: str
    label: Promise | str
    approve_permission: str
    apply: Callable[[ApprovalRequest, User], dict[str, Any]]
    validate: Callable[[dict[str, Any]], None] | None = None


_KINDS: dict[str, ApprovalKind] = {}


def register_kind(definition: ApprovalKind) -> ApprovalKind:
    if definition.kind in _KINDS and _KINDS[definition.kind] != definition:
        raise ValueError(f"approval kind {definition.kind!r} registered twice")
    _KINDS[definition.kind] = definition
    return definition


def approval_kind(kind: str) -> ApprovalKind:
    try:
        return _KINDS[kind]
    except KeyError as exc:
        raise LookupError(f"unknown approval kind {kind!r}") from exc


def registered_kinds() -> dict[str, ApprovalKind]:
    return dict(_KINDS)


def kinds_approvable_by(principal: Principal) -> list[str]:
    return [k.kind for k in _KINDS.values() if principal.has_permission(k.approve_permission)]


def _register_builtin_kinds() -> None:
    from django.utils.translation import gettext_lazy as _

    from bastion.identity.actions.roles import apply_role_grant, validate_role_grant

    register_kind(
        ApprovalKind(
            kind="identity.role_grant",
            label=_("Role grant"),
            approve_permission="identity.approve_role_grant",
            apply=apply_role_grant,
            validate=validate_role_grant,
        )
    )


_register_builtin_kinds()
