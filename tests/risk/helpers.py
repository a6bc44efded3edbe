"""Payments for the risk tests."""

from __future__ import annotations

from typing import Any


def payment(
    n: int, *, account: str = "6222020000000001", amount: str = "120.00", **changes: Any
) -> dict[str, Any]:
    """A valid payment; ``n`` makes the id and the minute unique."""
    record: dict[str, Any] = {
        "id": f"PAY-{n:08d}",
        "timestamp": f"2026-11-24T{9 + n // 3600 % 12:02d}:{n // 60 % 60:02d}:{n % 60:02d}+08:00",
        "amount": amount,
        "currency": "CNY",
        "channel": "mobile",
        "business_type": "transfer",
        "payer_account": account,
        "payer_customer": "C" + account[-6:],
        "payee_account": "6222029999999999",
        "customer_type": "natural_person",
        "device_id": "DEV-" + account[-4:],
        "ip": "10.1.2.3",
        "city": "上海",
        "auth_method": "password",
    }
    record.update(changes)
    return record
