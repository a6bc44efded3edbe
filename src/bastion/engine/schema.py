"""The payment record the engine scores, with validation that names the offending field.

``Payment.from_mapping`` is the boundary: it accepts JSON-like values (ISO strings, decimal strings)
and produces a compact object whose amounts are integer fen of the base currency and whose time is
integer microseconds since the Unix epoch (UTC). The scorer reads only these normalised attributes.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from .config import EngineConfig
from .errors import PaymentValidationError
from .money import BASE_CURRENCY, format_fen, parse_decimal, to_base_fen

CHANNELS = (
    "cash",
    "bank_card",
    "third_party",
    "mobile",
    "digital_currency",
    "counter",
    "atm",
    "pos",
    "smart_counter",
)
BUSINESS_TYPES = (
    "transfer",
    "remittance",
    "bill_payment",
    "withdrawal",
    "deposit",
    "purchase",
    "account_opening",
    "account_closing",
    "information_change",
    "inquiry",
    "fx_settlement",
    "refund",
)
CUSTOMER_TYPES = ("natural_person", "institution")
AUTH_METHODS = (
    "password",
    "dynamic_code",
    "multi_factor",
    "qr_code",
    "fingerprint",
    "face",
    "iris",
    "voice",
    "none",
)
ENUMS: dict[str, tuple[str, ...]] = {
    "channel": CHANNELS,
    "business_type": BUSINESS_TYPES,
    "customer_type": CUSTOMER_TYPES,
    "auth_method": AUTH_METHODS,
}

# Boundary (record / column) name -> attribute name used by the engine and the rule language.
REQUIRED_TEXT = {"id": "id", "payer_account": "payer", "payer_customer": "customer"}
OPTIONAL_TEXT = {
    "payee_account": "payee",
    "payee_customer": "payee_customer",
    "counterparty_institution": "institution",
    "device_id": "device",
    "city": "city",
}
BOUNDARY_FIELDS = (
    "id",
    "timestamp",
    "amount",
    "currency",
    "channel",
    "business_type",
    "payer_account",
    "payer_customer",
    "payee_account",
    "payee_customer",
    "customer_type",
    "counterparty_institution",
    "cross_border",
    "device_id",
    "ip",
    "city",
    "auth_method",
)
REQUIRED_FIELDS = frozenset(
    {"id", "timestamp", "amount", "channel", "business_type", "payer_account", "payer_customer"}
    | {"customer_type", "auth_method"}
)
MAX_TEXT_LENGTH = 128
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MICROSECOND = timedelta(microseconds=1)


class Payment:
    """A validated payment, normalised for scoring. Build it with :meth:`from_mapping`."""

    __slots__ = (
        "amount",
        "auth_method",
        "business_type",
        "channel",
        "city",
        "cross_border",
        "currency",
        "customer",
        "customer_type",
        "device",
        "id",
        "institution",
        "ip",
        "original_amount",
        "payee",
        "payee_customer",
        "payer",
        "ts",
    )

    id: str
    ts: int
    amount: int
    currency: str
    original_amount: Decimal
    channel: str
    business_type: str
    payer: str
    customer: str
    payee: str | None
    payee_customer: str | None
    customer_type: str
    institution: str | None
    cross_border: bool
    device: str | None
    ip: str | None
    city: str | None
    auth_method: str

    @classmethod
    def from_mapping(cls, record: Mapping[str, Any], config: EngineConfig | None = None) -> Payment:
        """Validate a JSON-like record; raise PaymentValidationError naming the first bad field."""
        config = config or EngineConfig()
        unknown = set(record) - set(BOUNDARY_FIELDS)
        if unknown:
            raise PaymentValidationError(sorted(unknown)[0], "unknown field")
        for name in sorted(REQUIRED_FIELDS):
            if record.get(name) is None:
                raise PaymentValidationError(name, "is required")
        p = cls.__new__(cls)
        for name, attr in REQUIRED_TEXT.items():
            setattr(p, attr, validate_text(name, record[name]))
        for name, attr in OPTIONAL_TEXT.items():
            value = record.get(name)
            setattr(p, attr, None if value is None else validate_text(name, value))
        p.ts = timestamp_to_micros(record["timestamp"])
        p.currency = validate_currency(record.get("currency", BASE_CURRENCY))
        p.original_amount = parse_decimal(record["amount"], "amount")
        p.amount = to_base_fen(p.original_amount, p.currency, config.fx_rates)
        for name in ENUMS:
            setattr(p, name, validate_enum(name, record[name]))
        p.cross_border = validate_bool("cross_border", record.get("cross_border", False))
        ip = record.get("ip")
        p.ip = None if ip is None else validate_ip(ip)
        return p

    @property
    def timestamp(self) -> datetime:
        return EPOCH + self.ts * ONE_MICROSECOND

    def to_mapping(self) -> dict[str, Any]:
        """The boundary form of this payment (inverse of ``from_mapping`` for base-currency amounts)."""
        return {
            "id": self.id,
            "timestamp": self.timestamp.isoformat(),
            "amount": str(self.original_amount),
            "currency": self.currency,
            "channel": self.channel,
            "business_type": self.business_type,
            "payer_account": self.payer,
            "payer_customer": self.customer,
            "payee_account": self.payee,
            "payee_customer": self.payee_customer,
            "customer_type": self.customer_type,
            "counterparty_institution": self.institution,
            "cross_border": self.cross_border,
            "device_id": self.device,
            "ip": self.ip,
            "city": self.city,
            "auth_method": self.auth_method,
        }

    def __repr__(self) -> str:
        return f"Payment(id={self.id!r}, ts={self.ts}, amount={format_fen(self.amount)})"


def validate_text(field: str, value: object) -> str:
    if not isinstance(value, str):
        raise PaymentValidationError(field, f"must be text, got {type(value).__name__}")
    if not value:
        raise PaymentValidationError(field, "must not be empty")
    if len(value) > MAX_TEXT_LENGTH:
        raise PaymentValidationError(field, f"is longer than {MAX_TEXT_LENGTH} characters")
    return value


def validate_enum(field: str, value: object) -> str:
    allowed = ENUMS[field]
    if value not in allowed:
        raise PaymentValidationError(field, f"{value!r} is not one of: {', '.join(allowed)}")
    return str(value)


def validate_currency(value: object) -> str:
    if not isinstance(value, str) or len(value) != 3 or not value.isascii() or not value.isupper():
        raise PaymentValidationError("currency", f"{value!r} is not an ISO 4217 code such as 'CNY'")
    return value


def validate_bool(field: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise PaymentValidationError(field, f"must be true or false, got {value!r}")


def validate_ip(value: object) -> str:
    if not isinstance(value, str):
        raise PaymentValidationError("ip", f"must be text, got {type(value).__name__}")
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise PaymentValidationError("ip", f"{value!r} is not an IPv4 or IPv6 address") from None
    return value


def timestamp_to_micros(value: object) -> int:
    """Aware datetime or ISO-8601 string with offset -> integer microseconds since the epoch (UTC)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise PaymentValidationError("timestamp", f"{value!r} is not an ISO-8601 timestamp") from None
    if not isinstance(value, datetime):
        raise PaymentValidationError("timestamp", f"must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise PaymentValidationError("timestamp", "must be timezone-aware (include an offset such as +08:00)")
    micros = (value - EPOCH) // ONE_MICROSECOND
    if micros < 0:
        raise PaymentValidationError("timestamp", "is before 1970-01-01")
    return micros
