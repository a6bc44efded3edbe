"""Reads of customer due diligence: the customer list, one customer, retention dates."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from bastion.aml.models import Customer
from bastion.aml.rating import add_months
from bastion.platform.crypto import blind_index
from bastion.platform.errors import NotFound
from bastion.platform.scoping import Principal, scoped

ID_INDEX_CONTEXT = "aml.customer.id_number"
# The Anti-Money Laundering Law as revised in 2024 (in force 1 January 2025): identity data for at
# least ten years after the relationship ends, transaction records ten years after the transaction.
RETENTION_YEARS = 10


def list_customers(principal: Principal, *, rating: str | None = None, q: str = "",
                   review_due_by: dt.date | None = None) -> QuerySet[Customer]:  # fmt: skip
    """Customers in scope; ``q`` matches a customer number exactly or by prefix, or an ID number exactly."""
    customers = scoped(Customer.objects.select_related("branch"), principal)
    if rating:
        customers = customers.filter(risk_rating=rating)
    if review_due_by is not None:
        customers = customers.filter(next_review_on__lte=review_due_by)
    q = q.strip()
    if q:
        by_id = customers.filter(id_number_index=blind_index(q, context=ID_INDEX_CONTEXT))
        customers = by_id if by_id.exists() else customers.filter(customer_no__startswith=q)
    return customers


def get_customer(principal: Principal, *, customer_id: int) -> Customer:
    found = list_customers(principal).filter(pk=customer_id).first()
    if found is None:
        raise NotFound(_("Customer not found."))
    return found


def identity_retained_until(customer: Customer) -> dt.date | None:
    """Until when identity data must be kept; None while the relationship lasts."""
    if customer.relationship_ended_on is None:
        return None
    return add_months(customer.relationship_ended_on, 12 * RETENTION_YEARS)
