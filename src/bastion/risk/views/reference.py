"""Console pages of channel risk assessments (R4.6) and counterparty ratings (R4.8)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bastion.identity.models import User
from bastion.platform.errors import DomainError
from bastion.risk import permissions as perms
from bastion.risk.actions import reference as actions
from bastion.risk.choices import CHANNEL_POINTS, GRADE_POINTS, CreditGrade, RiskRating
from bastion.risk.forms import ChannelAssessmentForm, CounterpartyForm, channel_label
from bastion.risk.services import reference as services
from bastion.risk.views.rules import _refused
from bastion.web.http import console_view, page_of


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _form_errors(request: HttpRequest, form: ChannelAssessmentForm | CounterpartyForm) -> None:
    messages.error(request, " ".join(f"{form[f].label}: {e}" for f, es in form.errors.items() for e in es))


@console_view(perms.VIEW_DECISIONS)
def channel_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    rows = services.channel_overview(today)
    for row in rows:
        row["label"] = channel_label(row["channel"])
        assessment = row["assessment"]
        if assessment is not None:
            row["colour"] = RiskRating.colour(assessment.rating)
            row["points"] = CHANNEL_POINTS[assessment.rating]
    initial = {"period_start": today - dt.timedelta(days=90), "period_end": today}
    context = {
        "rows": rows,
        "form": ChannelAssessmentForm(initial=initial),
        "may_assess": _actor(request).has_permission(perms.MANAGE_RATINGS),
        "breadcrumbs": [(_("Payment channels"), "")],
    }
    return render(request, "risk/channel_list.html", context)


@console_view(perms.VIEW_DECISIONS)
def channel_detail(request: HttpRequest, channel: str) -> HttpResponse:
    page = page_of(request, services.assessments_of(channel))
    for row in page.items:
        row.colour = RiskRating.colour(row.rating)
    context = {
        "channel": channel,
        "label": channel_label(channel),
        "page": page,
        "breadcrumbs": [(_("Payment channels"), reverse("risk:channel_list")), (channel_label(channel), "")],
    }
    return render(request, "risk/channel_detail.html", context)


@console_view(perms.MANAGE_RATINGS)
@require_POST
def channel_assess(request: HttpRequest) -> HttpResponse:
    form = ChannelAssessmentForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(reverse("risk:channel_list"))
    try:
        row = actions.do_assess_channel(actor=_actor(request), **form.cleaned_data)
    except DomainError as exc:
        _refused(request, exc)
        return redirect(reverse("risk:channel_list"))
    messages.success(
        request,
        _("%(channel)s assessed: %(rating)s risk; next review %(date)s.")
        % {
            "channel": channel_label(row.channel),
            "rating": RiskRating(row.rating).label,
            "date": row.next_review,
        },
    )
    return redirect(reverse("risk:channel_detail", args=[row.channel]))


@console_view(perms.VIEW_DECISIONS)
def counterparty_list(request: HttpRequest) -> HttpResponse:
    page = page_of(request, services.list_counterparties(search=request.GET.get("q", "")[:128]))
    for row in page.items:
        row.colour = CreditGrade.colour(row.grade)
        row.points = GRADE_POINTS[row.grade]
    context = {
        "page": page,
        "q": request.GET.get("q", "")[:128],
        "form": CounterpartyForm(),
        "grades": CreditGrade.choices,
        "may_rate": _actor(request).has_permission(perms.MANAGE_RATINGS),
        "breadcrumbs": [(_("Counterparties"), "")],
    }
    return render(request, "risk/counterparty_list.html", context)


@console_view(perms.MANAGE_RATINGS)
@require_POST
def counterparty_save(request: HttpRequest) -> HttpResponse:
    rating_id = request.POST.get("rating_id", "")
    try:
        if rating_id.isdigit():
            row = actions.do_save_counterparty(
                rating_id=int(rating_id), data={"grade": request.POST.get("grade", "")}, actor=_actor(request)
            )
        else:
            form = CounterpartyForm(request.POST)
            if not form.is_valid():
                _form_errors(request, form)
                return redirect(reverse("risk:counterparty_list"))
            row = actions.do_save_counterparty(data=form.cleaned_data, actor=_actor(request))
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("%(name)s rated %(grade)s.") % {"name": row.name, "grade": row.grade})
    return redirect(reverse("risk:counterparty_list"))
