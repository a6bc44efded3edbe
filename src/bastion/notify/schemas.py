"""Request and response shapes of the notify API."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import Field

from bastion.notify.choices import Channel, NotificationStatus


class NotificationOut(Schema):
    id: int
    kind: str
    channel: str
    subject: str
    body: str
    link: str
    object_type: str
    object_id: str
    created_at: datetime
    read_at: datetime | None


class NotificationPage(Schema):
    items: list[NotificationOut]
    page: int
    page_size: int
    total: int


class InboxFilter(Schema):
    unread: bool = False


class UnreadOut(Schema):
    unread: int


class MarkedOut(Schema):
    marked: int


class PreferenceIn(Schema):
    kind: str = Field("*", min_length=1, max_length=60)
    channels: list[Channel] = Field(..., min_length=1, max_length=6)


class PreferencesOut(Schema):
    preferences: dict[str, list[str]]


class AttemptOut(Schema):
    number: int
    started_at: datetime
    finished_at: datetime
    outcome: str
    detail: str


class DeliveryOut(Schema):
    id: int
    recipient_id: int
    kind: str
    channel: str
    subject: str
    status: str
    attempts: list[AttemptOut]
    last_error: str
    created_at: datetime
    sent_at: datetime | None


class DeliveryPage(Schema):
    items: list[DeliveryOut]
    page: int
    page_size: int
    total: int


class DeliveryFilter(Schema):
    status: NotificationStatus | None = None
    channel: Channel | None = None
