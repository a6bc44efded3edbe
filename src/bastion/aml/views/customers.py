"""Console pages of customer due diligence (R5.1): the customer list, one customer, onboarding, changes.

Lists show the name masked; one customer's page shows identity data as the reader may see them
(clear reads are audited by :func:`bastion.platform.pii.present_pii_fields`).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bastion.aml import permissions as perms
from bastion.aml.actions import customers as actions
from bastion.aml.actions import screening as screening_actions
from bastion.aml.api import PII_FIELDS
from bastion.aml.choices import CustomerRiskRating
from bastion.aml.forms import (
    CustomerFilterForm,
    CustomerForm,
    DocumentForm,
    DueDiligenceForm,
    OwnerForm,
    filters_of,
)
from bastion.aml.services import customers as services
from bastion.aml.services import screening as screening_services
from bastion.aml.views.common import actor_of, attempt, chinese, form_errors, refused
from bastion.aml.views.screening import decorate_hit
from bastion.platform.errors import DomainError
from bastion.platform.masking import MASKERS
from bastion.platform.pii import present_pii_fields
from bastion.web.http import apply_domain_error, console_view, page_of

ALIASES = {"branch_id": "branch"}
CUSTOMER_HITS = 50


@console_view(perms.VIEW_CUSTOMERS)
def customer_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    filters, cleaned = filters_of(CustomerFilterForm, request)
    found = services.list_customers(actor, rating=cleaned.get("rating") or None, q=cleaned.get("q", ""),
                                    review_due_by=cleaned.get("review_due_by"))  # fmt: skip
    page = page_of(request, found)
    for customer in page.items:
        customer.masked_name = MASKERS["name"](customer.name or "")
        customer.rating_colour = CustomerRiskRating.colour(customer.risk_rating)
    context = {
        "page": page, "filters": filters, "may_edit": actor.has_permission(perms.MANAGE_CUSTOMERS),
        "breadcrumbs": [(_("AML customers"), "")],
    }  # fmt: skip
    return render(request, "aml/customer_list.html", context)


@console_view(perms.MANAGE_CUSTOMERS)
def customer_create(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    form = CustomerForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        try:
            customer = actions.do_create_customer(
                customer_no=form.cleaned_data["customer_no"], kind=form.cleaned_data["kind"],
                branch_id=form.cleaned_data["branch"].pk, data=form.data_for_action(), actor=actor,
            )  # fmt: skip
        except DomainError as exc:
            apply_domain_error(form, exc, ALIASES)
        else:
            messages.success(
                request, _("Customer %(number)s onboarded and rated.") % {"number": customer.customer_no}
            )
            return redirect(reverse("aml:customer_detail", args=[customer.pk]))
    crumbs = [(_("AML customers"), reverse("aml:customer_list")), (_("Onboard a customer"), "")]
    return render(request, "aml/customer_form.html", {"form": form, "breadcrumbs": crumbs})


def _factors(customer: Any) -> list[dict[str, Any]]:
    key = "reason_zh" if chinese() else "reason_en"
    return [{**factor, "reason": factor.get(key, "")} for factor in customer.risk_factors]


@console_view(perms.VIEW_CUSTOMERS)
def customer_detail(request: HttpRequest, customer_id: int) -> HttpResponse:
    actor = actor_of(request)
    customer = services.get_customer(actor, customer_id=customer_id)
    may_edit = actor.has_permission(perms.MANAGE_CUSTOMERS)
    may_see_hits = actor.has_permission(perms.VIEW_SCREENING)
    hits = (
        screening_services.list_hits(actor, status=None).filter(customer=customer) if may_see_hits else None
    )
    initial = {name: getattr(customer, name) for name in DueDiligenceForm.base_fields}
    context = {
        "customer": customer, "shown": present_pii_fields(obj=customer, fields=PII_FIELDS, principal=actor),
        "rating_colour": CustomerRiskRating.colour(customer.risk_rating), "factors": _factors(customer),
        "retained_until": services.identity_retained_until(customer), "documents": customer.documents.all(),
        "owners": customer.beneficial_owners.all(), "may_edit": may_edit,
        "edit_form": DueDiligenceForm(initial=initial) if may_edit else None,
        "document_form": DocumentForm(), "owner_form": OwnerForm(), "may_see_hits": may_see_hits,
        "hits": [decorate_hit(h) for h in hits[:CUSTOMER_HITS]] if hits is not None else [],
        "may_screen": actor.has_permission(perms.MANAGE_WATCH_LISTS),
        "breadcrumbs": [(_("AML customers"), reverse("aml:customer_list")), (customer.customer_no, "")],
    }  # fmt: skip
    return render(request, "aml/customer_detail.html", context)


def _change(request: HttpRequest, customer_id: int, form_class: Any, done: str, step: Any) -> HttpResponse:
    actor = actor_of(request)
    services.get_customer(actor, customer_id=customer_id)  # out of scope: 404 before anything is tried
    back = reverse("aml:customer_detail", args=[customer_id])
    form = form_class(request.POST) if form_class else None
    if form is not None and not form.is_valid():
        form_errors(request, form)
        return redirect(back)
    data = form.cleaned_data if form is not None else {}
    return attempt(request, back, done, lambda: step(customer_id=customer_id, actor=actor, data=data))


@console_view(perms.MANAGE_CUSTOMERS)
@require_POST
def customer_edit(request: HttpRequest, customer_id: int) -> HttpResponse:
    return _change(request, customer_id, DueDiligenceForm, _("Due diligence saved; the customer was re-rated."),
                   lambda *, customer_id, actor, data: actions.do_update_customer(
                       customer_id=customer_id, data=data, actor=actor))  # fmt: skip


@console_view(perms.MANAGE_CUSTOMERS)
@require_POST
def customer_document(request: HttpRequest, customer_id: int) -> HttpResponse:
    return _change(request, customer_id, DocumentForm, _("Document recorded."),
                   lambda *, customer_id, actor, data: actions.do_add_document(
                       customer_id=customer_id, actor=actor, **data))  # fmt: skip


@console_view(perms.MANAGE_CUSTOMERS)
@require_POST
def customer_owner(request: HttpRequest, customer_id: int) -> HttpResponse:
    return _change(request, customer_id, OwnerForm, _("Beneficial owner identified; the customer was re-rated."),
                   lambda *, customer_id, actor, data: actions.do_add_beneficial_owner(
                       customer_id=customer_id, actor=actor, **data))  # fmt: skip


@console_view(perms.MANAGE_CUSTOMERS)
@require_POST
def customer_rate(request: HttpRequest, customer_id: int) -> HttpResponse:
    return _change(request, customer_id, None, _("Customer re-rated."),
                   lambda *, customer_id, actor, data: actions.do_rate_customer(
                       customer_id=customer_id, actor=actor))  # fmt: skip


@console_view(perms.MANAGE_WATCH_LISTS)
@require_POST
def customer_screen(request: HttpRequest, customer_id: int) -> HttpResponse:
    actor = actor_of(request)
    services.get_customer(actor, customer_id=customer_id)
    back = reverse("aml:customer_detail", args=[customer_id])
    try:
        hits = screening_actions.do_screen_customer(customer_id=customer_id, actor=actor)
    except DomainError as exc:
        refused(request, exc)
    else:
        messages.success(
            request, _("Screened against every active list: %(count)d new hits.") % {"count": len(hits)}
        )
    return redirect(back)
