"""Helpers shared by the devices actions."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from bastion.devices.models import Device
from bastion.platform.errors import NotFound, PermissionDenied
from bastion.platform.scoping import get_scoped_object


def require(actor: Any, code: str) -> None:
    """Refuse a human or token actor without ``code``; ``None`` is the system and may act."""
    if actor is not None and not actor.has_permission(code):
        raise PermissionDenied(_("You lack the permission %(code)s.") % {"code": code})


def device_for(actor: Any, device_id: int, *, lock: bool = False) -> Device:
    """The device, inside the actor's branch scope (404 outside it); the system sees every device."""
    queryset = Device.objects.select_related("branch")
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    if actor is None:
        device = queryset.filter(pk=device_id).first()
        if device is None:
            raise NotFound(_("Device not found."))
        return device
    return get_scoped_object(queryset, actor, pk=device_id)


def user_of(actor: Any) -> Any:
    """The person behind an actor, for "who" columns: a user, a token's owner, or None (system)."""
    from bastion.identity.models import ApiToken, User

    if isinstance(actor, User):
        return actor
    if isinstance(actor, ApiToken):
        return actor.owner
    return None


def require_person(actor: Any) -> None:
    """Dual control binds named people: machine tokens neither request nor approve."""
    from bastion.identity.models import User

    if not isinstance(actor, User):
        raise PermissionDenied(_("Only a signed-in person can do this."), code="person_required")
