"""Console pages of the named lists (R5.5): every list, one list's entries, add and remove.

Writes go through the same ``do_*`` actions as the API; a refusal comes back as a message on the
page it was made from, with nothing changed.
"""

from __future__ import annotations

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
from bastion.risk.actions import lists as actions
from bastion.risk.choices import ListEntryState, ListKind
from bastion.risk.forms import ListEntryFilterForm, ListEntryForm, RiskListForm
from bastion.risk.services import lists as services
from bastion.risk.views.rules import _refused
from bastion.web.http import console_view, is_htmx, page_of


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@console_view(perms.VIEW_LISTS)
def list_index(request: HttpRequest) -> HttpResponse:
    page = page_of(request, services.list_lists())
    for risk_list in page.items:
        risk_list.kind_colour = ListKind.colour(risk_list.kind)
    context = {
        "page": page,
        "may_edit": _actor(request).has_permission(perms.EDIT_LISTS),
        "form": RiskListForm(),
        "breadcrumbs": [(_("Lists"), "")],
    }
    return render(request, "risk/list_index.html", context)


@console_view(perms.EDIT_LISTS)
@require_POST
def list_create(request: HttpRequest) -> HttpResponse:
    form = RiskListForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, " ".join(f"{form[f].label}: {e}" for f, es in form.errors.items() for e in es)
        )
        return redirect(reverse("risk:list_index"))
    try:
        created = actions.do_create_list(
            name=form.cleaned_data["name"], title=form.cleaned_data["title"], kind=form.cleaned_data["kind"],
            description=form.cleaned_data["description"], actor=_actor(request),
        )  # fmt: skip
    except DomainError as exc:
        _refused(request, exc)
        return redirect(reverse("risk:list_index"))
    messages.success(request, _("List %(name)s created.") % {"name": created.name})
    return redirect(reverse("risk:list_detail", args=[created.name]))


@console_view(perms.VIEW_LISTS)
def list_detail(request: HttpRequest, name: str) -> HttpResponse:
    risk_list = services.get_list(name=name)
    data = request.GET.copy()
    data.setdefault("state", ListEntryState.LIVE)
    filters = ListEntryFilterForm(data)
    cleaned = filters.cleaned_data if filters.is_valid() else {}
    entries = services.list_entries(
        risk_list, state=cleaned.get("state") or None, entry_type=cleaned.get("entry_type") or None,
        search=cleaned.get("q", ""),
    )  # fmt: skip
    page = page_of(request, entries)
    now = timezone.now()
    for entry in page.items:
        entry.state = entry.state_at(now)
        entry.state_label = ListEntryState(entry.state).label
        entry.state_colour = ListEntryState.colour(entry.state)
    context = {
        "risk_list": risk_list,
        "kind_colour": ListKind.colour(risk_list.kind),
        "page": page,
        "filters": filters,
        "form": ListEntryForm(),
        "may_edit": _actor(request).has_permission(perms.EDIT_LISTS),
        "breadcrumbs": [(_("Lists"), reverse("risk:list_index")), (risk_list.name, "")],
    }
    template = "risk/_list_entries.html" if is_htmx(request) else "risk/list_detail.html"
    return render(request, template, context)


@console_view(perms.EDIT_LISTS)
@require_POST
def entry_add(request: HttpRequest, name: str) -> HttpResponse:
    form = ListEntryForm(request.POST)
    back = redirect(reverse("risk:list_detail", args=[name]))
    if not form.is_valid():
        messages.error(
            request, " ".join(f"{form[f].label}: {e}" for f, es in form.errors.items() for e in es)
        )
        return back
    expires_at = form.cleaned_data["expires_at"]
    try:
        entry = actions.do_add_list_entry(
            list_name=name, value=form.cleaned_data["value"], entry_type=form.cleaned_data["entry_type"],
            reason=form.cleaned_data["reason"], expires_at=expires_at, actor=_actor(request),
        )  # fmt: skip
    except DomainError as exc:
        _refused(request, exc)
        return back
    messages.success(request, _("%(value)s is on the list.") % {"value": entry.value})
    return back


@console_view(perms.EDIT_LISTS)
@require_POST
def entry_remove(request: HttpRequest, name: str, entry_id: int) -> HttpResponse:
    try:
        entry = actions.do_remove_list_entry(
            list_name=name, entry_id=entry_id, reason=request.POST.get("reason", ""), actor=_actor(request)
        )
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("%(value)s was taken off the list.") % {"value": entry.value})
    return redirect(reverse("risk:list_detail", args=[name]))
