"""Canonical serialisation and hashing of audit rows; the chain's only definition."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

GENESIS_HASH = "0" * 64
HASHED_FIELDS = (
    "seq",
    "occurred_at",
    "actor_type",
    "actor_id",
    "actor_label",
    "source_ip",
    "request_id",
    "channel",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "branch_id",
    "before",
    "after",
    "extra",
    "prev_hash",
)


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"audit payloads hold JSON values only, not {type(value).__name__}")


def format_time(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("audit times must be aware")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no insignificant whitespace, so equal content hashes equally."""
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_default,
    )


def _parse_float(text: str) -> float | int:
    # PostgreSQL's jsonb keeps numbers as exact decimals and hands an integral float such as 1e+20
    # back as 100000000000000000000, which Python then reads as an int. Storing integral floats as
    # ints from the start makes every backend return exactly what was hashed.
    number = float(text)
    return int(number) if number.is_integer() else number


def normalise(value: Any) -> Any:
    """Round-trip a payload through canonical JSON, as the database will store and return it."""
    return json.loads(canonical_json(value), parse_float=_parse_float) if value is not None else None


def row_hash(fields: dict[str, Any]) -> str:
    """SHA-256 of the canonical serialisation of a row's hashed fields."""
    material = {name: fields[name] for name in HASHED_FIELDS}
    material["occurred_at"] = format_time(material["occurred_at"])
    return hashlib.sha256(canonical_json(material).encode("utf-8")).hexdigest()
