"""The contract every typology implements, and the frame helpers they share."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import polars as pl

from .alerts import Alert, alert_key, suppress, to_datetime


class Typology(ABC):
    """A detector over a subset of prepared rows with a bounded look-back.

    ``select`` picks (and reshapes) the rows the typology needs from the prepared payments;
    ``candidates`` finds every anchor later than ``since`` using only rows up to the anchor;
    ``compact`` drops buffered rows no later anchor can need (the incremental state).
    """

    code: ClassVar[str]
    subject_type: ClassVar[str]

    @property
    @abstractmethod
    def lookback_us(self) -> int:
        """How far back from an anchor its evidence can reach."""

    @property
    def cooldown_us(self) -> int:
        """Minimum distance between two alerts on one subject (default: the look-back)."""
        return self.lookback_us

    @abstractmethod
    def select(self, prepared: pl.DataFrame) -> pl.DataFrame:
        """The rows this typology reads, with an Int64 ``ts`` column."""

    @abstractmethod
    def candidates(self, rows: pl.DataFrame, *, since: int | None) -> pl.DataFrame:
        """Candidate rows (``alerts.CANDIDATE_SCHEMA`` plus metrics) for anchors with ts > since."""

    @abstractmethod
    def explain(self, metrics: dict[str, Any]) -> tuple[str, str, float]:
        """(zh, en, score in [0, 1]) for one candidate row."""

    def compact(self, rows: pl.DataFrame, *, horizon: int) -> pl.DataFrame:
        """Rows still needed by anchors later than ``horizon + lookback``."""
        return rows.filter(pl.col("ts") > horizon)

    def alerts(self, candidates: pl.DataFrame, *, last: dict[str, int]) -> list[Alert]:
        """Suppress repeats, then turn the kept candidates into alerts."""
        kept = suppress(candidates, cooldown_us=self.cooldown_us, last=last)
        return [self._alert(row) for row in kept.iter_rows(named=True)]

    def _alert(self, row: dict[str, Any]) -> Alert:
        zh, en, score = self.explain(row)
        base = {"subject", "customer", "anchor_ts", "anchor_id", "start_ts", "ids", "total_fen", "dedup"}
        metrics = {k: v for k, v in row.items() if k not in base}
        return Alert(
            key=alert_key(self.code, row.get("dedup") or row["subject"], row["anchor_id"]),
            typology=self.code,
            subject_type=self.subject_type,
            subject=row["subject"],
            customer=row["customer"],
            start=to_datetime(row["start_ts"]),
            end=to_datetime(row["anchor_ts"]),
            payment_ids=tuple(row["ids"]),
            total_fen=row["total_fen"],
            score=round(min(1.0, max(0.0, score)), 4),
            explanation_zh=zh,
            explanation_en=en,
            metrics=metrics,
        )


def after(since: int | None) -> pl.Expr:
    """Anchor filter: strictly later than the last processed watermark (all when None)."""
    return pl.lit(True) if since is None else pl.col("ts") > since


def window_join(
    anchors: pl.DataFrame, rows: pl.DataFrame, *, key: str, window_us: int, suffix: str = "_w"
) -> pl.DataFrame:
    """Anchors x rows of the same ``key`` with row ts in (anchor_ts - window, anchor_ts].

    Anchors carry ``anchor_ts``/``anchor_id``; rows carry ``ts``. An equi-join then a range
    filter: the anchors passed in are already pre-filtered by cheap rolling sums, so the join
    stays small even for busy accounts.
    """
    return (
        anchors.lazy()
        .join(rows.lazy(), on=key, how="inner", suffix=suffix)
        .filter((pl.col("ts") > pl.col("anchor_ts") - window_us) & (pl.col("ts") <= pl.col("anchor_ts")))
        .collect()
    )


def rolling_sum(value: pl.Expr, *, window_us: int, key: str) -> pl.Expr:
    """Sum over (ts - window, ts] per key; rows must be sorted by (key, ts)."""
    return value.rolling_sum_by("ts", window_size=f"{window_us}i").over(key)


def ratio_of(total: pl.Expr, ratio: float) -> pl.Expr:
    """floor(total * ratio) in whole fen: the one place a ratio touches money."""
    return (total.cast(pl.Float64) * ratio).floor().cast(pl.Int64)


def has_neighbour(edges: pl.DataFrame, *, own: str, other: str, window_us: int) -> pl.Series:
    """Per edge: does its ``own`` account appear as ``other`` of some edge within +-window?

    An as-of join to the nearest such edge in time (O(m log m)); used to prune edges that cannot
    be part of a multi-hop pattern. ``own != other`` and no self-loops, so the match is another edge.
    """
    probe = edges.select(pl.col(own).alias("node"), "ts").with_row_index("row").sort("ts")
    targets = edges.select(pl.col(other).alias("node"), "ts").with_columns(pl.col("ts").alias("ts_other"))
    # Both sides are sorted by ts just above; the per-group check cannot be done, so skip it.
    found = probe.join_asof(
        targets.sort("ts"),
        on="ts",
        by="node",
        strategy="nearest",
        tolerance=window_us,
        check_sortedness=False,
    )
    return found.sort("row").get_column("ts_other").is_not_null()


# A per-row 1 (a literal would not be broadcast inside ``rolling_*_by``); summed it counts rows.
ONE = pl.col("ts").is_not_null().cast(pl.Int64)
