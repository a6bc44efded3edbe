"""The approvals inbox: requests the user may decide, their own requests, and the decisions."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from bastion.identity import actions, services
from bastion.identity.approvals import approval_kind, registered_kinds
from bastion.identity.choices import ApprovalStatus
from bastion.identity.models import ApprovalRequest, User
from bastion.platform.errors import DomainError, NotFound
from bastion.web.approval_display import payload_rows
from bastion.web.http import console_view, is_htmx, page_of, render_results

PERMISSION = "approvals.view"
TABS = ("inbox", "mine", "all")


class ApprovalFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"), required=False, choices=[("", "—"), *ApprovalStatus.choices]
    )
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        kinds = sorted((k.kind, str(k.label)) for k in registered_kinds().values())
        self.fields["kind"].choices = [("", "—"), *kinds]  # type: ignore[attr-defined]


class DecisionForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


def _queryset_for_tab(user: User, tab: str) -> QuerySet[ApprovalRequest]:
    if tab == "inbox":
        return services.inbox_for(user)
    if tab == "mine":
        return services.list_approvals(user).filter(maker=user)
    return services.list_approvals(user)


@console_view(PERMISSION)
def approvals(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    tab = request.GET.get("tab", "inbox")
    if tab not in TABS:
        tab = "inbox"
    form = ApprovalFilterForm(request.GET or None)
    queryset = _queryset_for_tab(user, tab)
    if form.is_valid():
        if form.cleaned_data["status"]:
            queryset = queryset.filter(status=form.cleaned_data["status"])
        if form.cleaned_data["kind"]:
            queryset = queryset.filter(kind=form.cleaned_data["kind"])
    page = page_of(request, queryset)
    context = {
        "tab": tab,
        "tabs": [
            ("inbox", _("To decide"), services.inbox_for(user).count()),
            ("mine", _("My requests"), None),
            ("all", _("All visible"), None),
        ],
        "form": form,
        "page": page,
        "kind_labels": {k: str(v.label) for k, v in registered_kinds().items()},
        "breadcrumbs": [(_("Approvals"), "")],
    }
    return render_results(request, "web/approvals/list.html", "web/approvals/_results.html", context)


def _visible_request(user: User, pk: int) -> ApprovalRequest:
    request = services.list_approvals(user).filter(pk=pk).first()
    if request is None:
        raise NotFound(_("Approval request not found."))
    return request


def _decision_context(user: User, item: ApprovalRequest) -> dict[str, object]:
    may_decide = (
        item.is_open
        and item.maker_id != user.pk
        and user.has_permission(approval_kind(item.kind).approve_permission)
    )
    return {
        "item": item,
        "may_decide": may_decide,
        "is_maker": item.maker_id == user.pk,
        "decision_form": DecisionForm(),
    }


@console_view(PERMISSION)
def approval_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    item = _visible_request(user, pk)
    context = {
        **_decision_context(user, item),
        "kind_label": services.describe_kind(item.kind),
        "rows": payload_rows(item, user),
        "breadcrumbs": [(_("Approvals"), reverse("web:approvals")), (f"#{item.pk}", "")],
    }
    return render(request, "web/approvals/detail.html", context)


def _after_decision(
    request: HttpRequest, pk: int, *, error: DomainError | None, done: str, form: DecisionForm | None = None
) -> HttpResponse:
    """Answer a decision: the refreshed decision panel for htmx, a redirect to the detail otherwise."""
    user: User = request.user  # type: ignore[assignment]
    if isinstance(error, NotFound):
        raise error
    if not is_htmx(request):
        if error is not None:
            messages.error(request, error.message)
        else:
            messages.success(request, done)
        return redirect("web:approval_detail", pk=pk)
    item = _visible_request(user, pk)
    context = _decision_context(user, item)
    if error is not None:
        context["error"] = error.message
        if form is not None:
            context["decision_form"] = form
    else:
        context["done"] = done
    return render(request, "web/approvals/_decision.html", context, status=error.status if error else 200)


@require_POST
@console_view(PERMISSION)
def approval_approve(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = DecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        actions.do_approve_request(request_id=pk, note=note, actor=user)
    except DomainError as exc:
        return _after_decision(request, pk, error=exc, done="", form=form)
    return _after_decision(request, pk, error=None, done=_("Approved; the change has been applied."))


@require_POST
@console_view(PERMISSION)
def approval_reject(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = DecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        actions.do_reject_request(request_id=pk, note=note, actor=user)
    except DomainError as exc:
        return _after_decision(request, pk, error=exc, done="", form=form)
    return _after_decision(request, pk, error=None, done=_("Rejected; the maker will see your note."))


@require_POST
@console_view(PERMISSION)
def approval_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    try:
        actions.do_cancel_request(request_id=pk, actor=user)
    except DomainError as exc:
        return _after_decision(request, pk, error=exc, done="")
    return _after_decision(request, pk, error=None, done=_("Your request has been withdrawn."))
