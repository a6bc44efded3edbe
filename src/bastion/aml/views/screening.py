"""Console pages of watch-list screening (R5.6): the hits to decide, one hit, the lists and their imports.

Writes go through the same ``do_*`` actions as the API, after the same scope check (a hit outside
the reader's branches answers 404); a refusal comes back as a message on the page and changes
nothing. The manual "screen a name" check is a read of this process's index: nothing is stored.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bastion.aml import permissions as perms
from bastion.aml.actions import screening as actions
from bastion.aml.choices import HitStatus, WatchListKind
from bastion.aml.forms import (
    EntrySearchForm,
    HitDecisionForm,
    HitFilterForm,
    ImportForm,
    NameCheckForm,
    WatchListForm,
    filters_of,
)
from bastion.aml.matching import EntryType, Hit
from bastion.aml.services import screening as services
from bastion.aml.views.common import actor_of, chinese, form_errors, refused
from bastion.platform.errors import DomainError
from bastion.web.http import apply_domain_error, console_view, page_of

CHECK_LIMIT = 20


def decorate_hit(hit: Any) -> Any:
    """The explanation in the reader's language and the status colour, for lists and the detail."""
    hit.explanation = hit.explanation_zh if chinese() else hit.explanation_en
    hit.status_colour = HitStatus.colour(hit.status)
    return hit


def _check(request: HttpRequest, actor: Any) -> tuple[NameCheckForm | None, list[dict[str, Any]] | None]:
    """The "screen a name" form and, when a name was given, what the index finds (not stored)."""
    if not actor.has_permission(perms.MANAGE_WATCH_LISTS):
        return None, None
    if "name" not in request.GET:
        return NameCheckForm(), None
    form = NameCheckForm(request.GET)
    if not form.is_valid():
        return form, None
    kind = form.cleaned_data["entry_type"]
    found: list[Hit] = services.screening_index().screen(
        form.cleaned_data["name"], entry_type=EntryType(kind) if kind else None,
        date_of_birth=form.cleaned_data["date_of_birth"] or None, limit=CHECK_LIMIT,
    )  # fmt: skip
    zh = chinese()
    return form, [{"hit": h, "score": round(h.score), "explanation": h.explanation_zh if zh else h.explanation}
                  for h in found]  # fmt: skip


@console_view(perms.VIEW_SCREENING)
def hit_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    filters, cleaned = filters_of(HitFilterForm, request, status=HitStatus.OPEN)
    found = services.list_hits(actor, status=cleaned.get("status") or None,
                               subject_kind=cleaned.get("subject_kind") or None)  # fmt: skip
    page = page_of(request, found)
    for hit in page.items:
        decorate_hit(hit)
    check_form, checked = _check(request, actor)
    context = {
        "page": page, "filters": filters, "check_form": check_form, "checked": checked,
        "breadcrumbs": [(_("Screening hits"), "")],
    }  # fmt: skip
    return render(request, "aml/screening_hits.html", context)


@console_view(perms.VIEW_SCREENING)
def hit_detail(request: HttpRequest, hit_id: int) -> HttpResponse:
    actor = actor_of(request)
    hit = decorate_hit(services.get_hit(actor, hit_id=hit_id))
    may_decide = actor.has_permission(perms.DECIDE_HITS) and hit.status == HitStatus.OPEN
    context = {
        "hit": hit, "entry": hit.entry, "watch_list": hit.entry.watch_list,
        "terrorist": hit.entry.watch_list.kind == WatchListKind.TERRORIST,
        "may_decide": may_decide, "decide_form": HitDecisionForm() if may_decide else None,
        "breadcrumbs": [(_("Screening hits"), reverse("aml:screening_hits")), (hit.screened_name, "")],
    }  # fmt: skip
    return render(request, "aml/screening_hit.html", context)


