"""REST API of the intake channels (mounted under /api/v1/servicedesk/intake).

The intake log (what came in by e-mail and WeChat and what became of it) and the WeChat reporter
bindings, both inside the caller's branch scope.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from bastion.platform.api_helpers import ERRORS, PageQuery, page_of, principal_of, require_permission
from bastion.servicedesk.intake import services
from bastion.servicedesk.intake.actions import do_bind_wechat_reporter
from bastion.servicedesk.intake.models import IntakeMessage, WeChatReporter
from bastion.servicedesk.intake.permissions import MANAGE_INTAKE
from bastion.servicedesk.permissions import VIEW

router = Router(tags=["servicedesk"])


class IntakeMessageOut(Schema):
    id: int
    channel: str
    direction: str
    outcome: str
    branch_id: int | None
    work_order_id: int | None
    sender_name: str
    subject: str
    detail: str
    received_at: dt.datetime


class IntakeMessagePage(Schema):
    items: list[IntakeMessageOut]
    page: int
    page_size: int
    total: int


class IntakeFilterIn(Schema):
    channel: Literal["email", "wechat"] | None = None
    outcome: Literal["opened", "threaded", "unrouted", "ignored", "failed", "pending", "sent"] | None = None


class WeChatReporterOut(Schema):
    id: int
    openid: str
    display_name: str
    contact: str
    branch_id: int
    user_id: int | None
    is_active: bool


class WeChatReporterPage(Schema):
    items: list[WeChatReporterOut]
    page: int
    page_size: int
    total: int


class WeChatReporterIn(Schema):
    openid: str = Field(min_length=1, max_length=64)
    display_name: str = Field(min_length=1, max_length=100)
    contact: str = Field("", max_length=100)
    branch_id: int
    user_id: int | None = None


def _message(message: IntakeMessage) -> dict[str, Any]:
    return {
        name: getattr(message, name)
        for name in (
            "id",
            "channel",
            "direction",
            "outcome",
            "branch_id",
            "work_order_id",
            "sender_name",
            "subject",
            "detail",
            "received_at",
        )
    }


def _reporter(reporter: WeChatReporter) -> dict[str, Any]:
    return {
        name: getattr(reporter, name)
        for name in ("id", "openid", "display_name", "contact", "branch_id", "user_id", "is_active")
    }


@router.get("/messages", response={200: IntakeMessagePage, **ERRORS}, summary="The intake log")
def list_messages(
    request: HttpRequest, paging: Query[PageQuery], filters: Query[IntakeFilterIn]
) -> dict[str, Any]:
    """E-mail and WeChat messages in the caller's branches, newest first, with what became of each."""
    principal = principal_of(request)
    require_permission(principal, VIEW)
    found = services.list_intake_messages(principal=principal)
    if filters.channel:
        found = found.filter(channel=filters.channel)
    if filters.outcome:
        found = found.filter(outcome=filters.outcome)
    return page_of(found, paging, _message)


@router.get("/wechat-reporters", response={200: WeChatReporterPage, **ERRORS}, summary="WeChat reporters")
def list_reporters(request: HttpRequest, paging: Query[PageQuery]) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, MANAGE_INTAKE)
    return page_of(services.list_wechat_reporters(principal=principal), paging, _reporter)


@router.post(
    "/wechat-reporters", response={201: WeChatReporterOut, **ERRORS}, summary="Register a WeChat follower"
)
def bind_reporter(request: HttpRequest, payload: WeChatReporterIn) -> Status[dict[str, Any]]:
    """Create or update the binding of an OpenID to a name and a branch in the caller's scope."""
    principal = principal_of(request)
    require_permission(principal, MANAGE_INTAKE)
    reporter = do_bind_wechat_reporter(**payload.dict(), actor=principal)
    return Status(201, _reporter(reporter))
