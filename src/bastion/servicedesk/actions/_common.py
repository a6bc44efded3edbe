"""Helpers every service-desk action shares: permission checks, actor labels, timeline lines."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from bastion.identity.models import User
from bastion.platform.errors import FieldError, NotFound, PermissionDenied
from bastion.platform.scoping import get_scoped_object
from bastion.servicedesk.choices import NoteSource, TimelineKind
from bastion.servicedesk.models import TimelineEntry, WorkOrder


def require(actor: Any, code: str) -> None:
    """Refuse unless the actor holds ``code``; ``None`` is the system and may do anything."""
    if actor is not None and not actor.has_permission(code):
        raise PermissionDenied(
            _("You lack the permission %(code)s.") % {"code": code}, code="permission_denied"
        )


def require_branch(actor: Any, branch_id: int, *, field: str = "branch_id") -> None:
    """A branch named in the input outside the actor's scope is refused like an unknown one."""
    if actor is not None and not actor.branch_scope().allows(branch_id):
        raise FieldError(field, _("Unknown branch."))


def load_order(actor: Any, work_order_id: int, *, lock: bool = True) -> WorkOrder:
    """The order, locked for update, inside the actor's scope (404 otherwise)."""
    orders = WorkOrder.objects.select_related("branch", "device")
    if lock:
        orders = orders.select_for_update(of=("self",))
    if actor is None:
        order = orders.filter(pk=work_order_id).first()
        if order is None:
            raise NotFound(_("Work order not found."))
        return order
    return get_scoped_object(orders, actor, pk=work_order_id)


def person(actor: Any) -> User | None:
    """The staff member behind an actor (an API token acts for nobody in particular)."""
    return actor if isinstance(actor, User) else None


def label_of(actor: Any) -> str:
    if actor is None:
        return "system"
    if isinstance(actor, User):
        return actor.display_name
    return str(getattr(actor, "display_name", actor))[:150]


def add_timeline(
    order: WorkOrder,
    *,
    kind: str,
    actor: Any,
    text: str = "",
    source: str = NoteSource.SYSTEM,
    from_status: str = "",
    to_status: str = "",
    external_ref: str = "",
    data: dict[str, Any] | None = None,
) -> TimelineEntry:
    """Append one line to the order's timeline, stamped now."""
    return TimelineEntry.objects.create(
        work_order=order,
        kind=kind,
        at=timezone.now(),
        actor=person(actor),
        actor_label=label_of(actor),
        source=source,
        text=text,
        from_status=from_status,
        to_status=to_status,
        external_ref=external_ref,
        data=data or {},
    )


def snapshot(order: WorkOrder) -> dict[str, Any]:
    """The fields the audit trail compares before and after a change."""
    return {
        "status": order.status,
        "priority": order.priority,
        "assignee_id": order.assignee_id,
        "team_id": order.team_id,
        "support_level": order.support_level,
        "response_due_at": order.response_due_at,
        "resolution_due_at": order.resolution_due_at,
    }


__all__ = [
    "TimelineKind",
    "add_timeline",
    "label_of",
    "load_order",
    "person",
    "require",
    "require_branch",
    "snapshot",
]
