"""Console page of the intake channels: the intake log and the WeChat reporter bindings."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from bastion.identity.models import Branch
from bastion.platform.errors import DomainError
from bastion.platform.scoping import scoped
from bastion.servicedesk.intake import services
from bastion.servicedesk.intake.actions import do_bind_wechat_reporter
from bastion.servicedesk.intake.choices import IntakeChannel, Outcome
from bastion.servicedesk.intake.forms import WeChatBindingForm
from bastion.servicedesk.intake.permissions import MANAGE_INTAKE
from bastion.servicedesk.permissions import VIEW
from bastion.web.http import apply_domain_error, console_view, page_of


@console_view(VIEW)
@require_http_methods(["GET", "POST"])
def intake(request: HttpRequest) -> HttpResponse:
    """What came in over e-mail and WeChat and what became of it; supervisors bind followers."""
    actor: Any = request.user
    may_bind = actor.has_permission(MANAGE_INTAKE)
    branches = list(scoped(Branch.objects.filter(is_active=True), actor))
    form = WeChatBindingForm(
        request.POST if request.method == "POST" and may_bind else None, branches=branches
    )
    if request.method == "POST" and may_bind and form.is_valid():
        data = form.cleaned_data
        try:
            do_bind_wechat_reporter(
                openid=data["openid"],
                display_name=data["display_name"],
                contact=data["contact"],
                branch_id=data["branch"],
                actor=actor,
            )
        except DomainError as exc:
            apply_domain_error(form, exc, {"branch_id": "branch"})
        else:
            messages.success(request, _("WeChat reporter saved."))
            return redirect("servicedesk:intake")
    log = services.list_intake_messages(principal=actor)
    channel, outcome = request.GET.get("channel", ""), request.GET.get("outcome", "")
    if channel in IntakeChannel.values:
        log = log.filter(channel=channel)
    if outcome in Outcome.values:
        log = log.filter(outcome=outcome)
    context = {
        "page": page_of(request, log),
        "channels": IntakeChannel.choices,
        "outcomes": Outcome.choices,
        "channel": channel,
        "outcome": outcome,
        "reporters": services.list_wechat_reporters(principal=actor)[:200],
        "form": form,
        "may_bind": may_bind,
    }
    return render(request, "servicedesk_intake/intake.html", context, status=422 if form.errors else 200)
