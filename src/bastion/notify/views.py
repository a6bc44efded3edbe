"""Console pages of the notify app: the inbox, channel preferences, the delivery log."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bastion.notify import actions, services
from bastion.notify.forms import DeliveryFilterForm, PreferenceForm
from bastion.platform.errors import DomainError
from bastion.web.http import apply_domain_error, console_view, is_htmx, page_of, render_results


@console_view()
def inbox(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    rows = services.inbox(user=request.user, unread_only=unread_only)
    context = {
        "page": page_of(request, rows),
        "unread_only": unread_only,
        "unread": services.unread_count(user=request.user),
        "breadcrumbs": [(_("Notifications"), "")],
    }
    return render_results(request, "notify/inbox.html", "notify/_inbox_rows.html", context)


@console_view()
def badge(request: HttpRequest) -> HttpResponse:
    html = render_to_string(
        "notify/_inbox_link.html", {"show": True, "unread": services.unread_count(user=request.user)}, request
    )
    return HttpResponse(html)


@require_POST
@console_view()
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    item = actions.do_mark_read(notification_id=pk, user=request.user)
    if is_htmx(request):
        return render(request, "notify/_inbox_item.html", {"item": item})
    if (
        request.POST.get("open")
        and item.link
        and url_has_allowed_host_and_scheme(item.link, allowed_hosts=None)
    ):
        return redirect(item.link)
    return redirect("notify:inbox")


@require_POST
@console_view()
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = actions.do_mark_all_read(user=request.user)
    messages.success(request, _("%(count)s notifications marked read.") % {"count": count})
    return redirect("notify:inbox")


@console_view()
def preferences(request: HttpRequest) -> HttpResponse:
    form = PreferenceForm(request.POST or None, initial={"kind": "*", "channels": ["in_app", "email"]})
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_set_preference(
                user=request.user,
                kind=form.cleaned_data["kind"],
                channels=form.cleaned_data["channels"],
                actor=request.user,
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Your channels were saved."))
            return redirect("notify:preferences")
    context = {
        "form": form,
        "preferences": sorted(services.preferences(user=request.user).items()),
        "breadcrumbs": [(_("Notifications"), reverse("notify:inbox")), (_("Channels"), "")],
    }
    return render(request, "notify/preferences.html", context)


@console_view("notify.view_deliveries")
def deliveries(request: HttpRequest) -> HttpResponse:
    form = DeliveryFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    rows = services.delivery_log(
        principal=request.user, status=data.get("status", ""), channel=data.get("channel", "")
    )
    context = {"form": form, "page": page_of(request, rows), "breadcrumbs": [(_("Delivery log"), "")]}
    return render_results(request, "notify/deliveries.html", "notify/_delivery_rows.html", context)
