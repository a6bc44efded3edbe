"""Writes of the notify app: ``do_notify`` (the cross-app contract), delivery, inbox state, preferences.

``do_notify`` writes the rows inside the caller's transaction and queues delivery with
``transaction.on_commit``, so nothing leaves the system for a change that rolls back. Delivery
claims a row briefly, talks to the provider outside any transaction (no lock held during network
I/O), then records the attempt and the outcome; failures are retried with exponential backoff by the
``retry_due_notifications`` task until the attempt budget is spent (decision 0420).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bastion.audit.actions import record_event
from bastion.notify import config, services
from bastion.notify.choices import AttemptOutcome, Channel, NotificationStatus
from bastion.notify.models import ChannelPreference, DeliveryAttempt, Notification
from bastion.notify.providers import DeliveryError, Outbound, provider_for
from bastion.platform.errors import FieldError

logger = logging.getLogger(__name__)

# Seconds to wait before attempt n+1 (after n failures): 1 min, 5 min, 15 min, 1 h, then 1 h.
BACKOFF_SECONDS = (60, 300, 900, 3600)
# A claimed row whose worker died becomes due again after this long.
CLAIM_LEASE = timedelta(minutes=10)


def backoff_after(failures: int) -> timedelta:
    return timedelta(seconds=BACKOFF_SECONDS[min(max(failures, 1), len(BACKOFF_SECONDS)) - 1])


def _reference(obj: models.Model | None) -> tuple[str, str]:
    if obj is None:
        return "", ""
    return obj._meta.label_lower, str(obj.pk)


def _clean_channels(channels: Sequence[str]) -> list[str]:
    unknown = [c for c in channels if c not in Channel.values]
    if unknown:
        raise FieldError("channels", _("Unknown channel: %(channel)s.") % {"channel": unknown[0]})
    return list(dict.fromkeys(channels))


def do_notify(
    *,
    recipients: Sequence[Any],
    kind: str,
    subject: str,
    body: str,
    link: str = "",
    channels: Sequence[str] | None = None,
    obj: models.Model | None = None,
    actor: Any = None,
) -> list[Notification]:
    """Notify people: one row per recipient and channel now, delivery after the caller commits.

    ``channels=None`` uses each recipient's preferences for ``kind`` (default in-app and e-mail).
    Inactive accounts are skipped. In-app rows are delivered by being stored.
    """
    kind = kind.strip()
    if not kind or len(kind) > 60:
        raise FieldError("kind", _("A kind of at most 60 characters is required."))
    if not subject.strip():
        raise FieldError("subject", _("A subject is required."))
    explicit = _clean_channels(channels) if channels is not None else None
    object_type, object_id = _reference(obj)
    now = timezone.now()
    created: list[Notification] = []
    with transaction.atomic():
        for recipient in dict.fromkeys(r for r in recipients if r is not None and r.is_active):
            wanted = explicit if explicit is not None else services.channels_for(user=recipient, kind=kind)
            for channel in wanted:
                in_app = channel == Channel.IN_APP
                created.append(
                    Notification(
                        recipient=recipient,
                        kind=kind,
                        channel=channel,
                        subject=subject.strip()[:200],
                        body=body,
                        link=link[:500],
                        object_type=object_type,
                        object_id=object_id,
                        status=NotificationStatus.SENT if in_app else NotificationStatus.PENDING,
                        sent_at=now if in_app else None,
                        next_attempt_at=None if in_app else now,
                        created_at=now,
                    )
                )
        Notification.objects.bulk_create(created)
        if created:
            record_event(
                action="notify.notified",
                actor=actor,
                object_type=object_type or "notify.notification",
                object_id=object_id or str(created[0].pk),
                object_repr=subject[:300],
                extra={
                    "kind": kind,
                    "recipients": sorted({n.recipient_id for n in created}),
                    "channels": sorted({n.channel for n in created}),
                    "notifications": [n.pk for n in created],
                },
            )
        outgoing = [n.pk for n in created if n.channel != Channel.IN_APP]
        if outgoing:
            transaction.on_commit(lambda: _enqueue(outgoing))
    return created


def _enqueue(notification_ids: list[int]) -> None:
    from bastion.notify.tasks import deliver_notification

    for pk in notification_ids:
        try:
            deliver_notification(pk)
        except Exception:  # the queue being down must not fail the caller; the sweep retries
            logger.exception("could not queue notification %s; the retry sweep will pick it up", pk)


def _claim(notification_id: int) -> Notification | None:
    """Take a due, pending notification for one attempt (None when it is not due or not pending)."""
    now = timezone.now()
    with transaction.atomic():
        row = (
            Notification.objects.select_for_update()
            .select_related("recipient")
            .filter(pk=notification_id, status=NotificationStatus.PENDING)
            .first()
        )
        if row is None or (row.next_attempt_at is not None and row.next_attempt_at > now):
            return None
        row.attempts += 1
        row.next_attempt_at = now + CLAIM_LEASE
        row.save(update_fields=["attempts", "next_attempt_at"])
    return row


def _outbound(row: Notification) -> Outbound:
    link = row.link
    if link.startswith("/"):
        link = config.base_url() + link
    user = row.recipient
    return Outbound(
        notification_id=row.pk,
        kind=row.kind,
        subject=row.subject,
        body=row.body,
        link=link,
        recipient_name=user.display_name,
        email=user.email,
        phone=user.phone or "",
        object_type=row.object_type,
        object_id=row.object_id,
    )


def do_deliver_notification(*, notification_id: int) -> str | None:
    """Make one delivery attempt of a pending notification; returns the outcome, None if not due."""
    row = _claim(notification_id)
    if row is None:
        return None
    started = timezone.now()
    try:
        detail = provider_for(row.channel).send(_outbound(row))
        outcome = AttemptOutcome.SENT
    except DeliveryError as exc:
        detail = str(exc)
        exhausted = row.attempts >= config.max_attempts()
        outcome = AttemptOutcome.RETRY if exc.retryable and not exhausted else AttemptOutcome.FAILED
    except Exception as exc:  # a provider bug is recorded and retried like a transient failure
        logger.exception("provider for %s failed on notification %s", row.channel, row.pk)
        detail = f"{type(exc).__name__}: {exc}"
        outcome = AttemptOutcome.RETRY if row.attempts < config.max_attempts() else AttemptOutcome.FAILED
    finished = timezone.now()
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            notification=row,
            number=row.attempts,
            started_at=started,
            finished_at=finished,
            outcome=outcome,
            detail=detail[:500],
        )
        changes: dict[str, Any] = {"last_error": "" if outcome == AttemptOutcome.SENT else detail[:500]}
        if outcome == AttemptOutcome.SENT:
            changes |= {"status": NotificationStatus.SENT, "sent_at": finished, "next_attempt_at": None}
        elif outcome == AttemptOutcome.RETRY:
            changes |= {"next_attempt_at": finished + backoff_after(row.attempts)}
        else:
            changes |= {"status": NotificationStatus.FAILED, "next_attempt_at": None}
        Notification.objects.filter(pk=row.pk).update(**changes)
    return str(outcome)


def due_notification_ids(*, limit: int = 500) -> list[int]:
    """Pending notifications whose next attempt is due (retries, and any the queue lost)."""
    return list(
        Notification.objects.filter(status=NotificationStatus.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def do_mark_read(*, notification_id: int, user: Any) -> Notification:
    """Mark one of the person's own in-app notifications read (inbox state, not audited)."""
    item = services.get_inbox_item(user=user, notification_id=notification_id)
    if item.read_at is None:
        item.read_at = timezone.now()
        Notification.objects.filter(pk=item.pk, read_at__isnull=True).update(read_at=item.read_at)
    return item


def do_mark_all_read(*, user: Any) -> int:
    return services.inbox(user=user, unread_only=True).update(read_at=timezone.now())


def do_set_preference(*, user: Any, kind: str, channels: Sequence[str], actor: Any) -> ChannelPreference:
    """Choose the channels for one kind of notification (``*`` for all kinds without their own)."""
    kind = (kind or "*").strip()
    if len(kind) > 60:
        raise FieldError("kind", _("At most 60 characters."))
    cleaned = _clean_channels(channels)
    if not cleaned:
        raise FieldError("channels", _("Choose at least one channel."))
    with transaction.atomic():
        pref = ChannelPreference.objects.select_for_update().filter(user_id=user.pk, kind=kind).first()
        before = {"channels": pref.channels} if pref else None
        if pref is None:
            pref = ChannelPreference(user_id=user.pk, kind=kind)
        pref.channels = cleaned
        pref.save()
        record_event(
            action="notify.preference_set",
            actor=actor,
            obj=pref,
            before=before,
            after={"kind": kind, "channels": cleaned},
        )
    return pref
