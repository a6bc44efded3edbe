"""Who the service desk tells, and the one call into the notify app (contract: notify.do_notify).

``do_notify`` creates its rows inside the caller's transaction and sends after commit, so calling it
from an action is safe: a rollback sends nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from django.db.models import Q
from django.urls import reverse

from bastion.identity.models import User
from bastion.servicedesk.models import WorkOrder

logger = logging.getLogger(__name__)


def order_link(order: WorkOrder) -> str:
    return reverse("servicedesk:order", args=[order.pk])


def supervisors_for(order: WorkOrder) -> list[User]:
    """Support supervisors whose scope covers the order's branch."""
    return _holders_of_role("support_supervisor", order.branch_id)


def managers_for(order: WorkOrder) -> list[User]:
    """Branch managers of the order's branch (major faults are reported to them, R3.6)."""
    return _holders_of_role("branch_manager", order.branch_id, institution_wide=False)


def _holders_of_role(role: str, branch_id: int, *, institution_wide: bool = True) -> list[User]:
    scope = Q(home_branch_id=branch_id) | Q(extra_branches__id=branch_id)
    if institution_wide:
        scope |= Q(institution_wide=True)
    return list(
        User.objects.filter(scope, is_active=True, user_roles__role__code=role).distinct().order_by("pk")
    )


def notify(
    *,
    recipients: Iterable[User | None],
    kind: str,
    subject: str,
    body: str,
    order: WorkOrder,
    channels: Sequence[str] | None = None,
    actor: object = None,
) -> int:
    """Send through notify.do_notify to each distinct recipient; returns how many were addressed."""
    unique: dict[int, User] = {}
    for user in recipients:
        if user is not None and user.is_active:
            unique.setdefault(user.pk, user)
    if not unique:
        return 0
    try:
        from bastion.notify.actions import do_notify
    except ImportError:  # the notify app is not installed in this build: log, never fail the order
        logger.warning("notify app missing; %s for %s not sent", kind, order.number)
        return 0
    do_notify(
        recipients=list(unique.values()),
        kind=kind,
        subject=subject,
        body=body,
        link=order_link(order),
        channels=channels,
        obj=order,
        actor=actor,
    )
    return len(unique)
