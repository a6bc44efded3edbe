"""Payment validation: every bad record names the offending field, on both paths."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import polars as pl
import pytest

from bastion.engine import EngineConfig, Payment, PaymentValidationError
from bastion.engine.batch import normalize

from .conftest import T0, frame_of, record


def test_valid_record_is_normalised_to_fen_and_utc_micros() -> None:
    p = Payment.from_mapping(record(amount="1234.5", timestamp="2026-03-02T17:00:00.25+08:00"))
    assert p.amount == 123450
    assert p.ts == int(T0.timestamp()) * 1_000_000 + 250_000
    assert p.timestamp == datetime.fromisoformat("2026-03-02T09:00:00.25+00:00")
    assert p.to_mapping()["amount"] == "1234.5"


def test_foreign_currency_converts_half_even_to_fen() -> None:
    config = EngineConfig(fx_rates={"USD": Decimal("7.1234")})
    p = Payment.from_mapping(record(amount="10.05", currency="USD"), config)
    assert p.amount == 7159  # 10.05 * 7.1234 = 71.58917 CNY -> 71.59


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"id": ""}, "id", "must not be empty"),
        ({"id": "x" * 129}, "id", "longer than 128"),
        ({"payer_account": 12345}, "payer_account", "must be text"),
        ({"timestamp": datetime(2026, 3, 2, 9, 0)}, "timestamp", "timezone-aware"),
        ({"timestamp": "2026-03-02T09:00:00"}, "timestamp", "timezone-aware"),
        ({"timestamp": "yesterday"}, "timestamp", "not an ISO-8601"),
        ({"timestamp": "1969-12-31T23:59:59+00:00"}, "timestamp", "before 1970"),
        ({"amount": 12.5}, "amount", "not a float"),
        ({"amount": "12.345"}, "amount", "at most 2 decimal places"),
        ({"amount": "0"}, "amount", "greater than zero"),
        ({"amount": "-5"}, "amount", "greater than zero"),
        ({"amount": "abc"}, "amount", "not a decimal"),
        ({"amount": "NaN"}, "amount", "finite"),
        ({"amount": "20000000000"}, "amount", "maximum"),
        ({"currency": "RMB"}, "currency", "unknown currency"),
        ({"currency": "usd"}, "currency", "ISO 4217"),
        ({"currency": "USD"}, "currency", "no exchange rate"),
        ({"amount": "10.5", "currency": "JPY"}, "amount", "at most 0 decimal places"),
        ({"channel": "carrier_pigeon"}, "channel", "not one of"),
        ({"business_type": "gift"}, "business_type", "not one of"),
        ({"customer_type": "robot"}, "customer_type", "not one of"),
        ({"auth_method": "retina"}, "auth_method", "not one of"),
        ({"cross_border": "maybe"}, "cross_border", "true or false"),
        ({"ip": "999.1.1.1"}, "ip", "not an IPv4 or IPv6"),
        ({"device_id": ""}, "device_id", "must not be empty"),
        ({"colour": "red"}, "colour", "unknown field"),
    ],
)
def test_bad_records_name_the_field(overrides: dict[str, Any], field: str, fragment: str) -> None:
    with pytest.raises(PaymentValidationError) as caught:
        Payment.from_mapping(record(**overrides))
    assert caught.value.field == field
    assert fragment in str(caught.value)


@pytest.mark.parametrize(
    "missing", ["id", "timestamp", "amount", "channel", "business_type", "payer_account", "payer_customer"]
)
def test_missing_required_field(missing: str) -> None:
    with pytest.raises(PaymentValidationError, match=f"{missing}: is required"):
        Payment.from_mapping({k: v for k, v in record().items() if k != missing})


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount": "12.345"}, "amount"),
        ({"amount": "0.00"}, "amount"),
        ({"timestamp": "2026-03-02T09:00:00"}, "timestamp"),
        ({"timestamp": "2026-02-30T09:00:00+08:00"}, "timestamp"),
        ({"channel": "fax"}, "channel"),
        ({"ip": "not-an-ip"}, "ip"),
        ({"currency": "XXX"}, "currency"),
    ],
)
def test_batch_rejects_the_same_records_naming_field_and_row(overrides: dict[str, Any], field: str) -> None:
    rows = [record(id="ok1"), record(id="ok2"), record(id="bad", **overrides)]
    with pytest.raises(PaymentValidationError) as caught:
        normalize(frame_of(rows), EngineConfig())
    assert caught.value.field == field
    assert caught.value.row == 2
    assert str(caught.value).startswith("row 2: ")


def test_batch_refuses_float_amounts_and_naive_datetimes() -> None:
    frame = frame_of([record()]).with_columns(pl.lit(1.5).alias("amount"))
    with pytest.raises(PaymentValidationError, match="amount: must be an exact decimal"):
        normalize(frame, EngineConfig())
    naive = frame_of([record()]).with_columns(pl.lit(datetime(2026, 1, 1)).alias("timestamp"))
    with pytest.raises(PaymentValidationError, match="timestamp: must be timezone-aware"):
        normalize(naive, EngineConfig())


def test_batch_reports_missing_columns() -> None:
    with pytest.raises(Exception, match="missing required column"):
        normalize(frame_of([record()]).drop("payer_customer"), EngineConfig())


def test_batch_accepts_integer_decimal_and_odd_but_valid_text_amounts() -> None:
    rows = [record(amount=a, id=f"p{i}") for i, a in enumerate(["7", "0.5", "1_000.25", " 12.00 ", "3.10"])]
    expected = [Payment.from_mapping(r).amount for r in rows]
    assert (
        normalize(frame_of(rows), EngineConfig())["amount"].to_list()
        == expected
        == [700, 50, 100025, 1200, 310]
    )
