"""Audit trail endpoints for auditors: search, one event, chain verification and export.

Reads go through :mod:`bastion.audit.services` (branch-scoped: an event of another branch is 404);
the export is written by :func:`bastion.audit.actions.do_export_events`, which logs it as a
sensitive read in the trail itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import AwareDatetime, Field

from bastion.audit import actions, services
from bastion.audit.models import AuditEvent
from bastion.platform.api_helpers import ERRORS, PageQuery, page_of, principal_of, require_permission

router = Router(tags=["audit"])


class AuditEventOut(Schema):
    seq: int
    occurred_at: datetime
    actor_type: str
    actor_id: int | None
    actor_label: str
    source_ip: str
    request_id: str
    channel: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    branch_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    extra: dict[str, Any]
    prev_hash: str
    row_hash: str


class AuditEventPage(Schema):
    items: list[AuditEventOut]
    page: int
    page_size: int
    total: int


class AuditFilter(Schema):
    actor: str | None = Field(None, max_length=150, description="Part of the actor's label.")
    action: str | None = Field(
        None, max_length=80, description='Exact action, or a prefix ending in "." (e.g. "read.").'
    )
    object_type: str | None = Field(None, max_length=80)
    object_id: str | None = Field(None, max_length=64)
    branch_id: int | None = None
    since: AwareDatetime | None = Field(None, description="Inclusive, with a time zone.")
    until: AwareDatetime | None = Field(None, description="Exclusive, with a time zone.")

    def as_search(self) -> dict[str, Any]:
        return {
            "actor_label": self.actor,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "branch_id": self.branch_id,
            "since": self.since,
            "until": self.until,
        }


class ExportQuery(AuditFilter):
    format: Literal["csv", "json"] = "csv"


class VerificationOut(Schema):
    ok: bool
    events: int
    head_seq: int | None
    head_hash: str
    first_bad_seq: int | None
    problem: str | None
    message: str
    checked_at: datetime


@router.get("/events", response={200: AuditEventPage, **ERRORS}, summary="Search the audit trail")
def list_events(
    request: HttpRequest, paging: Query[PageQuery], filters: Query[AuditFilter]
) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, services.VIEW_PERMISSION)
    return page_of(services.search_events(principal=principal, **filters.as_search()), paging)


@router.get("/events/{seq}", response={200: AuditEventOut, **ERRORS}, summary="One event by sequence")
def get_event(request: HttpRequest, seq: int) -> AuditEvent:
    principal = principal_of(request)
    require_permission(principal, services.VIEW_PERMISSION)
    return services.get_event(principal=principal, seq=seq)


@router.get("/verify", response={200: VerificationOut, **ERRORS}, summary="Recompute the hash chain")
def verify(request: HttpRequest) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, services.VIEW_PERMISSION)
    result = services.verify_chain()
    return {
        "ok": result.ok,
        "events": result.events,
        "head_seq": result.head_seq,
        "head_hash": result.head_hash,
        "first_bad_seq": result.first_bad_seq,
        "problem": result.problem,
        "message": result.message,
        "checked_at": timezone.now(),
    }


@router.get(
    "/export",
    response={200: None, **ERRORS},
    summary="Export matching events (CSV or JSON); logged as a sensitive read",
    openapi_extra={
        "responses": {
            # The same key (an int) as ninja's own entry, so this replaces it instead of repeating it.
            200: {
                "description": "The events, oldest first",
                "content": {"text/csv": {}, "application/json": {}},
            }
        }
    },
)
def export(request: HttpRequest, query: Query[ExportQuery]) -> HttpResponse:
    principal = principal_of(request)
    require_permission(principal, services.EXPORT_PERMISSION)
    content = actions.do_export_events(principal=principal, **query.as_search(), fmt=query.format)
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    media_type = "text/csv; charset=utf-8" if query.format == "csv" else "application/json"
    response = HttpResponse(content, content_type=media_type)
    response["Content-Disposition"] = f'attachment; filename="bastion-audit-{stamp}.{query.format}"'
    response["Cache-Control"] = "no-store"
    return response
