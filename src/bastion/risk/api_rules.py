"""Rule management API (R4.3), mounted into the risk router (``/api/v1/risk/rulesets...``).

Drafts are written and submitted by risk analysts; a second person approves (never one of the
draft's makers: 403 ``maker_cannot_approve``) and activates. Rule sets are institution-wide, not
branch data. Backtests run as queued tasks: ``POST .../backtests`` answers 202 with the backtest,
``GET .../backtests/{id}`` its status and, when done, its result.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from bastion.platform.api_helpers import ERRORS, PageQuery, page_of, principal_of, require_permission
from bastion.platform.errors import FieldError, NotFound
from bastion.risk import permissions as perms
from bastion.risk.actions import rules as actions
from bastion.risk.choices import RuleSetStatus
from bastion.risk.models import RuleSetBacktest, RuleSetVersion
from bastion.risk.services import rules as services

_ROUTES: list[tuple[str, str, Callable[..., Any], dict[str, Any]]] = []


def _route(method: str, path: str, **options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def collect(fn: Callable[..., Any]) -> Callable[..., Any]:
        _ROUTES.append((method, path, fn, options))
        return fn

    return collect


def mount(router: Router) -> None:
    """Add the rule-management operations to the risk router (fixed paths before ``{number}``)."""
    for method, path, fn, options in _ROUTES:
        router.add_api_operation(path, [method], fn, tags=["risk: rules"], **options)


# --- schemas ---------------------------------------------------------------------------------------
class Page(Schema):
    items: list[dict[str, Any]]
    page: int
    page_size: int
    total: int


class RuleSetFilter(Schema):
    status: RuleSetStatus | None = Field(None, description="Only versions in this status.")


class DraftIn(Schema):
    name: str = Field(..., max_length=100)
    text: str | None = Field(
        None, description="Rule-set TOML; default: a copy of based_on or the active one."
    )
    note: str = Field("", max_length=500)
    based_on: int | None = Field(None, description="Version number to copy.")


class DraftEditIn(Schema):
    name: str | None = Field(None, max_length=100)
    text: str | None = None
    note: str | None = Field(None, max_length=500)


class CheckIn(Schema):
    text: str


class NoteIn(Schema):
    note: str = Field("", max_length=1000)


class BacktestIn(Schema):
    start: date = Field(..., description="First day (bank time zone).")
    end: date = Field(..., description="Last day, inclusive.")


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def _person(user: Any) -> str | None:
    return user.get_username() if user else None


def render_version(version: RuleSetVersion, *, text: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "number": version.number,
        "name": version.name,
        "status": version.status,
        "note": version.note,
        "based_on": version.based_on.number if version.based_on_id and version.based_on else None,
        "created_at": _iso(version.created_at),
        "created_by": _person(version.created_by),
        "updated_at": _iso(version.updated_at),
        "updated_by": _person(version.updated_by),
        "submitted_at": _iso(version.submitted_at),
        "submitted_by": _person(version.submitted_by),
        "approved_at": _iso(version.approved_at),
        "approved_by": _person(version.approved_by),
        "review_note": version.review_note,
        "activated_at": _iso(version.activated_at),
        "activated_by": _person(version.activated_by),
        "retired_at": _iso(version.retired_at),
    }
    if text:
        body["text"] = version.text
        body["rules"] = services.rule_summaries(version.text)
    return body


def render_backtest(backtest: RuleSetBacktest) -> dict[str, Any]:
    return {
        "id": backtest.pk,
        "version": backtest.version.number,
        "compared_with": backtest.compared_with.number if backtest.compared_with else None,
        "start": backtest.start.isoformat(),
        "end": backtest.end.isoformat(),
        "status": backtest.status,
        "requested_at": _iso(backtest.requested_at),
        "requested_by": _person(backtest.requested_by),
        "finished_at": _iso(backtest.finished_at),
        "payments": backtest.payments,
        "result": backtest.result or None,
        "error": backtest.error,
    }


def _version(number: int) -> RuleSetVersion:
    return services.get_ruleset(number=number)


# --- endpoints -------------------------------------------------------------------------------------
@_route("GET", "/rulesets", response={200: Page, **ERRORS}, summary="Rule-set versions, newest first")
def list_rulesets(request: HttpRequest, paging: Query[PageQuery], filters: Query[RuleSetFilter]) -> Any:
    require_permission(principal_of(request), perms.VIEW_RULESETS)
    found = services.list_rulesets_filtered(status=filters.status.value if filters.status else None)
    return page_of(found, paging, render_version)


@_route("POST", "/rulesets", response={201: dict[str, Any], **ERRORS}, summary="Start a draft")
def create_draft(request: HttpRequest, payload: DraftIn) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.EDIT_RULESETS)
    version = actions.do_create_ruleset_draft(
        name=payload.name, text=payload.text, note=payload.note, based_on=payload.based_on, actor=principal
    )
    return Status(201, render_version(_version(version.number), text=True))


@_route(
    "POST",
    "/rulesets/check",
    response={200: dict[str, Any], **ERRORS},
    summary="Check a rule-set text with the engine (errors with line and column)",
)
def check_text(request: HttpRequest, payload: CheckIn) -> Any:
    require_permission(principal_of(request), perms.EDIT_RULESETS)
    if len(payload.text) > actions.MAX_TEXT:
        raise FieldError("text", _("At most %(n)d characters.") % {"n": actions.MAX_TEXT})
    problems = services.check_ruleset_text(payload.text)
    return {
        "ok": not problems,
        "errors": [p.to_dict() for p in problems],
        "rules": services.rule_summaries(payload.text) if not problems else [],
    }


@_route("GET", "/rulesets/{number}", response={200: dict[str, Any], **ERRORS}, summary="One version")
def get_version(request: HttpRequest, number: int) -> Any:
    require_permission(principal_of(request), perms.VIEW_RULESETS)
    version = _version(number)
    body = render_version(version, text=True)
    body["backtests"] = [render_backtest(b) for b in services.backtests_of(version)[:10]]
    return body


@_route("PATCH", "/rulesets/{number}", response={200: dict[str, Any], **ERRORS}, summary="Edit a draft")
def edit_draft(request: HttpRequest, number: int, payload: DraftEditIn) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.EDIT_RULESETS)
    actions.do_edit_ruleset_draft(
        number=number, name=payload.name, text=payload.text, note=payload.note, actor=principal
    )
    return render_version(_version(number), text=True)


def _transition(name: str, permission: str, summary: str, call: Callable[..., Any], note: bool) -> None:
    if note:

        def handler_with_note(request: HttpRequest, number: int, payload: NoteIn) -> Any:
            principal = principal_of(request)
            require_permission(principal, permission)
            call(number=number, note=payload.note, actor=principal)
            return render_version(_version(number))

        handler: Callable[..., Any] = handler_with_note
    else:

        def handler_plain(request: HttpRequest, number: int) -> Any:
            principal = principal_of(request)
            require_permission(principal, permission)
            call(number=number, actor=principal)
            return render_version(_version(number))

        handler = handler_plain
    handler.__name__ = f"{name}_ruleset"
    _route("POST", f"/rulesets/{{number}}/{name}", response={200: dict[str, Any], **ERRORS}, summary=summary)(
        handler
    )


_transition("submit", perms.EDIT_RULESETS, "Submit a draft for approval", actions.do_submit_ruleset, False)
_transition("approve", perms.APPROVE_RULESETS, "Approve (a second person)", actions.do_approve_ruleset, True)
_transition(
    "reject", perms.APPROVE_RULESETS, "Send back to draft with a reason", actions.do_reject_ruleset, True
)
_transition(
    "activate", perms.APPROVE_RULESETS, "Make an approved version active", actions.do_activate_ruleset, False
)


@_route(
    "POST",
    "/rulesets/{number}/backtests",
    response={202: dict[str, Any], **ERRORS},
    summary="Start a backtest over stored payments (a queued task)",
)
def start_backtest(request: HttpRequest, number: int, payload: BacktestIn) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.EDIT_RULESETS)
    backtest = actions.do_start_backtest(number=number, start=payload.start, end=payload.end, actor=principal)
    return Status(202, render_backtest(services.get_backtest(backtest_id=backtest.pk)))


@_route(
    "GET",
    "/rulesets/{number}/backtests/{backtest_id}",
    response={200: dict[str, Any], **ERRORS},
    summary="A backtest's status and result",
)
def get_backtest(request: HttpRequest, number: int, backtest_id: int) -> Any:
    require_permission(principal_of(request), perms.VIEW_RULESETS)
    backtest = services.get_backtest(backtest_id=backtest_id)
    if backtest.version.number != number:
        raise NotFound(_("Backtest not found."))
    return render_backtest(backtest)
