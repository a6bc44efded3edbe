"""Engine-wide settings that both the real-time and the batch path must share."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

MICROS_PER_SECOND = 1_000_000
MICROS_PER_HOUR = 3600 * MICROS_PER_SECOND
MICROS_PER_DAY = 24 * MICROS_PER_HOUR


@dataclass(frozen=True)
class EngineConfig:
    """Settings that change feature values, so they are part of the state fingerprint.

    ``utc_offset_minutes`` is a fixed offset, not an IANA zone: China Standard Time has had no
    daylight saving since 1991, and a fixed offset keeps Python and Polars bit-identical (their
    bundled tz databases can differ in version). See docs/decisions/0104-fixed-utc-offset.md.
    """

    utc_offset_minutes: int = 8 * 60
    # is_new(x, key) looks back this far; pairs unseen for longer are forgotten (bounded memory).
    novelty_horizon_seconds: int = 90 * 24 * 3600
    # zscore_limit() needs this many earlier payments before it limits anything.
    zscore_min_history: int = 5
    # unusual_hour() needs this many earlier payments, and fires below this share (in percent).
    unusual_hour_min_history: int = 20
    unusual_hour_max_percent: int = 5
    fx_rates: Mapping[str, Decimal] = field(default_factory=dict)

    @property
    def utc_offset_us(self) -> int:
        return self.utc_offset_minutes * 60 * MICROS_PER_SECOND

    @property
    def novelty_horizon_us(self) -> int:
        return self.novelty_horizon_seconds * MICROS_PER_SECOND

    def fingerprint(self) -> str:
        rates = ",".join(f"{k}={v}" for k, v in sorted(self.fx_rates.items()))
        return (
            f"off={self.utc_offset_minutes};nov={self.novelty_horizon_seconds};"
            f"zmin={self.zscore_min_history};uh={self.unusual_hour_min_history}/"
            f"{self.unusual_hour_max_percent};fx={rates}"
        )
