"""Health rules: turn one telemetry message into the faults it shows present and absent (R2.5).

Pure functions, no database: the evaluator (:mod:`bastion.devices.actions.alarms`) applies the
result. A message speaks only for what it carries: a message without ``printer`` neither raises nor
clears PRINTER_FAULT. Any valid message is a heartbeat, so it always clears HEARTBEAT_MISSING.

Payload (JSON object; every field but the device is optional)::

    {"device_id": 42, "ts": "2026-03-02T10:00:00+08:00", "cash_level": 35, "card_reader": "ok",
     "printer": "ok" | "fault" | "paper_low", "network": "ok" | "down", "temperature": 31.5,
     "error_codes": ["E_DISPENSER_JAM"]}
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.dateparse import parse_datetime

from bastion.devices.choices import AlarmSeverity, DeviceClass

# Thresholds. Cash below 10 % leaves a few hours of withdrawals on a busy ATM; cabinets above 45 °C
# throttle and fail (vendor guidance of the common ATM families).
CASH_LOW_PERCENT = 10
TEMPERATURE_HIGH_C = Decimal("45")
# Readings outside these ranges are not measurements but broken sensors or forged messages.
TEMPERATURE_SANE_C = (Decimal("-40"), Decimal("100"))
MAX_ERROR_CODES = 20
ERROR_CODE = re.compile(r"^[A-Z][A-Z0-9_]{1,39}$")

HEARTBEAT_MISSING = "HEARTBEAT_MISSING"
LINK_DOWN = "LINK_DOWN"
NETWORK_DOWN = "NETWORK_DOWN"
CASH_LOW = "CASH_LOW"
CARD_READER_FAULT = "CARD_READER_FAULT"
PRINTER_FAULT = "PRINTER_FAULT"
PRINTER_PAPER_LOW = "PRINTER_PAPER_LOW"
TEMPERATURE_HIGH = "TEMPERATURE_HIGH"

# Codes that only say "cannot reach it": behind a down link or switch they are the parent's echo.
CONNECTIVITY_CODES = frozenset({HEARTBEAT_MISSING, LINK_DOWN, NETWORK_DOWN})
# Codes the rules derive; the catalogue (FaultCode) may override severity and wording.
BUILTIN_FAULTS: dict[str, tuple[str, str, str]] = {
    HEARTBEAT_MISSING: (AlarmSeverity.MAJOR, "心跳丢失", "Heartbeat missing"),
    LINK_DOWN: (AlarmSeverity.CRITICAL, "网点链路或交换机中断", "Branch link or switch down"),
    NETWORK_DOWN: (AlarmSeverity.MAJOR, "设备网络中断", "Device network down"),
    CASH_LOW: (AlarmSeverity.MINOR, "钞箱余量不足", "Cash level low"),
    CARD_READER_FAULT: (AlarmSeverity.MAJOR, "读卡器故障", "Card reader fault"),
    PRINTER_FAULT: (AlarmSeverity.MINOR, "凭条打印机故障", "Receipt printer fault"),
    PRINTER_PAPER_LOW: (AlarmSeverity.WARNING, "凭条纸将尽", "Receipt paper low"),
    TEMPERATURE_HIGH: (AlarmSeverity.MAJOR, "机内温度过高", "Cabinet temperature high"),
}
CASH_CLASSES = frozenset({DeviceClass.ATM, DeviceClass.CASH_RECYCLER})


class BadTelemetry(ValueError):
    """A message that is not valid telemetry; ``reason`` labels the rejection counter."""

    def __init__(self, reason: str, message: str, field: str = "") -> None:
        super().__init__(message)
        self.reason = reason
        self.field = field


@dataclass
class Reading:
    """A validated telemetry message."""

    device_id: int
    observed_at: datetime | None = None
    cash_level: int | None = None
    temperature: Decimal | None = None
    card_reader_ok: bool | None = None
    printer: str | None = None
    network_ok: bool | None = None
    error_codes: list[str] | None = None


@dataclass
class Verdict:
    """What a reading says about a device: faults present (code -> detail) and faults absent."""

    present: dict[str, str] = field(default_factory=dict)
    absent: set[str] = field(default_factory=set)
    # Error codes the device reported earlier and no longer lists clear too, but only the evaluator
    # knows which those are: it clears every standing device-reported code not in ``present``.
    error_codes_reported: bool = False


def _flag(payload: dict[str, Any], name: str, good: set[str], bad: set[str]) -> str | None:
    value = payload.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or value not in good | bad:
        raise BadTelemetry("invalid_value", f"{name} must be one of {sorted(good | bad)}", name)
    return value


def _device_id(payload: dict[str, Any], topic_device_id: int | None) -> int:
    raw = payload.get("device_id", topic_device_id)
    if isinstance(raw, bool) or not isinstance(raw, int) or raw <= 0:
        raise BadTelemetry("invalid_value", "device_id must be a positive integer", "device_id")
    if topic_device_id is not None and raw != topic_device_id:
        raise BadTelemetry("invalid_value", "device_id differs from the topic", "device_id")
    return raw


def _observed_at(payload: dict[str, Any]) -> datetime | None:
    raw = payload.get("ts")
    if raw is None:
        return None
    parsed = parse_datetime(raw) if isinstance(raw, str) else None
    if parsed is None or parsed.tzinfo is None:
        raise BadTelemetry("invalid_value", "ts must be an ISO 8601 time with an offset", "ts")
    return parsed


def _cash(payload: dict[str, Any]) -> int | None:
    raw = payload.get("cash_level")
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not 0 <= raw <= 100:
        raise BadTelemetry("absurd_value", "cash_level must be a percentage from 0 to 100", "cash_level")
    return int(raw)


def _temperature(payload: dict[str, Any]) -> Decimal | None:
    raw = payload.get("temperature")
    if raw is None:
        return None
    try:
        if isinstance(raw, bool) or not isinstance(raw, int | float | str):
            raise InvalidOperation
        value = Decimal(str(raw)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise BadTelemetry("invalid_value", "temperature must be a number", "temperature") from None
    low, high = TEMPERATURE_SANE_C
    if not value.is_finite() or not low <= value <= high:
        raise BadTelemetry("absurd_value", f"temperature must lie between {low} and {high} °C", "temperature")
    return value


def _error_codes(payload: dict[str, Any]) -> list[str] | None:
    raw = payload.get("error_codes")
    if raw is None:
        return None
    if not isinstance(raw, list) or len(raw) > MAX_ERROR_CODES:
        raise BadTelemetry(
            "invalid_value", f"error_codes must be a list of at most {MAX_ERROR_CODES}", "error_codes"
        )
    codes = []
    for code in raw:
        if not isinstance(code, str) or not ERROR_CODE.match(code):
            raise BadTelemetry("invalid_value", "error codes are upper-case identifiers", "error_codes")
        codes.append(code)
    return sorted(set(codes))


def parse_reading(payload: Any, *, topic_device_id: int | None = None) -> Reading:
    """Validate one decoded message; raise :class:`BadTelemetry` naming the first bad field."""
    if not isinstance(payload, dict):
        raise BadTelemetry("malformed", "a telemetry message is a JSON object")
    card = _flag(payload, "card_reader", {"ok"}, {"fault"})
    network = _flag(payload, "network", {"ok"}, {"down"})
    return Reading(
        device_id=_device_id(payload, topic_device_id),
        observed_at=_observed_at(payload),
        cash_level=_cash(payload),
        temperature=_temperature(payload),
        card_reader_ok=None if card is None else card == "ok",
        printer=_flag(payload, "printer", {"ok"}, {"fault", "paper_low"}),
        network_ok=None if network is None else network == "ok",
        error_codes=_error_codes(payload),
    )


def _set(verdict: Verdict, code: str, present: bool, detail: str) -> None:
    if present:
        verdict.present[code] = detail
    else:
        verdict.absent.add(code)


def evaluate(reading: Reading, *, device_class: str) -> Verdict:
    """Apply the health rules to one reading of a device of ``device_class``."""
    verdict = Verdict(absent={HEARTBEAT_MISSING})
    if reading.cash_level is not None and device_class in CASH_CLASSES:
        _set(verdict, CASH_LOW, reading.cash_level < CASH_LOW_PERCENT, f"cash level {reading.cash_level}%")
    if reading.card_reader_ok is not None:
        _set(verdict, CARD_READER_FAULT, not reading.card_reader_ok, "card reader reports a fault")
    if reading.printer is not None:
        _set(verdict, PRINTER_FAULT, reading.printer == "fault", "receipt printer reports a fault")
        _set(verdict, PRINTER_PAPER_LOW, reading.printer == "paper_low", "receipt paper low")
    if reading.network_ok is not None:
        # A switch or link that loses its uplink is the parent of everything behind it.
        code = LINK_DOWN if device_class == DeviceClass.NETWORK else NETWORK_DOWN
        _set(verdict, code, not reading.network_ok, "network reported down")
    if reading.temperature is not None:
        hot = reading.temperature > TEMPERATURE_HIGH_C
        _set(verdict, TEMPERATURE_HIGH, hot, f"temperature {reading.temperature} °C")
    if reading.error_codes is not None:
        verdict.error_codes_reported = True
        for code in reading.error_codes:
            verdict.present.setdefault(code, "reported by the device")
    return verdict
