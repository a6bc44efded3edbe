"""Console pages for payment decisions: the live feed, one payment's page, the level chart."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from bastion.identity.models import User
from bastion.risk import permissions as perms
from bastion.risk import services
from bastion.risk.choices import DecisionAction, RiskLevel
from bastion.risk.forms import DecisionFilterForm, channel_label
from bastion.web import charts
from bastion.web.http import console_view, page_of, render_results

CHART_DAYS = 14


def _actor(request: HttpRequest) -> User:
    # console_view admits signed-in users only.
    return request.user  # type: ignore[return-value]


def _decorate(decision: Any) -> Any:
    decision.level_colour = RiskLevel.colour(decision.level)
    decision.action_colour = DecisionAction.colour(decision.action)
    decision.channel_label = channel_label(decision.payment.channel)
    english = (get_language() or "").startswith("en")
    decision.reasons = [
        {**fired, "reason": fired.get("reason_en" if english else "reason_zh", "")}
        for fired in decision.fired
    ]
    return decision


@console_view(perms.VIEW_DECISIONS)
def decision_list(request: HttpRequest) -> HttpResponse:
    form = DecisionFilterForm(request.GET or None, actor=_actor(request))
    filters = services.DecisionFeedFilter()
    if form.is_valid():
        data = form.cleaned_data
        filters = services.DecisionFeedFilter(
            level=data["level"],
            action=data["action"],
            channel=data["channel"],
            branch_id=data["branch"].pk if data["branch"] else None,
            q=data["q"],
        )
    page = page_of(request, services.list_feed(principal=_actor(request), filters=filters))
    for decision in page.items:
        _decorate(decision)
    context = {
        "form": form,
        "page": page,
        # The feed refreshes itself only on its first page, so reading older pages is not disturbed.
        "live": page.page == 1,
        "query": request.GET.urlencode(),
        "breadcrumbs": [(_("Payment decisions"), "")],
    }
    return render_results(request, "risk/decision_list.html", "risk/_decision_rows.html", context)


@console_view(perms.VIEW_DECISIONS)
def decision_detail(request: HttpRequest, payment_id: str) -> HttpResponse:
    decision = _decorate(services.get_decision(_actor(request), payment_id=payment_id))
    context = {
        "decision": decision,
        "payment": decision.payment,
        "breadcrumbs": [(_("Payment decisions"), reverse("risk:decision_list")), (payment_id, "")],
    }
    return render(request, "risk/decision_detail.html", context)


@console_view(perms.VIEW_DECISIONS)
def level_chart(request: HttpRequest) -> HttpResponse:
    days = services.level_distribution(principal=_actor(request), days=CHART_DAYS, now=timezone.now())
    x = [timezone.make_aware(dt.datetime.combine(d.day, dt.time(12))) for d in days]
    series = [
        charts.Series(str(label), x, [float(d.counts[value]) for d in days])
        for value, label in RiskLevel.choices
    ]
    svg = charts.line_chart(
        title=_("Decisions per risk level and day"),
        series=series,
        y_label=_("payments"),
        empty_text=_("No decisions yet."),
    )
    return charts.svg_response(svg)
