"""AML API (``/api/v1/aml/...``): customers (KYC), regulatory reports, alerts and cases.

Identity data are masked unless the caller may see them in clear (and then the read is audited).
Every list is paginated and filtered by the caller's branch scope.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from bastion.aml import permissions as perms
from bastion.aml.actions import customers as actions
from bastion.aml.actions.reports import do_record_exchange_rate
from bastion.aml.api_cases import mount as mount_cases
from bastion.aml.api_fraud import mount as mount_fraud
from bastion.aml.api_reports import mount as mount_reports
from bastion.aml.api_screening import mount as mount_screening
from bastion.aml.choices import CustomerKind, CustomerRiskRating, IdType
from bastion.aml.models import Customer
from bastion.aml.services import customers as services
from bastion.platform.api_helpers import ERRORS, Page, PageQuery, page_of, principal_of, require_permission
from bastion.platform.errors import FieldError
from bastion.platform.masking import MASKERS
from bastion.platform.pii import present_pii_fields

router = Router(tags=["aml"])
PII_FIELDS = {"name": "name", "name_en": "name", "id_number": "id_number", "phone": "phone",
              "address": "address", "date_of_birth": "date"}  # fmt: skip


class CustomerData(Schema):
    name: str | None = Field(None, max_length=200)
    name_en: str | None = Field(None, max_length=200, description="The name in Latin letters, for screening.")
    id_type: IdType | None = None
    id_number: str | None = Field(None, max_length=200)
    id_expires_on: dt.date | None = None
    date_of_birth: str | None = Field(None, max_length=10, description="YYYY-MM-DD")
    nationality: str | None = Field(None, max_length=3, description="ISO 3166 alpha-3, e.g. CHN.")
    phone: str | None = Field(None, max_length=40)
    address: str | None = Field(None, max_length=200)
    occupation: str | None = Field(None, max_length=40)
    employer: str | None = Field(None, max_length=200)
    is_pep: bool | None = None
    non_face_to_face: bool | None = None
    expected_monthly_amount: Decimal | None = None
    expected_monthly_cash: Decimal | None = None
    expected_activity: str | None = Field(None, max_length=2000)
    relationship_ended_on: dt.date | None = None


class CustomerIn(CustomerData):
    customer_no: str = Field(
        ..., max_length=128, description="The core-banking customer number payments carry."
    )
    kind: CustomerKind
    branch_id: int


class CustomerFilter(Schema):
    rating: CustomerRiskRating | None = None
    q: str = Field("", max_length=128, description="Customer number (prefix) or ID number (exact).")
    review_due_by: dt.date | None = None


class DocumentIn(Schema):
    doc_type: IdType
    number: str = Field(..., max_length=100)
    issued_on: dt.date | None = None
    expires_on: dt.date | None = None
    note: str = Field("", max_length=500)


class OwnerIn(Schema):
    name: str = Field(..., max_length=200)
    id_type: IdType
    id_number: str = Field(..., max_length=100)
    nationality: str = Field("CHN", max_length=3)
    ownership_percent: Decimal = Field(Decimal(0), ge=0, le=100)
    control: str = Field("", max_length=200)


class RateIn(Schema):
    currency: str = Field(..., max_length=3)
    day: dt.date
    cny_per_unit: Decimal = Field(..., gt=0)


def _data(payload: Schema) -> dict[str, Any]:
    data = payload.dict(exclude_unset=True)
    for key in ("customer_no", "kind", "branch_id"):
        data.pop(key, None)
    return {k: (v.value if hasattr(v, "value") else v) for k, v in data.items()}


def render_customer(customer: Customer, principal: Any, *, detail: bool = False) -> dict[str, Any]:
    """Lists show the name masked; one customer's page shows what the reader may see (audited)."""
    if detail:
        shown = present_pii_fields(obj=customer, fields=PII_FIELDS, principal=principal)
    else:
        shown = {"name": MASKERS["name"](customer.name or "")}
    body: dict[str, Any] = {
        "id": customer.pk, "customer_no": customer.customer_no, "kind": customer.kind, **shown,
        "branch": customer.branch.code, "branch_id": customer.branch_id, "risk_rating": customer.risk_rating,
        "risk_score": customer.risk_score,
        "next_review_on": customer.next_review_on.isoformat() if customer.next_review_on else None,
    }  # fmt: skip
    if detail:
        retained = services.identity_retained_until(customer)
        body.update({
            "id_type": customer.id_type, "nationality": customer.nationality, "occupation": customer.occupation,
            "employer": customer.employer, "is_pep": customer.is_pep, "non_face_to_face": customer.non_face_to_face,
            "expected_monthly_amount": str(customer.expected_monthly_amount),
            "expected_monthly_cash": str(customer.expected_monthly_cash),
            "expected_activity": customer.expected_activity, "risk_factors": customer.risk_factors,
            "rated_at": customer.rated_at.isoformat() if customer.rated_at else None,
            "onboarded_on": customer.onboarded_on.isoformat(),
            "relationship_ended_on": customer.relationship_ended_on.isoformat() if customer.relationship_ended_on else None,
            "identity_retained_until": retained.isoformat() if retained else None,
            "documents": [{"doc_type": d.doc_type, "issued_on": str(d.issued_on or ""), "expires_on": str(d.expires_on or ""),
                           "verified_at": d.verified_at.isoformat()} for d in customer.documents.all()],
            "beneficial_owners": [{"ownership_percent": str(o.ownership_percent), "nationality": o.nationality,
                                   "control": o.control} for o in customer.beneficial_owners.all()],
        })  # fmt: skip
    return body