@console_view(perms.DECIDE_HITS)
@require_POST
def hit_decide(request: HttpRequest, hit_id: int) -> HttpResponse:
    actor = actor_of(request)
    services.get_hit(actor, hit_id=hit_id)  # out of scope: 404 before anything is tried
    back = reverse("aml:screening_hit", args=[hit_id])
    form = HitDecisionForm(request.POST)
    if not form.is_valid():
        form_errors(request, form)
        return redirect(back)
    status = form.cleaned_data["status"]
    try:
        actions.do_decide_hit(hit_id=hit_id, status=status, reason=form.cleaned_data["reason"], actor=actor)
    except DomainError as exc:
        refused(request, exc)
    else:
        done = (
            _("Confirmed as a true match; an alert was raised.")
            if status == HitStatus.CONFIRMED
            else _("Dismissed as a false positive; the reason stays on file.")
        )
        messages.success(request, done)
    return redirect(back)


@console_view(perms.VIEW_SCREENING)
def watch_lists(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    may_manage = actor.has_permission(perms.MANAGE_WATCH_LISTS)
    form = WatchListForm(request.POST or None) if may_manage else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied(perms.MANAGE_WATCH_LISTS)
        if form.is_valid():
            try:
                created = actions.do_create_watch_list(**form.cleaned_data, actor=actor)
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(
                    request, _("Watch list %(code)s created; import its entries.") % {"code": created.code}
                )
                return redirect(reverse("aml:watch_list", args=[created.code]))
    page = page_of(request, services.list_watch_lists().order_by("code"))
    context = {
        "page": page, "form": form, "may_manage": may_manage, "breadcrumbs": [(_("Watch lists"), "")],
    }  # fmt: skip
    return render(request, "aml/watch_lists.html", context)


@console_view(perms.VIEW_SCREENING)
def watch_list(request: HttpRequest, code: str) -> HttpResponse:
    actor = actor_of(request)
    found = services.get_watch_list(code=code)
    search, cleaned = filters_of(EntrySearchForm, request)
    page = page_of(request, services.list_entries(found, q=cleaned.get("q", "")))
    may_manage = actor.has_permission(perms.MANAGE_WATCH_LISTS)
    context = {
        "watch_list": found, "page": page, "search": search, "may_manage": may_manage,
        "import_form": ImportForm() if may_manage else None,
        "breadcrumbs": [(_("Watch lists"), reverse("aml:watch_lists")), (found.code, "")],
    }  # fmt: skip
    return render(request, "aml/watch_list.html", context)


@console_view(perms.MANAGE_WATCH_LISTS)
@require_POST
def watch_list_import(request: HttpRequest, code: str) -> HttpResponse:
    services.get_watch_list(code=code)
    back = reverse("aml:watch_list", args=[code])
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        form_errors(request, form)
        return redirect(back)
    upload = form.cleaned_data["file"]
    limit = settings.BASTION_UPLOAD_MAX_BYTES
    if upload.size > limit:
        messages.error(request, _("The file is larger than %(size)d MB.") % {"size": limit // (1024 * 1024)})
        return redirect(back)
    try:
        result = actions.do_import_watch_list(code=code, data=upload.read(), fmt=form.cleaned_data["format"],
                                              replace=form.cleaned_data["replace"], actor=actor_of(request))  # fmt: skip
    except DomainError as exc:
        refused(request, exc)
    else:
        counts = {"added": len(result.added), "updated": len(result.updated), "removed": len(result.removed),
                  "unchanged": result.unchanged}  # fmt: skip
        messages.success(
            request,
            _("Imported: %(added)d added, %(updated)d updated, %(removed)d removed, %(unchanged)d unchanged. "
              "Customers are screened again against the changed entries.") % counts,
        )  # fmt: skip
    return redirect(back)


def url_patterns() -> list[URLPattern]:
    """The console routes of these pages, for ``bastion/aml/urls.py`` (namespace ``aml``)."""
    return [
        path("screening/", hit_list, name="screening_hits"),
        path("screening/<int:hit_id>/", hit_detail, name="screening_hit"),
        path("screening/<int:hit_id>/decide/", hit_decide, name="screening_decide"),
        path("watch-lists/", watch_lists, name="watch_lists"),
        path("watch-lists/<slug:code>/", watch_list, name="watch_list"),
        path("watch-lists/<slug:code>/import/", watch_list_import, name="watch_list_import"),
    ]
