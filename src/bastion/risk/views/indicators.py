"""Console pages of the monitoring indicators (002 5.1-5.3): charts, values, warnings, thresholds.

Every page reads through the branch-scoped services: a branch manager sees their branches' values
and warnings; channel and institution values are for institution-wide staff. The charts are SVG
responses of their own (web/charts.py) fed by the same filters as the page.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bastion.identity.models import Branch, User
from bastion.platform.errors import DomainError
from bastion.risk import permissions as perms
from bastion.risk.actions import indicators as actions
from bastion.risk.choices import Granularity, Indicator, IndicatorScope, RiskLevel, WarningSeverity
from bastion.risk.forms_indicators import AcknowledgeForm, IndicatorFilterForm, ThresholdForm
from bastion.risk.services import indicators as services
from bastion.web import charts
from bastion.web.http import apply_domain_error, console_view, page_of

OPEN_WARNINGS_SHOWN = 10
ALIASES = {"branch_id": "branch", "responsible_id": "responsible"}


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _branch_names(keys: set[str]) -> dict[str, str]:
    ids = [int(k) for k in keys if k.isdigit()]
    return {str(pk): name for pk, name in Branch.objects.filter(pk__in=ids).values_list("pk", "name")}


def _label(scope: str, key: str, names: dict[str, str]) -> str:
    if scope == IndicatorScope.BRANCH:
        return names.get(key, key)
    return actions.scope_label(scope, key)


def _decorate_warning(warning: Any) -> Any:
    warning.severity_colour = WarningSeverity.colour(warning.severity)
    warning.scope_label = actions.scope_label(warning.scope, warning.scope_key, warning.branch)
    return warning


@console_view(perms.VIEW_INDICATORS)
def indicator_page(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    form = IndicatorFilterForm(request.GET or None, actor=actor)
    filters = form.filters()
    scope, key = services.resolve_scope(actor, filters)
    codes = [filters.indicator] if filters.indicator else Indicator.charted()
    page = page_of(request, services.list_values(principal=actor, filters=filters))
    names = _branch_names({row.scope_key for row in page.items})
    for row in page.items:
        row.scope_label = _label(row.scope, row.scope_key, names)
    warnings = services.list_warnings(principal=actor, open_only=True)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "charts": [
            {
                "code": code,
                "label": Indicator(code).label,
                "src": reverse("risk:indicator_chart", args=[code]),
            }
            for code in codes
            if not code.startswith("level_")
        ],
        "query": query.urlencode(),
        "scope_label": _("every branch in your scope")
        if scope == IndicatorScope.BRANCH and not key
        else _label(scope, key, _branch_names({key})),
        "hourly": filters.granularity == Granularity.HOUR,
        "warnings": [_decorate_warning(w) for w in warnings[:OPEN_WARNINGS_SHOWN]],
        "open_warnings": warnings.count(),
        "ack_form": AcknowledgeForm(),
        "may_ack": actor.has_permission(perms.ACKNOWLEDGE_WARNINGS),
        "may_manage": actor.has_permission(perms.MANAGE_THRESHOLDS),
        "breadcrumbs": [(_("Monitoring indicators"), "")],
    }
    return render(request, "risk/indicators.html", context)


def _x_range(filters: services.IndicatorFilter) -> tuple[dt.datetime, dt.datetime] | None:
    if filters.start is None or filters.end is None:
        return None
    return services.day_window(filters.start)[0], services.day_window(filters.end)[1]


@console_view(perms.VIEW_INDICATORS)
def indicator_chart(request: HttpRequest, code: str) -> HttpResponse:
    actor = _actor(request)
    if code not in Indicator.values:
        code = Indicator.VOLUME_COUNT
    filters = IndicatorFilterForm(request.GET or None, actor=actor).filters()
    lines = services.series_of(principal=actor, filters=filters, indicators=[code])[code]
    names = _branch_names({line.scope_key for line in lines})
    series = [
        charts.Series(
            _label(line.scope, line.scope_key, names),
            [p[0] for p in line.points],
            [float(p[1]) for p in line.points],
        )
        for line in lines
    ]
    scope, key = services.resolve_scope(actor, filters)
    limits = [
        (float(t.value), f"{t.name} {t.get_comparison_display()} {Decimal(t.value).normalize():f}")
        for t in services.thresholds_for(indicator=code, granularity=filters.granularity)
        if t.scope in ("any", scope)
        and (scope != IndicatorScope.CHANNEL or not t.channel or t.channel == key)
        and (scope != IndicatorScope.BRANCH or not t.branch_id or str(t.branch_id) == key)
    ]
    svg = charts.line_chart(
        title=str(Indicator(code).label),
        series=series,
        thresholds=limits,
        empty_text=_("No values in this period."),
        x_range=_x_range(filters),
        height=2.4,
    )
    return charts.svg_response(svg)


@console_view(perms.VIEW_INDICATORS)
def indicator_levels_chart(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    filters = IndicatorFilterForm(request.GET or None, actor=actor).filters()
    levels = Indicator.level_codes()
    found = services.series_of(principal=actor, filters=filters, indicators=levels.values(), limit=1_000)
    series = []
    for level, label in RiskLevel.choices:
        totals: dict[dt.datetime, float] = {}
        for line in found[levels[level]]:
            for when, value in line.points:
                totals[when] = totals.get(when, 0.0) + float(value)
        times = sorted(totals)
        series.append(charts.Series(str(label), times, [totals[t] for t in times]))
    svg = charts.line_chart(
        title=_("Decisions per risk level"),
        series=series,
        y_label=_("payments"),
        empty_text=_("No values in this period."),
        x_range=_x_range(filters),
    )
    return charts.svg_response(svg)


@console_view(perms.VIEW_INDICATORS)
def warning_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    status = request.GET.get("status", "open")
    found = services.list_warnings(principal=actor, open_only=status == "open")
    if status == "acknowledged":
        found = found.filter(acknowledged_at__isnull=False)
    page = page_of(request, found)
    for warning in page.items:
        _decorate_warning(warning)
    context = {
        "page": page,
        "status": status,
        "ack_form": AcknowledgeForm(),
        "may_ack": actor.has_permission(perms.ACKNOWLEDGE_WARNINGS),
        "breadcrumbs": [
            (_("Monitoring indicators"), reverse("risk:indicators")),
            (_("Indicator warnings"), ""),
        ],
    }
    return render(request, "risk/indicator_warnings.html", context)


@console_view(perms.ACKNOWLEDGE_WARNINGS)
@require_POST
def warning_acknowledge(request: HttpRequest, warning_id: int) -> HttpResponse:
    form = AcknowledgeForm(request.POST)
    back = request.POST.get("next") or ""
    if not back.startswith("/risk/indicators/"):
        back = reverse("risk:indicator_warnings")
    try:
        note = form.data.get("note", "")
        actions.do_acknowledge_indicator_warning(warning_id=warning_id, note=note, actor=_actor(request))
    except DomainError as exc:
        details = [m for msgs in exc.fields.values() for m in msgs if m != exc.message]
        messages.error(request, " ".join([str(exc.message), *map(str, details)]).strip())
    else:
        messages.success(request, _("Warning acknowledged."))
    return redirect(back)


@console_view(perms.VIEW_INDICATORS)
def threshold_list(request: HttpRequest) -> HttpResponse:
    page = page_of(request, services.list_thresholds())
    for threshold in page.items:
        threshold.severity_colour = WarningSeverity.colour(threshold.severity)
        threshold.scope_text = _threshold_scope(threshold)
    context = {
        "page": page,
        "may_manage": _actor(request).has_permission(perms.MANAGE_THRESHOLDS),
        "breadcrumbs": [
            (_("Monitoring indicators"), reverse("risk:indicators")),
            (_("Indicator thresholds"), ""),
        ],
    }
    return render(request, "risk/indicator_thresholds.html", context)


def _threshold_scope(threshold: Any) -> str:
    if threshold.scope == "channel" and threshold.channel:
        return actions.scope_label(IndicatorScope.CHANNEL, threshold.channel)
    if threshold.scope == "branch" and threshold.branch_id:
        return str(threshold.branch.name)
    return str(threshold.get_scope_display())


def _threshold_page(request: HttpRequest, form: ThresholdForm, title: str) -> HttpResponse:
    context = {
        "form": form,
        "title": title,
        "breadcrumbs": [
            (_("Monitoring indicators"), reverse("risk:indicators")),
            (_("Indicator thresholds"), reverse("risk:indicator_thresholds")),
            (title, ""),
        ],
    }
    return render(request, "risk/indicator_threshold_form.html", context, status=422 if form.errors else 200)


@console_view(perms.MANAGE_THRESHOLDS)
def threshold_create(request: HttpRequest) -> HttpResponse:
    form = ThresholdForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_create_indicator_threshold(actor=_actor(request), **form.fields_for_action())
        except DomainError as exc:
            apply_domain_error(form, exc, ALIASES)
        else:
            messages.success(request, _("Threshold created."))
            return redirect("risk:indicator_thresholds")
    return _threshold_page(request, form, _("New threshold"))


@console_view(perms.MANAGE_THRESHOLDS)
def threshold_edit(request: HttpRequest, threshold_id: int) -> HttpResponse:
    threshold = services.get_threshold(threshold_id=threshold_id)
    form = ThresholdForm(request.POST or None, initial=ThresholdForm.initial_from(threshold))
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_update_indicator_threshold(
                threshold_id=threshold.pk, actor=_actor(request), **form.fields_for_action()
            )
        except DomainError as exc:
            apply_domain_error(form, exc, ALIASES)
        else:
            messages.success(request, _("Threshold saved."))
            return redirect("risk:indicator_thresholds")
    return _threshold_page(request, form, threshold.name)
