"""Named lists API (R5.5), mounted into the risk router (``/api/v1/risk/lists...``).

Lists are institution-wide: risk analysts and AML officers maintain them together, compliance
officers and auditors read them. Entries are never deleted; ``POST .../remove`` closes one with a
reason. A change reaches every scorer within the rule-set poll interval (at once in this process).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from bastion.platform.api_helpers import ERRORS, PageQuery, page_of, principal_of, require_permission
from bastion.risk import permissions as perms
from bastion.risk.actions import lists as actions
from bastion.risk.choices import ListEntryState, ListEntryType, ListKind
from bastion.risk.models import ListEntry, RiskList
from bastion.risk.services import lists as services


class Page(Schema):
    items: list[dict[str, Any]]
    page: int
    page_size: int
    total: int


class ListIn(Schema):
    name: str = Field(..., max_length=60, description='How rules refer to it: list("name").')
    title: str = Field(..., max_length=200)
    kind: ListKind
    description: str = Field("", max_length=1000)
    owner_team_id: int | None = Field(None, description="The team that maintains it.")


class EntryIn(Schema):
    value: str = Field(..., max_length=128)
    entry_type: ListEntryType
    reason: str = Field(..., max_length=500)
    expires_at: datetime | None = Field(None, description="ISO 8601 with a time zone; empty: no expiry.")


class RemoveIn(Schema):
    reason: str = Field(..., max_length=500)


class EntryFilter(Schema):
    state: ListEntryState | None = Field(None, description="live, expired or removed.")
    entry_type: ListEntryType | None = None
    q: str = Field("", max_length=128, description="Part of the value.")


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def render_list(risk_list: RiskList) -> dict[str, Any]:
    return {
        "name": risk_list.name,
        "title": risk_list.title,
        "kind": risk_list.kind,
        "description": risk_list.description,
        "owner_team": risk_list.owner_team.code if risk_list.owner_team else None,
        "live_entries": getattr(risk_list, "live_count", None),
        "revision": risk_list.revision,
        "created_at": _iso(risk_list.created_at),
    }


def render_entry(entry: ListEntry) -> dict[str, Any]:
    from django.utils import timezone

    return {
        "id": entry.pk,
        "value": entry.value,
        "entry_type": entry.entry_type,
        "reason": entry.reason,
        "department": entry.department,
        "state": str(entry.state_at(timezone.now())),
        "added_at": _iso(entry.added_at),
        "added_by": entry.added_by.get_username() if entry.added_by else None,
        "expires_at": _iso(entry.expires_at),
        "removed_at": _iso(entry.removed_at),
        "removed_by": entry.removed_by.get_username() if entry.removed_by else None,
        "removal_reason": entry.removal_reason,
    }


def mount(router: Router) -> None:
    """Add the list operations to the risk router."""
    options: dict[str, Any] = {"tags": ["risk: lists"]}
    router.add_api_operation(
        "/lists", ["GET"], list_lists, response={200: Page, **ERRORS}, summary="Named lists", **options
    )
    router.add_api_operation(
        "/lists", ["POST"], create_list, response={201: dict[str, Any], **ERRORS}, summary="Create a list",
        **options,
    )  # fmt: skip
    router.add_api_operation(
        "/lists/{name}/entries", ["GET"], list_entries, response={200: Page, **ERRORS},
        summary="A list's entries, newest first", **options,
    )  # fmt: skip
    router.add_api_operation(
        "/lists/{name}/entries", ["POST"], add_entry, response={201: dict[str, Any], **ERRORS},
        summary="Put a value on a list", **options,
    )  # fmt: skip
    router.add_api_operation(
        "/lists/{name}/entries/{entry_id}/remove", ["POST"], remove_entry,
        response={200: dict[str, Any], **ERRORS}, summary="Take a value off a list, with a reason", **options,
    )  # fmt: skip


def list_lists(request: HttpRequest, paging: Query[PageQuery]) -> Any:
    require_permission(principal_of(request), perms.VIEW_LISTS)
    return page_of(services.list_lists(), paging, render_list)


def create_list(request: HttpRequest, payload: ListIn) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.EDIT_LISTS)
    created = actions.do_create_list(
        name=payload.name, title=payload.title, kind=payload.kind.value, description=payload.description,
        owner_team_id=payload.owner_team_id, actor=principal,
    )  # fmt: skip
    return Status(201, render_list(services.get_list(name=created.name)))


def list_entries(
    request: HttpRequest, name: str, paging: Query[PageQuery], filters: Query[EntryFilter]
) -> Any:
    require_permission(principal_of(request), perms.VIEW_LISTS)
    found = services.list_entries(
        services.get_list(name=name),
        state=filters.state.value if filters.state else None,
        entry_type=filters.entry_type.value if filters.entry_type else None,
        search=filters.q,
    )
    return page_of(found, paging, render_entry)


def add_entry(request: HttpRequest, name: str, payload: EntryIn) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.EDIT_LISTS)
    entry = actions.do_add_list_entry(
        list_name=name, value=payload.value, entry_type=payload.entry_type.value, reason=payload.reason,
        expires_at=payload.expires_at, actor=principal,
    )  # fmt: skip
    return Status(201, render_entry(entry))


def remove_entry(request: HttpRequest, name: str, entry_id: int, payload: RemoveIn) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.EDIT_LISTS)
    return render_entry(
        actions.do_remove_list_entry(
            list_name=name, entry_id=entry_id, reason=payload.reason, actor=principal
        )
    )
