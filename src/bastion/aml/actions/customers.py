"""Writes of customer due diligence (R5.1): onboard, update, documents, beneficial owners, rating.

Every change re-rates the customer, so the rating on file always reflects the data on file; the
audit event records which fields changed, never their clear values (identity data stay encrypted).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bastion.aml import permissions as perms
from bastion.aml.actions.common import choice, clean_text, person_of, require
from bastion.aml.actions.screening import screen_customer
from bastion.aml.choices import AlertStatus, CustomerKind, IdType, ReportStatus, ScreeningTrigger
from bastion.aml.models import BeneficialOwner, Customer, CustomerDocument
from bastion.aml.rating import rate_customer
from bastion.aml.services.customers import ID_INDEX_CONTEXT
from bastion.audit.actions import record_event
from bastion.identity.models import Branch
from bastion.platform.crypto import blind_index
from bastion.platform.errors import FieldError, NotFound

PLAIN_FIELDS = ("occupation", "employer", "expected_activity", "nationality")
FLAGS = ("is_pep", "non_face_to_face")
AMOUNTS = ("expected_monthly_amount", "expected_monthly_cash")
SECRET_FIELDS = ("name", "name_en", "id_number", "date_of_birth", "phone", "address")
DATE_FIELDS = ("id_expires_on", "onboarded_on", "relationship_ended_on")


def _amount(value: Any, field: str) -> Decimal:
    try:
        amount = Decimal(str(value if value not in (None, "") else 0))
    except InvalidOperation:
        raise FieldError(field, _("Give an amount such as 120000.00.")) from None
    if not amount.is_finite() or amount < 0 or amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise FieldError(field, _("Give a non-negative amount with at most two decimals."))
    return amount


def _date(value: Any, field: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise FieldError(field, _("Give a date as YYYY-MM-DD.")) from None


def _nationality(value: Any) -> str:
    code = clean_text(value, "nationality", 3).upper()
    if len(code) != 3 or not code.isalpha():
        raise FieldError("nationality", _("Give an ISO 3166 alpha-3 code such as CHN."))
    return code


def _apply_fields(customer: Customer, data: dict[str, Any]) -> list[str]:
    """Validate and set the given fields; returns the names of those that changed."""
    changed = []
    for name, value in data.items():
        if name == "date_of_birth":
            born = _date(value, name)
            new: Any = born.isoformat() if born else ""
        elif name in SECRET_FIELDS:
            new = clean_text(value, name, 200, required=name in {"name", "id_number"})
        elif name in PLAIN_FIELDS:
            new = (
                _nationality(value)
                if name == "nationality"
                else clean_text(value, name, 2000, required=False)
            )
        elif name in FLAGS:
            new = bool(value)
        elif name in AMOUNTS:
            new = _amount(value, name)
        elif name in DATE_FIELDS:
            new = _date(value, name)
        elif name == "id_type":
            new = choice(value, "id_type", IdType)
        else:
            raise FieldError(name, _("Unknown field."))
        if getattr(customer, name) != new:
            setattr(customer, name, new)
            changed.append(name)
    if "id_number" in changed:
        customer.id_number_index = blind_index(customer.id_number, context=ID_INDEX_CONTEXT)
    return changed


def _rerate(customer: Customer) -> dict[str, Any]:
    rating = rate_customer(
        customer,
        today=timezone.localdate(),
        beneficial_owners=customer.beneficial_owners.count() if customer.pk else 0,
        suspicious_reports=customer.cases.filter(reports__status=ReportStatus.SUBMITTED).count()
        if customer.pk
        else 0,
        open_alerts=customer.alerts.filter(status=AlertStatus.NEW).count() if customer.pk else 0,
    )
    before = {"rating": customer.risk_rating, "score": customer.risk_score}
    customer.risk_rating, customer.risk_score = rating.rating, rating.score
    customer.risk_factors = [f.as_dict() for f in rating.factors]
    customer.rated_at, customer.next_review_on = timezone.now(), rating.next_review_on
    return before


def do_create_customer(
    *, customer_no: str, kind: str, branch_id: int, data: dict[str, Any], actor: Any
) -> Customer:
    """Onboard a customer with identity data and expected activity, and rate them."""
    require(actor, perms.MANAGE_CUSTOMERS)
    customer_no = clean_text(customer_no, "customer_no", 128)
    kind = choice(kind, "kind", CustomerKind)
    branch = Branch.objects.filter(pk=branch_id).first()
    if branch is None:
        raise FieldError("branch_id", _("Unknown branch."))
    for required in ("name", "id_type", "id_number"):
        if not data.get(required):
            raise FieldError(required, _("This field is required."))
    customer = Customer(customer_no=customer_no, kind=kind, branch=branch, created_by=person_of(actor))
    _apply_fields(customer, data)
    with transaction.atomic():
        if Customer.objects.filter(customer_no=customer_no).exists():
            raise FieldError("customer_no", _("A customer with this number exists."))
        _rerate(customer)
        customer.save()
        screen_customer(customer, trigger=ScreeningTrigger.ONBOARDING, actor=actor)
        record_event(action="aml.create_customer", actor=actor, obj=customer,
                     after={"kind": kind, "fields": sorted(data), "rating": customer.risk_rating})  # fmt: skip
    return customer


def _locked(customer_id: int) -> Customer:
    customer = Customer.objects.select_for_update().filter(pk=customer_id).first()
    if customer is None:
        raise NotFound(_("Customer not found."))
    return customer


def do_update_customer(*, customer_id: int, data: dict[str, Any], actor: Any) -> Customer:
    """Change due-diligence data; the customer is re-rated in the same transaction."""
    require(actor, perms.MANAGE_CUSTOMERS)
    with transaction.atomic():
        customer = _locked(customer_id)
        changed = _apply_fields(customer, data)
        before = _rerate(customer)
        customer.save()
        record_event(action="aml.update_customer", actor=actor, obj=customer, before=before,
                     after={"fields": changed, "rating": customer.risk_rating, "score": customer.risk_score})  # fmt: skip
    return customer


def do_rate_customer(*, customer_id: int, actor: Any) -> Customer:
    """Re-rate a customer from the data on file (periodic review)."""
    return do_update_customer(customer_id=customer_id, data={}, actor=actor)


def do_add_document(*, customer_id: int, doc_type: str, number: str, issued_on: Any = None,
                    expires_on: Any = None, note: str = "", actor: Any) -> CustomerDocument:  # fmt: skip
    """Record an identity or due-diligence document seen and verified by the actor."""
    require(actor, perms.MANAGE_CUSTOMERS)
    document = CustomerDocument(
        doc_type=choice(doc_type, "doc_type", IdType), number=clean_text(number, "number", 100),
        issued_on=_date(issued_on, "issued_on"), expires_on=_date(expires_on, "expires_on"),
        note=clean_text(note, "note", 500, required=False), verified_by=person_of(actor),
    )  # fmt: skip
    if document.issued_on and document.expires_on and document.expires_on < document.issued_on:
        raise FieldError("expires_on", _("The document expires before it was issued."))
    with transaction.atomic():
        document.customer = _locked(customer_id)
        document.save()
        record_event(action="aml.add_customer_document", actor=actor, obj=document.customer,
                     after={"doc_type": document.doc_type})  # fmt: skip
    return document


def do_add_beneficial_owner(*, customer_id: int, name: str, id_type: str, id_number: str, nationality: str = "CHN",
                            ownership_percent: Any = 0, control: str = "", actor: Any) -> BeneficialOwner:  # fmt: skip
    """Identify a beneficial owner of an institutional customer; the customer is re-rated."""
    require(actor, perms.MANAGE_CUSTOMERS)
    share = _amount(ownership_percent, "ownership_percent")
    if share > 100:
        raise FieldError("ownership_percent", _("At most 100."))
    with transaction.atomic():
        customer = _locked(customer_id)
        if customer.kind != CustomerKind.INSTITUTION:
            raise FieldError("customer_id", _("Only institutions have beneficial owners."))
        owner = BeneficialOwner.objects.create(
            customer=customer, name=clean_text(name, "name", 200), id_type=choice(id_type, "id_type", IdType),
            id_number=clean_text(id_number, "id_number", 100), nationality=_nationality(nationality),
            ownership_percent=share, control=clean_text(control, "control", 200, required=False),
        )  # fmt: skip
        before = _rerate(customer)
        customer.save()
        record_event(action="aml.add_beneficial_owner", actor=actor, obj=customer, before=before,
                     after={"ownership_percent": str(share), "rating": customer.risk_rating})  # fmt: skip
    return owner
