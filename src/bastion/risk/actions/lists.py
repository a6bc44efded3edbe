"""Writes of the named lists (R5.5): create a list, add and remove entries. Each is audited.

After commit, the scorers of this process are told at once; other processes see the new revision
on their next poll (the same path as rule-set activation, docs/decisions/0505).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from bastion.audit.actions import record_event
from bastion.identity.models import Team
from bastion.platform.errors import Conflict, FieldError, NotFound
from bastion.risk import permissions as perms
from bastion.risk.actions.rules import _require, _user_of
from bastion.risk.choices import ListEntryType, ListKind
from bastion.risk.models import ListEntry, RiskList

NAME_PATTERN = "abcdefghijklmnopqrstuvwxyz0123456789_-"


def _lists_changed() -> None:
    from bastion.risk.scorer import lists_changed

    transaction.on_commit(lists_changed)


def _clean(value: str | None, field: str, limit: int, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise FieldError(field, _("This field is required."))
    if len(value) > limit:
        raise FieldError(field, _("At most %(n)d characters.") % {"n": limit})
    return value


def _department(user: Any) -> str:
    if user is None:
        return ""
    team = user.teams.order_by("code").first()
    return team.name if team else ""


def do_create_list(
    *, name: str, title: str, kind: str, description: str = "", owner_team_id: int | None = None, actor: Any
) -> RiskList:
    """Create a named list that rules can refer to."""
    _require(actor, perms.EDIT_LISTS)
    name = _clean(name, "name", 60).lower()
    if any(c not in NAME_PATTERN for c in name):
        raise FieldError("name", _("Use lower-case letters, digits, hyphens and underscores."))
    title = _clean(title, "title", 200)
    if kind not in ListKind.values:
        raise FieldError("kind", _("Choose one of: %(choices)s.") % {"choices": ", ".join(ListKind.values)})
    description = _clean(description, "description", 1000, required=False)
    team = None
    if owner_team_id is not None:
        team = Team.objects.filter(pk=owner_team_id).first()
        if team is None:
            raise FieldError("owner_team_id", _("Unknown team."))
    with transaction.atomic():
        if RiskList.objects.filter(name=name).exists():
            raise FieldError("name", _("A list with this name exists."))
        created = RiskList.objects.create(
            name=name, title=title, kind=kind, description=description, owner_team=team,
            created_by=_user_of(actor),
        )  # fmt: skip
        record_event(
            action="risk.create_list",
            actor=actor,
            obj=created,
            after={"name": name, "title": title, "kind": kind, "owner_team": team.code if team else None},
        )
        _lists_changed()
    return created


def do_add_list_entry(
    *,
    list_name: str,
    value: str,
    entry_type: str,
    reason: str,
    expires_at: datetime | None = None,
    actor: Any,
) -> ListEntry:
    """Put a value on a list, with its reason and optional expiry; in force for the next payment."""
    _require(actor, perms.EDIT_LISTS)
    value = _clean(value, "value", 128)
    if entry_type not in ListEntryType.values:
        raise FieldError(
            "entry_type", _("Choose one of: %(choices)s.") % {"choices": ", ".join(ListEntryType.values)}
        )
    reason = _clean(reason, "reason", 500)
    now = timezone.now()
    if expires_at is not None:
        if timezone.is_naive(expires_at):
            raise FieldError("expires_at", _("Give a time zone (for example +08:00)."))
        if expires_at <= now:
            raise FieldError("expires_at", _("The expiry must be in the future."))
    user = _user_of(actor)
    with transaction.atomic():
        risk_list = RiskList.objects.select_for_update().filter(name=list_name).first()
        if risk_list is None:
            raise NotFound(_("List not found."))
        # An expired entry of the same value is closed so the new one can take its place.
        ListEntry.objects.filter(
            risk_list=risk_list, value=value, removed_at__isnull=True, expires_at__lte=now
        ).update(removed_at=now, removal_reason="expired")
        try:
            with transaction.atomic():
                entry = ListEntry.objects.create(
                    risk_list=risk_list, value=value, entry_type=entry_type, reason=reason,
                    department=_department(user), added_at=now, added_by=user, expires_at=expires_at,
                )  # fmt: skip
        except IntegrityError:
            raise Conflict(_("This value is already on the list."), code="already_listed") from None
        RiskList.objects.filter(pk=risk_list.pk).update(revision=F("revision") + 1)
        record_event(
            action="risk.add_list_entry",
            actor=actor,
            obj=entry,
            after={
                "list": risk_list.name, "value": value, "type": entry_type, "reason": reason,
                "expires_at": expires_at.isoformat() if expires_at else None,
            },
        )  # fmt: skip
        _lists_changed()
    return entry


def do_remove_list_entry(*, list_name: str, entry_id: int, reason: str, actor: Any) -> ListEntry:
    """Take a value off a list (the entry stays, marked removed, with who and why)."""
    _require(actor, perms.EDIT_LISTS)
    reason = _clean(reason, "reason", 500)
    with transaction.atomic():
        entry = (
            ListEntry.objects.select_for_update()
            .select_related("risk_list")
            .filter(pk=entry_id, risk_list__name=list_name)
            .first()
        )
        if entry is None:
            raise NotFound(_("List entry not found."))
        if entry.removed_at is not None:
            raise Conflict(_("This entry was already removed."), code="already_removed")
        entry.removed_at, entry.removed_by, entry.removal_reason = timezone.now(), _user_of(actor), reason
        entry.save(update_fields=["removed_at", "removed_by", "removal_reason"])
        RiskList.objects.filter(pk=entry.risk_list_id).update(revision=F("revision") + 1)
        record_event(
            action="risk.remove_list_entry",
            actor=actor,
            obj=entry,
            before={"list": entry.risk_list.name, "value": entry.value},
            after={"removed": True, "reason": reason},
        )
        _lists_changed()
    return entry
