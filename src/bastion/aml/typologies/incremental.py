"""Incremental detection: payments arrive in chunks, alerts come out once, equal to batch.

Design. Every typology looks only *backwards* from an anchor payment, over a bounded look-back
(``Typology.lookback_us``). The detector keeps an event-time *watermark*: the largest timestamp
seen minus ``allowed_lateness``. Payments at or before the watermark are final (later arrivals with
such timestamps are counted in ``late_rows`` and not used: they could change alerts already sent).
When the watermark advances from w0 to w1, each typology appends the newly final rows to its own
buffer, finds candidates with anchors in (w0, w1] using exactly the batch code, applies the same
suppression with state carried across calls, then drops buffered rows older than w1 - look-back
(the dormant typology keeps the last activity of each account instead, see ``dormant``). Because
anchors are processed in (timestamp, id) order in both paths and each candidate only depends on
rows up to its anchor, the alerts equal batch alerts over the same payments.

State: per typology, the rows of its look-back (only the rows it selects: near-threshold payments
for structuring, cash for unusual cash, large transfers for cycles...), the suppression clocks of
recently alerted subjects, and the keys of recently emitted alerts (a guard against duplicates).
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from .alerts import Alert, forget_before
from .base import Typology
from .detect import build, order
from .params import ParameterError, TypologyConfig, micros
from .prepare import prepare


class IncrementalDetector:
    """Feed payment chunks with ``push``; call ``flush`` at the end of the stream."""

    def __init__(
        self, config: TypologyConfig | None = None, *, allowed_lateness: timedelta = timedelta(hours=1)
    ) -> None:
        if not isinstance(allowed_lateness, timedelta) or allowed_lateness < timedelta(0):
            raise ParameterError("allowed_lateness", f"must be a timedelta >= 0, got {allowed_lateness!r}")
        self.config = config or TypologyConfig()
        self.lateness_us = micros(allowed_lateness)
        self.typologies: list[Typology] = build(self.config)
        self.buffers: dict[str, pl.DataFrame | None] = {t.code: None for t in self.typologies}
        self.last: dict[str, dict[str, int]] = {t.code: {} for t in self.typologies}
        self.emitted: dict[str, int] = {}
        self.pending: pl.DataFrame | None = None
        self.watermark: int | None = None
        self.max_ts: int | None = None
        self.late_rows = 0

    def push(self, chunk: pl.DataFrame) -> list[Alert]:
        """Add payments (boundary columns); returns the alerts that became final."""
        prepared = prepare(chunk, self.config.input)
        if prepared.is_empty():
            return []
        if self.watermark is not None:
            late = prepared.get_column("ts") <= self.watermark
            self.late_rows += int(late.sum())
            prepared = prepared.filter(~late)
        self.pending = prepared if self.pending is None else pl.concat([self.pending, prepared])
        if not prepared.is_empty():
            top = int(prepared.get_column("ts").max())  # type: ignore[arg-type]
            self.max_ts = top if self.max_ts is None else max(self.max_ts, top)
        if self.max_ts is None:
            return []
        return self._advance(self.max_ts - self.lateness_us)

    def flush(self) -> list[Alert]:
        """End of stream: everything pending becomes final."""
        if self.max_ts is None:
            return []
        return self._advance(self.max_ts)

    def buffered_rows(self) -> int:
        """Rows held as state across all typologies (plus the not yet final ones)."""
        held = sum(b.height for b in self.buffers.values() if b is not None)
        return held + (self.pending.height if self.pending is not None else 0)

    def _advance(self, watermark: int) -> list[Alert]:
        if self.pending is None or (self.watermark is not None and watermark <= self.watermark):
            return []
        ready = self.pending.filter(pl.col("ts") <= watermark)
        self.pending = self.pending.filter(pl.col("ts") > watermark)
        since, self.watermark = self.watermark, watermark
        alerts: list[Alert] = []
        for typology in self.typologies:
            alerts.extend(self._run(typology, ready, since, watermark))
        return order(self._once(alerts, watermark))

    def _run(self, typology: Typology, ready: pl.DataFrame, since: int | None, watermark: int) -> list[Alert]:
        code = typology.code
        fresh = typology.select(ready)
        previous = self.buffers[code]
        rows = fresh if previous is None else pl.concat([previous, fresh], how="vertical_relaxed")
        found = typology.alerts(typology.candidates(rows, since=since), last=self.last[code])
        self.buffers[code] = typology.compact(rows, horizon=watermark - typology.lookback_us)
        forget_before(self.last[code], horizon=watermark, cooldown_us=typology.cooldown_us)
        return found

    def _once(self, alerts: list[Alert], watermark: int) -> list[Alert]:
        """Emit each key once; remember keys for the longest look-back, then forget them."""
        out = [a for a in alerts if a.key not in self.emitted]
        for alert in out:
            self.emitted[alert.key] = watermark
        horizon = watermark - max((t.lookback_us for t in self.typologies), default=0)
        for key in [k for k, seen in self.emitted.items() if seen < horizon]:
            del self.emitted[key]
        return out
