"""Monitoring-indicator API (002 5.1-5.3), mounted into the risk router (``/api/v1/risk/indicators``,
``/api/v1/risk/indicator-warnings``).

Both lists are paginated and branch-scoped like every list: branch rows for the caller's branches,
channel and institution rows for institution-wide callers only. Values are decimal strings.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from bastion.platform.api_helpers import ERRORS, PageQuery, page_of, principal_of, require_permission
from bastion.risk import permissions as perms
from bastion.risk.choices import Granularity, Indicator, IndicatorScope
from bastion.risk.models import IndicatorValue, IndicatorWarning
from bastion.risk.services import indicators as services


class IndicatorQuery(Schema):
    indicator: Indicator | None = Field(None, description="Only this indicator.")
    granularity: Granularity = Field(Granularity.DAY, description="Daily or hourly values.")
    scope: IndicatorScope | None = Field(None, description="Only channel, branch or institution values.")
    channel: str | None = Field(None, max_length=32, description="Only this channel's values.")
    branch_id: int | None = Field(None, description="Only this branch's values.")
    start: date | None = Field(None, description="First day (bank time zone).")
    end: date | None = Field(None, description="Last day (bank time zone), inclusive.")


class IndicatorValueOut(Schema):
    indicator: str
    granularity: str
    period_start: str
    scope: str
    scope_key: str
    channel: str
    branch_id: int | None
    value: str


class IndicatorValuePage(Schema):
    items: list[IndicatorValueOut]
    page: int
    page_size: int
    total: int


class WarningQuery(Schema):
    status: str | None = Field(None, pattern="^(open|acknowledged)$", description="open or acknowledged.")
    indicator: Indicator | None = None


class WarningOut(Schema):
    id: int
    threshold_id: int
    threshold_name: str
    indicator: str
    granularity: str
    period_start: str
    scope: str
    scope_key: str
    channel: str
    branch_id: int | None
    value: str
    comparison: str
    limit: str
    severity: str
    responsible: str
    raised_at: str
    acknowledged_at: str | None
    acknowledged_by: str | None
    note: str


class WarningPage(Schema):
    items: list[WarningOut]
    page: int
    page_size: int
    total: int


def _number(value: Any) -> str:
    return format(value.normalize(), "f")


def render_value(row: IndicatorValue) -> dict[str, Any]:
    return {
        "indicator": row.indicator,
        "granularity": row.granularity,
        "period_start": row.period_start.isoformat(),
        "scope": row.scope,
        "scope_key": row.scope_key,
        "channel": row.channel,
        "branch_id": row.branch_id,
        "value": _number(row.value),
    }


def render_warning(warning: IndicatorWarning) -> dict[str, Any]:
    return {
        "id": warning.pk,
        "threshold_id": warning.threshold_id,
        "threshold_name": warning.threshold.name,
        "indicator": warning.indicator,
        "granularity": warning.granularity,
        "period_start": warning.period_start.isoformat(),
        "scope": warning.scope,
        "scope_key": warning.scope_key,
        "channel": warning.channel,
        "branch_id": warning.branch_id,
        "value": _number(warning.value),
        "comparison": warning.comparison,
        "limit": _number(warning.limit),
        "severity": warning.severity,
        "responsible": warning.responsible.username,
        "raised_at": warning.raised_at.isoformat(),
        "acknowledged_at": warning.acknowledged_at.isoformat() if warning.acknowledged_at else None,
        "acknowledged_by": warning.acknowledged_by.username if warning.acknowledged_by else None,
        "note": warning.note,
    }


def list_indicator_values(
    request: HttpRequest, paging: Query[PageQuery], filters: Query[IndicatorQuery]
) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, perms.VIEW_INDICATORS)
    found = services.find_values(
        principal=principal,
        indicator=filters.indicator or "",
        granularity=filters.granularity,
        scope=filters.scope or "",
        channel=filters.channel or "",
        branch_id=filters.branch_id,
        start=filters.start,
        end=filters.end,
    )
    return page_of(found, paging, render_value)


def list_indicator_warnings(
    request: HttpRequest, paging: Query[PageQuery], filters: Query[WarningQuery]
) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, perms.VIEW_INDICATORS)
    found = services.list_warnings(
        principal=principal, open_only=filters.status == "open", indicator=filters.indicator or ""
    )
    if filters.status == "acknowledged":
        found = found.filter(acknowledged_at__isnull=False)
    return page_of(found, paging, render_warning)


def mount(router: Router) -> None:
    """Add the indicator reads to the risk router."""
    router.add_api_operation(
        "/indicators",
        ["GET"],
        list_indicator_values,
        response={200: IndicatorValuePage, **ERRORS},
        summary="Monitoring indicator values in the caller's scope",
        tags=["risk: indicators"],
    )
    router.add_api_operation(
        "/indicator-warnings",
        ["GET"],
        list_indicator_warnings,
        response={200: WarningPage, **ERRORS},
        summary="Indicator warnings in the caller's scope, newest first",
        tags=["risk: indicators"],
    )
