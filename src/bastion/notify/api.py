"""REST API of the notify app (mounted under /api/v1/notifications).

The inbox is the caller's own: a person's session, or an API token acting for its owner. Someone
else's notification answers 404. The delivery log is branch-scoped by the recipient's home branch.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from bastion.notify import actions, services
from bastion.notify.models import Notification
from bastion.notify.schemas import (
    DeliveryFilter,
    DeliveryPage,
    InboxFilter,
    MarkedOut,
    NotificationOut,
    NotificationPage,
    PreferenceIn,
    PreferencesOut,
    UnreadOut,
)
from bastion.platform.api_helpers import ERRORS, PageQuery, page_of, principal_of, require_permission

router = Router(tags=["notify"])


def _person(request: HttpRequest) -> Any:
    from bastion.identity.models import ApiToken

    principal = principal_of(request)
    return principal.owner if isinstance(principal, ApiToken) else principal


def _render(item: Notification) -> dict[str, Any]:
    return {
        "id": item.pk,
        "kind": item.kind,
        "channel": item.channel,
        "subject": item.subject,
        "body": item.body,
        "link": item.link,
        "object_type": item.object_type,
        "object_id": item.object_id,
        "created_at": item.created_at,
        "read_at": item.read_at,
    }


def _render_delivery(item: Notification) -> dict[str, Any]:
    return {
        "id": item.pk,
        "recipient_id": item.recipient_id,
        "kind": item.kind,
        "channel": item.channel,
        "subject": item.subject,
        "status": item.status,
        "attempts": [
            {
                "number": a.number,
                "started_at": a.started_at,
                "finished_at": a.finished_at,
                "outcome": a.outcome,
                "detail": a.detail,
            }
            for a in item.delivery_attempts.all()
        ],
        "last_error": item.last_error,
        "created_at": item.created_at,
        "sent_at": item.sent_at,
    }


@router.get("", response={200: NotificationPage, **ERRORS}, summary="My in-app notifications, newest first")
def my_inbox(request: HttpRequest, paging: Query[PageQuery], filters: Query[InboxFilter]) -> dict[str, Any]:
    return page_of(services.inbox(user=_person(request), unread_only=filters.unread), paging, _render)


@router.get(
    "/unread-count", response={200: UnreadOut, **ERRORS}, summary="How many of my notifications are unread"
)
def unread_count(request: HttpRequest) -> dict[str, Any]:
    return {"unread": services.unread_count(user=_person(request))}


@router.post("/read-all", response={200: MarkedOut, **ERRORS}, summary="Mark all my notifications read")
def read_all(request: HttpRequest) -> dict[str, Any]:
    return {"marked": actions.do_mark_all_read(user=_person(request))}


@router.post(
    "/{notification_id}/read", response={200: NotificationOut, **ERRORS}, summary="Mark one notification read"
)
def read_one(request: HttpRequest, notification_id: int) -> dict[str, Any]:
    return _render(actions.do_mark_read(notification_id=notification_id, user=_person(request)))


@router.get("/preferences", response={200: PreferencesOut, **ERRORS}, summary="My channels per kind")
def get_preferences(request: HttpRequest) -> dict[str, Any]:
    return {"preferences": services.preferences(user=_person(request))}


@router.put("/preferences", response={200: PreferencesOut, **ERRORS}, summary="Choose my channels for a kind")
def set_preference(request: HttpRequest, payload: PreferenceIn) -> dict[str, Any]:
    person = _person(request)
    actions.do_set_preference(
        user=person,
        kind=payload.kind,
        channels=[str(c) for c in payload.channels],
        actor=principal_of(request),
    )
    return {"preferences": services.preferences(user=person)}


@router.get(
    "/deliveries", response={200: DeliveryPage, **ERRORS}, summary="Delivery log (e-mail, SMS, chat, webhook)"
)
def deliveries(
    request: HttpRequest, paging: Query[PageQuery], filters: Query[DeliveryFilter]
) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, services.VIEW_DELIVERIES_PERMISSION)
    rows = services.delivery_log(
        principal=principal, status=filters.status or "", channel=filters.channel or ""
    )
    return page_of(rows, paging, _render_delivery)
