"""Console pages of rule management (R4.3): versions, the editor with a live check, backtests.

Writes go through the same ``do_*`` actions as the API; refusals (dual control, wrong status, a
text that does not compile) come back as messages on the page they were made from.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bastion.identity.models import User
from bastion.platform.errors import DomainError
from bastion.risk import permissions as perms
from bastion.risk.actions import rules as actions
from bastion.risk.choices import BacktestStatus, RiskLevel, RuleSetStatus
from bastion.risk.models import RuleSetBacktest, RuleSetVersion
from bastion.risk.services import rules as services
from bastion.web import charts
from bastion.web.http import console_view, page_of


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _refused(request: HttpRequest, exc: DomainError) -> None:
    details = [m for messages_ in exc.fields.values() for m in messages_ if m != exc.message]
    messages.error(request, " ".join([str(exc.message), *map(str, details)]).strip())


def _decorate(version: RuleSetVersion) -> RuleSetVersion:
    version.status_colour = RuleSetStatus.colour(version.status)  # type: ignore[attr-defined]
    return version


def _back(number: int) -> HttpResponse:
    return redirect(reverse("risk:rule_detail", args=[number]))


@console_view(perms.VIEW_RULESETS)
def rule_list(request: HttpRequest) -> HttpResponse:
    page = page_of(request, services.rulesets_with_people())
    for version in page.items:
        _decorate(version)
    context = {
        "page": page,
        "may_edit": _actor(request).has_permission(perms.EDIT_RULESETS),
        "breadcrumbs": [(_("Risk rules"), "")],
    }
    return render(request, "risk/rule_list.html", context)


@console_view(perms.EDIT_RULESETS)
@require_POST
def rule_create(request: HttpRequest) -> HttpResponse:
    based_on = request.POST.get("based_on") or None
    try:
        version = actions.do_create_ruleset_draft(
            name=request.POST.get("name", ""),
            based_on=int(based_on) if based_on and based_on.isdigit() else None,
            actor=_actor(request),
        )
    except DomainError as exc:
        _refused(request, exc)
        return redirect(reverse("risk:rule_list"))
    messages.success(request, _("Draft v%(number)s created.") % {"number": version.number})
    return _back(version.number)


@console_view(perms.VIEW_RULESETS)
def rule_detail(request: HttpRequest, number: int) -> HttpResponse:
    actor = _actor(request)
    version = _decorate(services.get_ruleset(number=number))
    english = (get_language() or "").startswith("en")
    rules = [
        {**rule, "reason": rule["reason_en" if english else "reason_zh"]}
        for rule in services.rule_summaries(version.text)
    ]
    is_maker = actor.pk in version.makers()
    today = timezone.localdate()
    context = {
        "version": version,
        "rules": rules,
        "problems": services.check_ruleset_text(version.text) if version.status == "draft" else [],
        "backtests": list(services.backtests_of(version)[:10]),
        "may_edit": version.status == "draft" and actor.has_permission(perms.EDIT_RULESETS),
        "may_backtest": actor.has_permission(perms.EDIT_RULESETS),
        "may_check": version.status == "submitted" and actor.has_permission(perms.APPROVE_RULESETS),
        "may_activate": version.status in ("approved", "retired")
        and version.approved_by_id is not None
        and actor.has_permission(perms.APPROVE_RULESETS),
        "is_maker": is_maker,
        "default_start": (today - dt.timedelta(days=6)).isoformat(),
        "default_end": today.isoformat(),
        "breadcrumbs": [(_("Risk rules"), reverse("risk:rule_list")), (f"v{version.number}", "")],
    }
    return render(request, "risk/rule_detail.html", context)


@console_view(perms.EDIT_RULESETS)
@require_POST
def rule_save(request: HttpRequest, number: int) -> HttpResponse:
    try:
        actions.do_edit_ruleset_draft(
            number=number,
            name=request.POST.get("name", ""),
            text=request.POST.get("text", ""),
            note=request.POST.get("note", ""),
            actor=_actor(request),
        )
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Draft saved."))
    return _back(number)


@console_view(perms.EDIT_RULESETS)
@require_POST
def rule_check(request: HttpRequest) -> HttpResponse:
    """The live syntax check of the editor (an htmx partial)."""
    text = request.POST.get("text", "")[: actions.MAX_TEXT]
    problems = services.check_ruleset_text(text)
    rules = services.rule_summaries(text) if not problems else []
    return render(request, "risk/_rule_check.html", {"problems": problems, "rules": rules})


def _transition(request: HttpRequest, number: int, call: Any, done: str, **kwargs: Any) -> HttpResponse:
    try:
        call(number=number, actor=_actor(request), **kwargs)
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(request, done)
    return _back(number)


@console_view(perms.EDIT_RULESETS)
@require_POST
def rule_submit(request: HttpRequest, number: int) -> HttpResponse:
    return _transition(request, number, actions.do_submit_ruleset, _("Submitted for approval."))


@console_view(perms.APPROVE_RULESETS)
@require_POST
def rule_approve(request: HttpRequest, number: int) -> HttpResponse:
    note = request.POST.get("note", "")
    return _transition(request, number, actions.do_approve_ruleset, _("Approved."), note=note)


@console_view(perms.APPROVE_RULESETS)
@require_POST
def rule_reject(request: HttpRequest, number: int) -> HttpResponse:
    note = request.POST.get("note", "")
    return _transition(request, number, actions.do_reject_ruleset, _("Sent back to draft."), note=note)


@console_view(perms.APPROVE_RULESETS)
@require_POST
def rule_activate(request: HttpRequest, number: int) -> HttpResponse:
    return _transition(
        request, number, actions.do_activate_ruleset, _("Active: new payments are decided by this version.")
    )


def _date(value: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise DomainError(
            _("Give a date as YYYY-MM-DD."), fields={field: [_("Give a date as YYYY-MM-DD.")]}
        ) from None


@console_view(perms.EDIT_RULESETS)
@require_POST
def backtest_start(request: HttpRequest, number: int) -> HttpResponse:
    try:
        start = _date(request.POST.get("start", ""), "start")
        end = _date(request.POST.get("end", ""), "end")
        backtest = actions.do_start_backtest(number=number, start=start, end=end, actor=_actor(request))
    except DomainError as exc:
        _refused(request, exc)
        return _back(number)
    return redirect(reverse("risk:backtest_detail", args=[backtest.pk]))


def _backtest_context(backtest: RuleSetBacktest) -> dict[str, Any]:
    result = backtest.result or {}
    english = (get_language() or "").startswith("en")
    rules = sorted(
        ({**r, "reason": r["reason_en" if english else "reason_zh"]} for r in result.get("rules", [])),
        key=lambda r: -r["hits"],
    )
    levels = [
        {"value": lv, "label": RiskLevel(lv).label, "colour": RiskLevel.colour(lv), "count": n}
        for lv, n in result.get("levels", {}).items()
    ]
    return {
        "backtest": backtest,
        "result": result,
        "rules": rules,
        "levels": levels,
        "running": backtest.status in (BacktestStatus.QUEUED, BacktestStatus.RUNNING),
        "status_colour": BacktestStatus.colour(backtest.status),
    }


@console_view(perms.VIEW_RULESETS)
def backtest_detail(request: HttpRequest, backtest_id: int) -> HttpResponse:
    backtest = services.get_backtest(backtest_id=backtest_id)
    context = _backtest_context(backtest)
    if request.headers.get("HX-Request"):
        return render(request, "risk/_rule_backtest_result.html", context)
    number = backtest.version.number
    context["breadcrumbs"] = [
        (_("Risk rules"), reverse("risk:rule_list")),
        (f"v{number}", reverse("risk:rule_detail", args=[number])),
        (_("Backtest %(id)s") % {"id": backtest.pk}, ""),
    ]
    return render(request, "risk/rule_backtest.html", context)


@console_view(perms.VIEW_RULESETS)
def backtest_levels_chart(request: HttpRequest, backtest_id: int) -> HttpResponse:
    backtest = services.get_backtest(backtest_id=backtest_id)
    days = (backtest.result or {}).get("days", [])
    noon = dt.time(12, tzinfo=timezone.get_current_timezone())
    xs = [dt.datetime.combine(dt.date.fromisoformat(d["date"]), noon) for d in days]
    series = [
        charts.Series(str(RiskLevel(lv).label), xs, [d[lv] for d in days])
        for lv in ("attention", "warning", "high_risk")
    ]
    svg = charts.line_chart(
        title=_("Alerts per day by level"), series=series, y_label=_("payments"), empty_text=_("No payments.")
    )
    return charts.svg_response(svg)


@console_view(perms.VIEW_RULESETS)
def backtest_rules_chart(request: HttpRequest, backtest_id: int) -> HttpResponse:
    backtest = services.get_backtest(backtest_id=backtest_id)
    fired = [r for r in (backtest.result or {}).get("rules", []) if r["hits"]]
    fired.sort(key=lambda r: -r["hits"])
    svg = charts.bar_chart(
        title=_("Hits per rule"),
        labels=[r["id"] for r in fired[:15]],
        values=[r["hits"] for r in fired[:15]],
        y_label=_("payments"),
        empty_text=_("No rule fired."),
        height=3.2,
    )
    return charts.svg_response(svg)