@router.get("/customers", response={200: Page, **ERRORS}, summary="Customers (KYC) in scope")
def list_customers(request: HttpRequest, paging: Query[PageQuery], filters: Query[CustomerFilter]) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.VIEW_CUSTOMERS)
    found = services.list_customers(principal, rating=filters.rating.value if filters.rating else None, q=filters.q,
                                     review_due_by=filters.review_due_by)  # fmt: skip
    return page_of(found, paging, lambda c: render_customer(c, principal))


@router.post("/customers", response={201: dict[str, Any], **ERRORS}, summary="Onboard a customer")
def create_customer(request: HttpRequest, payload: CustomerIn) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.MANAGE_CUSTOMERS)
    scope = principal.branch_scope()
    if not scope.all_branches and payload.branch_id not in scope.branch_ids:
        raise FieldError("branch_id", _("Choose a branch in your scope."))
    customer = actions.do_create_customer(customer_no=payload.customer_no, kind=payload.kind.value,
                                          branch_id=payload.branch_id, data=_data(payload), actor=principal)  # fmt: skip
    return Status(201, render_customer(customer, principal, detail=True))


@router.get("/customers/{customer_id}", response={200: dict[str, Any], **ERRORS}, summary="One customer")
def get_customer(request: HttpRequest, customer_id: int) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.VIEW_CUSTOMERS)
    return render_customer(services.get_customer(principal, customer_id=customer_id), principal, detail=True)


@router.patch(
    "/customers/{customer_id}", response={200: dict[str, Any], **ERRORS}, summary="Update due diligence"
)
def update_customer(request: HttpRequest, customer_id: int, payload: CustomerData) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.MANAGE_CUSTOMERS)
    services.get_customer(principal, customer_id=customer_id)
    customer = actions.do_update_customer(customer_id=customer_id, data=_data(payload), actor=principal)
    return render_customer(customer, principal, detail=True)


@router.post(
    "/customers/{customer_id}/rate", response={200: dict[str, Any], **ERRORS}, summary="Re-rate a customer"
)
def rate_customer(request: HttpRequest, customer_id: int) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.MANAGE_CUSTOMERS)
    services.get_customer(principal, customer_id=customer_id)
    return render_customer(
        actions.do_rate_customer(customer_id=customer_id, actor=principal), principal, detail=True
    )


@router.post(
    "/customers/{customer_id}/documents", response={201: dict[str, Any], **ERRORS}, summary="Add a document"
)
def add_document(request: HttpRequest, customer_id: int, payload: DocumentIn) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.MANAGE_CUSTOMERS)
    services.get_customer(principal, customer_id=customer_id)
    actions.do_add_document(customer_id=customer_id, doc_type=payload.doc_type.value, number=payload.number,
                            issued_on=payload.issued_on, expires_on=payload.expires_on, note=payload.note,
                            actor=principal)  # fmt: skip
    return Status(
        201,
        render_customer(services.get_customer(principal, customer_id=customer_id), principal, detail=True),
    )


@router.post("/customers/{customer_id}/beneficial-owners", response={201: dict[str, Any], **ERRORS},
             summary="Identify a beneficial owner")  # fmt: skip
def add_owner(request: HttpRequest, customer_id: int, payload: OwnerIn) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.MANAGE_CUSTOMERS)
    services.get_customer(principal, customer_id=customer_id)
    actions.do_add_beneficial_owner(customer_id=customer_id, name=payload.name, id_type=payload.id_type.value,
                                    id_number=payload.id_number, nationality=payload.nationality,
                                    ownership_percent=payload.ownership_percent, control=payload.control,
                                    actor=principal)  # fmt: skip
    return Status(
        201,
        render_customer(services.get_customer(principal, customer_id=customer_id), principal, detail=True),
    )


@router.post("/exchange-rates", response={201: dict[str, Any], **ERRORS}, summary="Record a reference rate")
def record_rate(request: HttpRequest, payload: RateIn) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.MANAGE_RATES)
    rate = do_record_exchange_rate(currency=payload.currency, day=payload.day, cny_per_unit=payload.cny_per_unit,
                                   actor=principal)  # fmt: skip
    return Status(
        201, {"currency": rate.currency, "day": rate.day.isoformat(), "cny_per_unit": str(rate.cny_per_unit)}
    )


mount_reports(router)
mount_cases(router)
mount_screening(router)
mount_fraud(router)
