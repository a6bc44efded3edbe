"""Reads of the notify app: a person's inbox, unread count, preferences, the delivery log."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from bastion.notify.choices import DEFAULT_CHANNELS, Channel
from bastion.notify.models import ChannelPreference, Notification
from bastion.platform.errors import NotFound
from bastion.platform.scoping import scoped

VIEW_DELIVERIES_PERMISSION = "notify.view_deliveries"


def inbox(*, user: Any, unread_only: bool = False) -> QuerySet[Notification]:
    """The in-app notifications of one person, newest first."""
    rows = Notification.objects.filter(recipient_id=user.pk, channel=Channel.IN_APP)
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    return rows.order_by("-created_at", "-id")


def unread_count(*, user: Any) -> int:
    return inbox(user=user, unread_only=True).count()


def get_inbox_item(*, user: Any, notification_id: int) -> Notification:
    """One of the person's own in-app notifications; anyone else's answers 404."""
    item = inbox(user=user).filter(pk=notification_id).first()
    if item is None:
        raise NotFound("notification not found")
    return item


def channels_for(*, user: Any, kind: str) -> list[str]:
    """The channels a person wants for ``kind``: their own choice for it, else for ``*``, else default."""
    prefs = {
        p.kind: p.channels for p in ChannelPreference.objects.filter(user_id=user.pk, kind__in=[kind, "*"])
    }
    chosen = prefs.get(kind, prefs.get("*"))
    if chosen is None:
        return list(DEFAULT_CHANNELS)
    return [c for c in chosen if c in Channel.values]


def preferences(*, user: Any) -> dict[str, list[str]]:
    """``{kind: channels}`` of a person, always with a ``*`` entry."""
    found = {p.kind: p.channels for p in ChannelPreference.objects.filter(user_id=user.pk)}
    found.setdefault("*", list(DEFAULT_CHANNELS))
    return found


def delivery_log(*, principal: Any, status: str = "", channel: str = "") -> QuerySet[Notification]:
    """Notifications other than in-app ones, in the principal's branch scope (by recipient's branch)."""
    rows = scoped(Notification.objects.exclude(channel=Channel.IN_APP), principal).select_related("recipient")
    if status:
        rows = rows.filter(status=status)
    if channel:
        rows = rows.filter(channel=channel)
    return rows.prefetch_related("delivery_attempts").order_by("-created_at", "-id")
