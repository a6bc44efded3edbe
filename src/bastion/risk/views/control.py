"""Console pages of payment controls (limits, authorisation thresholds) and of the review queue.

Writes go through the same ``do_*`` actions as the API; refusals (dual control, wrong status, bad
settings) come back as messages on the page they were made from, with nothing changed.
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
from bastion.risk.actions import control as actions
from bastion.risk.choices import ReviewKind, ReviewOutcome, ReviewStatus
from bastion.risk.forms import PaymentControlForm, ReviewFilterForm, channel_label
from bastion.risk.services import control as services
from bastion.risk.views.decisions import _decorate
from bastion.risk.views.rules import _refused
from bastion.web.http import console_view, is_htmx, page_of


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _form_errors(request: HttpRequest, form: PaymentControlForm) -> None:
    messages.error(request, " ".join(f"{form[f].label}: {e}" for f, es in form.errors.items() for e in es))


@console_view(perms.VIEW_DECISIONS)
def control_list(request: HttpRequest) -> HttpResponse:
    page = page_of(request, services.list_controls())
    for control in page.items:
        control.channel_label = channel_label(control.channel) if control.channel else ""
    context = {
        "page": page,
        "form": PaymentControlForm(),
        "may_edit": _actor(request).has_permission(perms.MANAGE_CONTROLS),
        "breadcrumbs": [(_("Limits and authorisation"), "")],
    }
    return render(request, "risk/control_list.html", context)


@console_view(perms.MANAGE_CONTROLS)
@require_POST
def control_create(request: HttpRequest) -> HttpResponse:
    form = PaymentControlForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(reverse("risk:control_list"))
    try:
        control = actions.do_save_control(data=form.cleaned_data, actor=_actor(request))
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(
            request, _("%(name)s saved; scorers apply it within seconds.") % {"name": control.name}
        )
    return redirect(reverse("risk:control_list"))


@console_view(perms.MANAGE_CONTROLS)
@require_POST
def control_toggle(request: HttpRequest, control_id: int) -> HttpResponse:
    active = request.POST.get("active") == "1"
    try:
        actions.do_save_control(control_id=control_id, data={"active": active}, actor=_actor(request))
    except DomainError as exc:
        _refused(request, exc)
    return redirect(reverse("risk:control_list"))


@console_view(perms.VIEW_DECISIONS)
def review_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    filters = ReviewFilterForm(request.GET)
    cleaned = filters.cleaned_data if filters.is_valid() else {}
    found = services.list_reviews(
        actor, status=cleaned.get("status") or None, kind=cleaned.get("kind") or None,
        overdue=bool(cleaned.get("overdue")),
    )  # fmt: skip
    page = page_of(request, found)
    now = timezone.now()
    for review in page.items:
        review.overdue = review.status in services.OPEN and review.due_at < now
        review.status_colour = ReviewStatus.colour(review.status)
    context = {
        "page": page,
        "filters": filters,
        "counts": services.open_review_counts(actor),
        "breadcrumbs": [(_("Review queue"), "")],
    }
    template = "risk/_review_rows.html" if is_htmx(request) else "risk/review_list.html"
    return render(request, template, context)


@console_view(perms.VIEW_DECISIONS)
def review_detail(request: HttpRequest, review_id: int) -> HttpResponse:
    actor = _actor(request)
    review = services.get_review(actor, review_id=review_id)
    decision = _decorate(review.payment.decision)
    is_authorisation = review.kind == ReviewKind.AUTHORISATION
    context = {
        "review": review,
        "decision": decision,
        "payment": review.payment,
        "status_colour": ReviewStatus.colour(review.status),
        "overdue": review.status in services.OPEN and review.due_at < timezone.now(),
        "may_propose": not is_authorisation and review.status == ReviewStatus.PENDING
        and actor.has_permission(perms.REVIEW_PAYMENTS),
        "may_confirm": review.status == ReviewStatus.PROPOSED and review.proposed_by_id != actor.pk
        and actor.has_permission(perms.REVIEW_PAYMENTS),
        "may_authorise": is_authorisation and review.status == ReviewStatus.PENDING
        and actor.has_permission(perms.AUTHORISE_PAYMENTS),
        "outcomes": ReviewOutcome.choices,
        "breadcrumbs": [(_("Review queue"), reverse("risk:review_list")), (review.payment.payment_id, "")],
    }  # fmt: skip
    return render(request, "risk/review_detail.html", context)


def _act(request: HttpRequest, review_id: int, done: str, call: object) -> HttpResponse:
    try:
        call()  # type: ignore[operator]
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(request, done)
    return redirect(reverse("risk:review_detail", args=[review_id]))


def _fraud(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


@console_view(perms.REVIEW_PAYMENTS)
@require_POST
def review_propose(request: HttpRequest, review_id: int) -> HttpResponse:
    post = request.POST
    return _act(request, review_id, _("Proposal recorded; a second reviewer confirms it."), lambda: (
        actions.do_propose_review(review_id=review_id, outcome=post.get("outcome", ""), note=post.get("note", ""),
                                  fraud=_fraud(post.get("fraud", "")), actor=_actor(request))
    ))  # fmt: skip


@console_view(perms.REVIEW_PAYMENTS)
@require_POST
def review_confirm(request: HttpRequest, review_id: int) -> HttpResponse:
    note = request.POST.get("note", "")
    return _act(request, review_id, _("Decision confirmed."), lambda: (
        actions.do_confirm_review(review_id=review_id, note=note, actor=_actor(request))
    ))  # fmt: skip


@console_view(perms.REVIEW_PAYMENTS)
@require_POST
def review_return(request: HttpRequest, review_id: int) -> HttpResponse:
    note = request.POST.get("note", "")
    return _act(request, review_id, _("Proposal returned; the payment waits again."), lambda: (
        actions.do_return_review(review_id=review_id, note=note, actor=_actor(request))
    ))  # fmt: skip


@console_view(perms.AUTHORISE_PAYMENTS)
@require_POST
def review_authorise(request: HttpRequest, review_id: int) -> HttpResponse:
    post = request.POST
    return _act(request, review_id, _("Authorisation recorded."), lambda: (
        actions.do_authorise_payment(review_id=review_id, outcome=post.get("outcome", ""),
                                     note=post.get("note", ""), actor=_actor(request))
    ))  # fmt: skip
