"""The console's audit viewer: filtered, paginated events, one event with its diff, chain status."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from bastion.audit import services
from bastion.audit.actions import do_export_events
from bastion.audit.models import AuditEvent
from bastion.audit.tasks import verify_audit_chain_for
from bastion.identity import services as identity_services
from bastion.identity.models import Branch, User
from bastion.platform.errors import DomainError
from bastion.web.http import apply_domain_error, console_view, page_of, render_results

PERMISSION = services.VIEW_PERMISSION


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=gettext_lazy("Actor"), required=False, max_length=150)
    action = forms.CharField(
        label=gettext_lazy("Action"),
        required=False,
        max_length=80,
        help_text=gettext_lazy("Exact action, or a prefix ending with a dot (identity.)."),
    )
    object_type = forms.CharField(label=gettext_lazy("Object type"), required=False, max_length=80)
    object_id = forms.CharField(label=gettext_lazy("Object id"), required=False, max_length=64)
    branch: forms.ModelChoiceField[Branch] = forms.ModelChoiceField(
        label=gettext_lazy("Branch"), queryset=Branch.objects.none(), required=False, empty_label="—"
    )
    since = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=gettext_lazy("To (inclusive)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = identity_services.list_branches(actor)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            self.add_error("until", _("The end of the period is before its start."))
        return data

    def search_arguments(self) -> dict[str, Any]:
        """The filters as :func:`bastion.audit.services.search_events` takes them (dates as day bounds)."""
        data = self.cleaned_data
        since = data.get("since")
        until = data.get("until")
        return {
            "actor_label": data.get("actor") or None,
            "action": data.get("action") or None,
            "object_type": data.get("object_type") or None,
            "object_id": data.get("object_id") or None,
            "branch_id": data["branch"].pk if data.get("branch") else None,
            "since": timezone.make_aware(datetime.combine(since, time.min)) if since else None,
            # The form's "to" day is inclusive; the service's bound is exclusive.
            "until": timezone.make_aware(datetime.combine(until + timedelta(days=1), time.min))
            if until
            else None,
        }


def _branch_names(actor: User) -> dict[int, str]:
    return {b.pk: b.name for b in identity_services.list_branches(actor)}


@console_view(PERMISSION)
def event_list(request: HttpRequest) -> HttpResponse:
    actor: User = request.user  # type: ignore[assignment]
    form = AuditFilterForm(request.GET or None, actor=actor)
    arguments: dict[str, Any] = {}
    status = 200
    if form.is_bound and form.is_valid():
        arguments = form.search_arguments()
    elif form.is_bound:
        status = 422
    try:
        events = services.search_events(principal=actor, **arguments)
    except DomainError as exc:
        apply_domain_error(form, exc, {"actor_label": "actor", "branch_id": "branch"})
        events = AuditEvent.objects.none()
        status = 422
    context = {
        "form": form,
        "page": page_of(request, events),
        "branch_names": _branch_names(actor),
        "may_export": actor.has_permission(services.EXPORT_PERMISSION),
        "breadcrumbs": [(_("Audit trail"), "")],
    }
    return render_results(request, "audit/event_list.html", "audit/_event_rows.html", context, status=status)


@console_view(services.EXPORT_PERMISSION)
def event_export(request: HttpRequest) -> HttpResponse:
    """Download the filtered events as CSV or JSON; the export itself is logged as a sensitive read."""
    actor: User = request.user  # type: ignore[assignment]
    form = AuditFilterForm(request.GET, actor=actor)
    if not form.is_valid():
        messages.error(request, _("Correct the filters before exporting."))
        return redirect(f"{reverse('web:audit')}?{request.GET.urlencode()}")
    fmt = request.GET.get("fmt", "csv")
    try:
        content = do_export_events(principal=actor, fmt=fmt, **form.search_arguments())
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(f"{reverse('web:audit')}?{request.GET.urlencode()}")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    content_type = "text/csv; charset=utf-8" if fmt == "csv" else "application/json"
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.{fmt}"'
    return response


def _pretty(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) if value is not None else ""


def diff_rows(before: Any, after: Any) -> list[dict[str, Any]]:
    """Field-by-field comparison of before/after payloads, changed fields flagged."""
    if not isinstance(before, dict) and not isinstance(after, dict):
        return []
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    rows = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        rows.append(
            {
                "field": key,
                "before": _pretty(old) if key in before else "",
                "after": _pretty(new) if key in after else "",
                "changed": key not in before or key not in after or old != new,
            }
        )
    return rows


@console_view(PERMISSION)
def event_detail(request: HttpRequest, seq: int) -> HttpResponse:
    actor: User = request.user  # type: ignore[assignment]
    event = services.get_event(principal=actor, seq=seq)
    context = {
        "event": event,
        "diff": diff_rows(event.before, event.after),
        "extra": _pretty(event.extra) if event.extra else "",
        "branch_name": _branch_names(actor).get(event.branch_id or 0, ""),
        "breadcrumbs": [(_("Audit trail"), reverse("web:audit")), (f"#{event.seq}", "")],
    }
    return render(request, "audit/event_detail.html", context)


@require_http_methods(["GET", "POST"])
@console_view(PERMISSION)
def chain_status(request: HttpRequest) -> HttpResponse:
    """The last recorded verification; POST queues a new one (a full read must not block a request)."""
    queued = False
    if request.method == "POST":
        verify_audit_chain_for(request.user.pk)
        queued = True
    last = services.last_verification()
    template = "audit/_chain_status.html" if getattr(request, "htmx", False) else "audit/chain_status.html"
    context = {
        "result": last.after if last else None,
        "verified": last,
        "queued": queued,
        "breadcrumbs": [(_("Audit trail"), reverse("web:audit")), (_("Chain"), "")],
    }
    return render(request, template, context)
