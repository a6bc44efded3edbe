"""Checks every AML action shares: permission, a named person for dual control, clean text."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from bastion.platform.errors import FieldError, PermissionDenied


def require(actor: Any, code: str) -> None:
    if actor is not None and not actor.has_permission(code):
        raise PermissionDenied(_("You lack the permission %(code)s.") % {"code": code})


def person_of(actor: Any) -> Any:
    """The person behind an actor: a user, a token's owner, or None (the system)."""
    from bastion.identity.models import ApiToken, User

    if isinstance(actor, User):
        return actor
    if isinstance(actor, ApiToken):
        return actor.owner
    return None


def require_person(actor: Any) -> Any:
    """Dual control binds named people: machine tokens neither review nor decide."""
    from bastion.identity.models import User

    if not isinstance(actor, User):
        raise PermissionDenied(_("Only a signed-in person can do this."), code="person_required")
    return actor


def clean_text(value: str | None, field: str, limit: int, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise FieldError(field, _("This field is required."))
    if len(value) > limit:
        raise FieldError(field, _("At most %(n)d characters.") % {"n": limit})
    return value


def choice(value: str | None, field: str, choices: Any) -> str:
    if value not in choices.values:
        raise FieldError(field, _("Choose one of: %(choices)s.") % {"choices": ", ".join(choices.values)})
    return str(value)


def next_number(model: Any, prefix: str, *, digits: int) -> str:
    """The next document number under ``prefix`` (``LV2026112000001``): the highest so far, plus one.

    The caller holds the transaction; a clash with a concurrent writer fails on the unique number.
    """
    last = (
        model.objects.filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    return f"{prefix}{(int(last[len(prefix) :]) + 1 if last else 1):0{digits}d}"
