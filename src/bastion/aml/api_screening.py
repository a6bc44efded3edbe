"""Screening and typology operations of the AML API: watch lists, real-time name screening, hits,
and the typology parameters with their backtest."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from bastion.aml import permissions as perms
from bastion.aml.actions import screening as actions
from bastion.aml.actions.typologies import backtest_typologies, do_update_typology_settings
from bastion.aml.choices import HitStatus, WatchEntryType, WatchListKind
from bastion.aml.matching import Hit
from bastion.aml.models import ScreeningHit, WatchList, WatchListEntry
from bastion.aml.services import customers as customer_services
from bastion.aml.services import screening as services
from bastion.aml.services.typologies import current_config, current_settings, describe
from bastion.platform.api_helpers import ERRORS, Page, PageQuery, page_of, principal_of, require_permission
from bastion.platform.errors import FieldError


class WatchListIn(Schema):
    code: str = Field(..., max_length=60)
    name: str = Field(..., max_length=200)
    kind: WatchListKind
    source: str = Field("", max_length=200)


class ImportIn(Schema):
    format: str = Field(..., description="csv or xml (Bastion XML or the UN consolidated list).")
    content: str = Field(..., description="The file's text (UTF-8).")
    replace: bool = Field(False, description="Deactivate entries missing from the file.")


class NameIn(Schema):
    name: str = Field(..., min_length=1, max_length=300)
    entry_type: WatchEntryType | None = None
    role: str = Field("", max_length=40, description="E.g. payer or payee; echoed back.")


class ScreenIn(Schema):
    names: list[NameIn] = Field(..., min_length=1, max_length=20)
    payment_id: str = Field("", max_length=128, description="Store hits against this payment.")
    threshold: float = Field(85.0, ge=50, le=100)


class HitFilter(Schema):
    status: HitStatus | None = Field(HitStatus.OPEN)
    subject_kind: str | None = Field(None, description="customer or payment")


class DecideIn(Schema):
    status: str = Field(..., description="confirmed or dismissed")
    reason: str = Field(..., max_length=2000)


class TypologySettingsIn(Schema):
    params: dict[str, Any] = Field(..., description="Overrides of the documented defaults, per typology.")
    note: str = Field(..., max_length=1000)


class BacktestIn(Schema):
    params: dict[str, Any]
    start: dt.date
    end: dt.date


def render_list(watch_list: WatchList) -> dict[str, Any]:
    return {"code": watch_list.code, "name": watch_list.name, "kind": watch_list.kind, "source": watch_list.source,
            "escalate_at_once": watch_list.escalate_at_once, "revision": watch_list.revision,
            "active_entries": getattr(watch_list, "active_count", None),
            "imported_at": watch_list.imported_at.isoformat() if watch_list.imported_at else None}  # fmt: skip


def render_entry(entry: WatchListEntry) -> dict[str, Any]:
    return {"entry_id": entry.entry_id, "entry_type": entry.entry_type, "name": entry.name, "aliases": entry.aliases,
            "dates_of_birth": entry.dates_of_birth, "nationalities": entry.nationalities, "program": entry.program,
            "category": entry.category, "active": entry.active}  # fmt: skip


def render_hit(hit: ScreeningHit | Hit) -> dict[str, Any]:
    if isinstance(hit, Hit):
        return {"id": None, "list": hit.list_name, "entry_id": hit.entry_id, "score": round(hit.score),
                "method": hit.method.value, "matched_name": hit.matched_name, "explanation_zh": hit.explanation_zh,
                "explanation_en": hit.explanation, "category": hit.category, "escalated": False}  # fmt: skip
    return {
        "id": hit.pk, "branch_id": hit.branch_id, "subject_kind": hit.subject_kind, "subject_ref": hit.subject_ref,
        "screened_name": hit.screened_name, "list": hit.entry.watch_list.code, "entry_id": hit.entry.entry_id,
        "category": hit.entry.category, "score": hit.score, "method": hit.method, "matched_name": hit.matched_name,
        "explanation_zh": hit.explanation_zh, "explanation_en": hit.explanation_en, "trigger": hit.trigger,
        "escalated": hit.escalated, "status": hit.status, "reason": hit.reason,
        "decided_by": hit.decided_by.get_username() if hit.decided_by else None,
        "created_at": hit.created_at.isoformat(),
    }  # fmt: skip


def list_watch_lists(request: HttpRequest, paging: Query[PageQuery]) -> Any:
    require_permission(principal_of(request), perms.VIEW_SCREENING)
    return page_of(services.list_watch_lists().order_by("code"), paging, render_list)


def create_watch_list(request: HttpRequest, payload: WatchListIn) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.MANAGE_WATCH_LISTS)
    created = actions.do_create_watch_list(code=payload.code, name=payload.name, kind=payload.kind.value,
                                           source=payload.source, actor=principal)  # fmt: skip
    return Status(201, render_list(services.get_watch_list(code=created.code)))


def list_entries(request: HttpRequest, code: str, paging: Query[PageQuery], q: str = "") -> Any:
    require_permission(principal_of(request), perms.VIEW_SCREENING)
    return page_of(services.list_entries(services.get_watch_list(code=code), q=q), paging, render_entry)


def import_entries(request: HttpRequest, code: str, payload: ImportIn) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.MANAGE_WATCH_LISTS)
    services.get_watch_list(code=code)
    result = actions.do_import_watch_list(code=code, data=payload.content, fmt=payload.format,
                                          replace=payload.replace, actor=principal)  # fmt: skip
    return {"added": len(result.added), "updated": len(result.updated), "removed": len(result.removed),
            "unchanged": result.unchanged}  # fmt: skip


def screen(request: HttpRequest, payload: ScreenIn) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.SCREEN_NAMES)
    names = [n.dict() | {"entry_type": n.entry_type.value if n.entry_type else None} for n in payload.names]
    results = actions.do_screen_payment_names(names=names, payment_id=payload.payment_id, threshold=payload.threshold,
                                              actor=principal)  # fmt: skip
    return {"results": [{"name": item["name"], "role": item["role"], "hits": [render_hit(h) for h in hits]}
                        for item, hits in results]}  # fmt: skip


def list_hits(request: HttpRequest, paging: Query[PageQuery], filters: Query[HitFilter]) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.VIEW_SCREENING)
    found = services.list_hits(principal, status=filters.status.value if filters.status else None,
                               subject_kind=filters.subject_kind)  # fmt: skip
    return page_of(found, paging, render_hit)


def get_hit(request: HttpRequest, hit_id: int) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.VIEW_SCREENING)
    return render_hit(services.get_hit(principal, hit_id=hit_id))


def decide_hit(request: HttpRequest, hit_id: int, payload: DecideIn) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.DECIDE_HITS)
    services.get_hit(principal, hit_id=hit_id)
    actions.do_decide_hit(hit_id=hit_id, status=payload.status, reason=payload.reason, actor=principal)
    return render_hit(services.get_hit(principal, hit_id=hit_id))


def screen_customer(request: HttpRequest, customer_id: int) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.MANAGE_WATCH_LISTS)
    customer_services.get_customer(principal, customer_id=customer_id)
    hits = actions.do_screen_customer(customer_id=customer_id, actor=principal)
    return {"hits": [render_hit(h) for h in hits]}


def get_typologies(request: HttpRequest) -> Any:
    require_permission(principal_of(request), perms.VIEW_ALERTS)
    settings = current_settings()
    return {"version": settings.version if settings else 0, "note": settings.note if settings else "",
            "overrides": settings.params if settings else {}, "in_force": describe(current_config())}  # fmt: skip


def update_typologies(request: HttpRequest, payload: TypologySettingsIn) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.INVESTIGATE)
    do_update_typology_settings(params=payload.params, note=payload.note, actor=principal)
    return Status(201, get_typologies(request))


def backtest(request: HttpRequest, payload: BacktestIn) -> Any:
    require_permission(principal_of(request), perms.INVESTIGATE)
    if payload.end < payload.start:
        raise FieldError("end", _("The end comes before the start."))
    if (payload.end - payload.start).days > 92:
        raise FieldError("end", _("Backtest at most 92 days at a time."))
    from bastion.aml.services.calendar import regulatory_calendar

    tz = regulatory_calendar().tz
    start = dt.datetime.combine(payload.start, dt.time(0), tzinfo=tz)
    end = dt.datetime.combine(payload.end + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    return backtest_typologies(params=payload.params, start=start, end=end)


def mount(router: Router) -> None:
    """Add the screening and typology operations to the AML router."""
    one = {200: dict[str, Any], **ERRORS}
    lists: dict[str, Any] = {"tags": ["aml: screening"]}
    typologies: dict[str, Any] = {"tags": ["aml: typologies"]}
    add = router.add_api_operation
    add(
        "/watch-lists",
        ["GET"],
        list_watch_lists,
        response={200: Page, **ERRORS},
        summary="Watch lists",
        **lists,
    )
    add(
        "/watch-lists",
        ["POST"],
        create_watch_list,
        response={201: dict[str, Any], **ERRORS},
        summary="Create a watch list",
        **lists,
    )
    add(
        "/watch-lists/{code}/entries",
        ["GET"],
        list_entries,
        response={200: Page, **ERRORS},
        summary="A list's active entries",
        **lists,
    )
    add(
        "/watch-lists/{code}/import",
        ["POST"],
        import_entries,
        response=one,
        summary="Import entries (CSV, XML)",
        **lists,
    )
    add("/screen", ["POST"], screen, response=one, summary="Screen names in real time", **lists)
    add(
        "/screening-hits",
        ["GET"],
        list_hits,
        response={200: Page, **ERRORS},
        summary="Screening hits",
        **lists,
    )
    add("/screening-hits/{hit_id}", ["GET"], get_hit, response=one, summary="One screening hit", **lists)
    add(
        "/screening-hits/{hit_id}/decide",
        ["POST"],
        decide_hit,
        response=one,
        summary="Confirm or dismiss a hit, with reasons",
        **lists,
    )
    add(
        "/customers/{customer_id}/screen",
        ["POST"],
        screen_customer,
        response=one,
        summary="Screen a customer now",
        **lists,
    )
    add(
        "/typologies",
        ["GET"],
        get_typologies,
        response=one,
        summary="Typology parameters in force",
        **typologies,
    )
    add(
        "/typologies",
        ["POST"],
        update_typologies,
        response={201: dict[str, Any], **ERRORS},
        summary="Put new typology parameters in force",
        **typologies,
    )
    add("/typologies/backtest", ["POST"], backtest, response=one,
        summary="Compare candidate parameters with those in force over history", **typologies)  # fmt: skip
