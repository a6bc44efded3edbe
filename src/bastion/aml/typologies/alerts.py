"""Alerts, their stable keys, de-duplication and the shared text helpers.

Every typology first produces *candidates*: one row per payment at which the pattern is complete
(the ``anchor``), looking only backwards in time from it, with the evidence of its trailing window.
``suppress`` then keeps, per typology and subject, the first candidate and drops the following ones
until ``cooldown`` has passed since the last kept anchor. Both steps only depend on payments with a
timestamp up to the anchor, in (timestamp, id) order, which is what lets the incremental detector
reproduce batch results exactly (see ``incremental``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl

from .params import FEN_PER_YUAN, MICROS_PER_SECOND

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CANDIDATE_COLUMNS = ("subject", "customer", "anchor_ts", "anchor_id", "start_ts", "ids", "total_fen")
CANDIDATE_SCHEMA: dict[str, Any] = {
    "subject": pl.String,
    "customer": pl.String,
    "anchor_ts": pl.Int64,
    "anchor_id": pl.String,
    "start_ts": pl.Int64,
    "ids": pl.List(pl.String),
    "total_fen": pl.Int64,
}


@dataclass(frozen=True)
class Alert:
    """One typology hit: who, when, which payments, how much, how strong and why."""

    key: str
    typology: str
    subject_type: str
    subject: str
    customer: str | None
    start: datetime
    end: datetime
    payment_ids: tuple[str, ...]
    total_fen: int
    score: float
    explanation_zh: str
    explanation_en: str
    metrics: dict[str, int | float | str] = field(default_factory=dict, hash=False)

    @property
    def total(self) -> str:
        """The evidence total as a decimal yuan string (the boundary format)."""
        return fen_text(self.total_fen)


def alert_key(typology: str, subject: str, anchor_id: str) -> str:
    """Stable across runs, batch and incremental: what, about whom, completed by which payment.

    ``subject`` is the de-duplication subject (e.g. ``C0001/volume``), so two rules of one
    typology completed by the same payment keep distinct keys.
    """
    return f"{typology}|{subject}|{anchor_id}"


def to_datetime(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


def fen_text(fen: int) -> str:
    """12345678 -> ``"123,456.78"`` (thousands separated for the explanation texts)."""
    whole, cents = divmod(abs(fen), FEN_PER_YUAN)
    return f"{'-' if fen < 0 else ''}{whole:,}.{cents:02d}"


def duration_text(us: int) -> tuple[str, str]:
    """A duration as (zh, en) text in the largest whole unit: 7 天 / 7 days, 24 小时 / 24 hours."""
    seconds = us // MICROS_PER_SECOND
    # 24 hours reads better than "1 day" for the usual one-day windows.
    units = ((86_400, "天", "days"), (3_600, "小时", "hours"), (60, "分钟", "minutes"))
    for size, zh, en in units if seconds != 86_400 else units[1:]:
        if seconds % size == 0 and seconds >= size:
            count = seconds // size
            return f"{count}{zh}", f"{count} {en if count != 1 else en[:-1]}"
    return f"{seconds}秒", f"{seconds} seconds"


def empty_candidates(extra: dict[str, Any] | None = None) -> pl.DataFrame:
    return pl.DataFrame(schema={**CANDIDATE_SCHEMA, **(extra or {})})


def suppress(candidates: pl.DataFrame, *, cooldown_us: int, last: dict[str, int]) -> pl.DataFrame:
    """Keep one candidate per subject per cooldown, in anchor order; ``last`` carries state across calls.

    A Python loop, on purpose: the rule is sequential (whether a candidate is kept depends on the
    previous kept one) and candidates are few compared with payments.
    """
    if candidates.is_empty():
        return candidates
    ordered = candidates.sort("anchor_ts", "anchor_id", "subject")
    # A typology may de-duplicate on a finer key than the subject (e.g. cash vs transfer).
    key = "dedup" if "dedup" in ordered.columns else "subject"
    keep: list[bool] = []
    for subject, anchor in zip(ordered[key].to_list(), ordered["anchor_ts"].to_list(), strict=True):
        previous = last.get(subject)
        kept = previous is None or anchor - previous >= cooldown_us
        if kept:
            last[subject] = anchor
        keep.append(kept)
    return ordered.filter(pl.Series(keep, dtype=pl.Boolean))


def forget_before(last: dict[str, int], *, horizon: int, cooldown_us: int) -> None:
    """Drop suppression state that can no longer suppress anything after ``horizon``."""
    for subject in [s for s, anchor in last.items() if anchor + cooldown_us <= horizon]:
        del last[subject]
