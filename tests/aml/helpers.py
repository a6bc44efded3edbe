"""Stored payments and customers for the AML tests (payments are inputs here, scored elsewhere)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from bastion.aml.models import Customer
from bastion.identity.models import Branch
from bastion.risk.models import StoredPayment

SHANGHAI = ZoneInfo("Asia/Shanghai")
_ids = itertools.count(1)


def at(day: str, time: str = "10:00") -> dt.datetime:
    """A Beijing-time instant."""
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=SHANGHAI)


def store_payment(
    *, when: dt.datetime, amount: str, customer: str = "C100001", channel: str = "mobile",
    business_type: str = "transfer", currency: str = "CNY", customer_type: str = "natural_person",
    payee_customer: str = "", cross_border: bool = False, branch: Branch | None = None, **extra: Any,
) -> StoredPayment:  # fmt: skip
    n = next(_ids)
    default_payee = "6222029999999999" if payee_customer or business_type == "transfer" else ""
    payee_account = extra.pop("payee_account", default_payee)
    return StoredPayment.objects.create(
        payment_id=f"AML-{n:08d}", account_hash=n, occurred_at=when, amount=Decimal(amount), currency=currency,
        channel=channel, business_type=business_type, payer_account=f"62220200{customer[-6:]}",
        payer_customer=customer, payee_account=payee_account,
        payee_customer=payee_customer, customer_type=customer_type, cross_border=cross_border, auth_method="password",
        branch=branch, source="http", digest=f"{n:064d}", **extra,
    )  # fmt: skip


def make_customer(customer_no: str, *, branch: Branch, kind: str = "natural_person", name: str = "张伟",
                  **extra: Any) -> Customer:  # fmt: skip
    return Customer.objects.create(
        customer_no=customer_no, kind=kind, name=name, id_type="resident_id", id_number="110101199003071234",
        id_number_index="x", branch=branch, **extra,
    )  # fmt: skip
