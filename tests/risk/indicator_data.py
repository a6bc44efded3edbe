"""A small hand-built set of stored payments whose indicator values are worked out by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from itertools import count
from typing import Any
from zoneinfo import ZoneInfo

from bastion.risk.actions import do_ensure_active_ruleset
from bastion.risk.models import Decision, StoredPayment
from bastion.risk.services import account_hash

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 11, 20)
PREVIOUS = dt.date(2026, 11, 19)
_numbers = count(1)


def stored(
    *,
    at: dt.datetime,
    amount: str,
    payer: str,
    payee: str = "",
    channel: str = "mobile",
    branch: Any = None,
    level: str = "normal",
) -> StoredPayment:
    """A payment and its decision stored directly, as the scorer would have stored them."""
    ruleset = do_ensure_active_ruleset()
    payment = StoredPayment.objects.create(
        payment_id=f"IND-{next(_numbers):06d}",
        account_hash=account_hash(payer),
        occurred_at=at,
        amount=Decimal(amount),
        currency="CNY",
        channel=channel,
        business_type="transfer",
        payer_account=payer,
        payer_customer="C-" + payer,
        payee_account=payee,
        customer_type="natural_person",
        auth_method="password",
        branch=branch,
        source="http",
        digest="0" * 64,
    )
    action = {"normal": "allow", "attention": "review", "warning": "challenge", "high_risk": "hold"}[level]
    Decision.objects.create(
        payment=payment, score=0, level=level, action=action, ruleset=ruleset, decided_at=at, latency_us=100
    )
    return payment


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)


def build(world: Any) -> None:
    """Day 20: three mobile payments at branch A, one cash payment (no payee) at branch B; day 19: one."""
    a, b = world.branch_a, world.branch_b
    stored(at=at(PREVIOUS, 9, 30), amount="500.00", payer="A1", payee="P9", branch=a)
    stored(at=at(DAY, 9, 10), amount="100.00", payer="A1", payee="P1", branch=a)
    stored(at=at(DAY, 9, 20), amount="200.00", payer="A1", payee="P2", branch=a)
    stored(at=at(DAY, 9, 40), amount="300.00", payer="A2", payee="P1", branch=a, level="attention")
    stored(at=at(DAY, 10, 5), amount="400.00", payer="B1", channel="cash", branch=b, level="high_risk")
