"""Unusual cash: volume far above the customer's own and its peers' typical cash day, or frequent
large cash.

Algorithm. *Volume rule*: per customer, a rolling sum of cash over ``(t - window, t]`` (one sort,
one pass) gives the current volume; anchors reaching ``min_amount`` are then compared with two
baselines over the ``history`` whole local days before the anchor's day: the customer's mean cash
per active day, and the peer group's (same ``customer_type``) mean cash per customer-day. Both come
from small daily tables (customer x day, type x day) joined to the few surviving anchors. The anchor
fires when the volume is at least ``multiple`` times the larger baseline. *Frequency rule*: rolling
count of cash payments of at least ``large_amount`` over ``frequent_window``.

Why per active day: a mean over calendar days would depend on when the data (or the stream) starts,
which batch and incremental runs see differently; means over days that had cash do not.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from .alerts import duration_text, empty_candidates, fen_text
from .base import ONE, Typology, after, ratio_of, rolling_sum, window_join
from .params import UnusualCashParams, fen, micros

DAY_US = 86_400_000_000
METRICS = {
    "rule": pl.String,
    "own_fen": pl.Int64,
    "peer_fen": pl.Int64,
    "count": pl.UInt32,
    "dedup": pl.String,
}


class UnusualCash(Typology):
    code = "unusual_cash"
    subject_type = "customer"

    def __init__(self, params: UnusualCashParams, *, utc_offset_us: int) -> None:
        self.params = params
        self.window_us = micros(params.window)
        self.frequent_us = micros(params.frequent_window)
        self.history_days = micros(params.history) // DAY_US
        self.offset_us = utc_offset_us
        self.min_amount = fen(params.min_amount)
        self.large = fen(params.large_amount)

    @property
    def lookback_us(self) -> int:
        return max(self.history_days * DAY_US + DAY_US, self.window_us, self.frequent_us)

    @property
    def cooldown_us(self) -> int:
        return max(self.window_us, self.frequent_us)

    def select(self, prepared: pl.DataFrame) -> pl.DataFrame:
        return prepared.filter(pl.col("kind").is_in(["cash_in", "cash_out"])).select(
            "id",
            "ts",
            "fen",
            pl.col("payer_customer").alias("customer"),
            pl.col("customer_type").fill_null("unknown"),
            ((pl.col("ts") + self.offset_us) // DAY_US).alias("day"),
        )

    def candidates(self, rows: pl.DataFrame, *, since: int | None) -> pl.DataFrame:
        if rows.is_empty():
            return empty_candidates(METRICS)
        rows = rows.sort("customer", "ts", "id")
        parts = [self._volume(rows, since), self._frequent(rows, since)]
        parts = [p for p in parts if not p.is_empty()]
        return pl.concat(parts, how="diagonal_relaxed") if parts else empty_candidates(METRICS)

    def _baselines(self, anchors: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
        """Own and peer mean cash per active day over [day - history, day - 1]."""
        h = self.history_days
        in_history = (pl.col("day_h") >= pl.col("day") - h) & (pl.col("day_h") < pl.col("day"))
        own_days = rows.group_by("customer", pl.col("day").alias("day_h")).agg(
            pl.col("fen").sum().alias("d_fen")
        )
        own = (
            anchors.select("anchor_id", "customer", "day")
            .join(own_days, on="customer")
            .filter(in_history)
            .group_by("anchor_id")
            .agg((pl.col("d_fen").sum() // pl.len()).alias("own_fen"))
        )
        peer_days = rows.group_by("customer_type", pl.col("day").alias("day_h")).agg(
            pl.col("fen").sum().alias("p_fen"), pl.col("customer").n_unique().alias("p_n")
        )
        peer = (
            anchors.select("anchor_id", "customer_type", "day")
            .join(peer_days, on="customer_type")
            .filter(in_history)
            .group_by("anchor_id")
            .agg(
                (pl.col("p_fen").sum() // pl.col("p_n").sum()).alias("peer_fen"),
                pl.len().alias("peer_days"),
            )
        )
        out = anchors.join(own, on="anchor_id", how="left").join(peer, on="anchor_id", how="left")
        return out.with_columns(
            pl.col("own_fen").fill_null(0), pl.col("peer_fen").fill_null(0), pl.col("peer_days").fill_null(0)
        )

    def _evidence(self, anchors: pl.DataFrame, rows: pl.DataFrame, window_us: int) -> pl.DataFrame:
        joined = window_join(
            anchors, rows.select("customer", "ts", "id", "fen"), key="customer", window_us=window_us
        )
        return (
            joined.sort("ts", "id")
            .group_by("customer", "anchor_ts", "anchor_id", maintain_order=True)
            .agg(
                pl.col("ts").min().alias("start_ts"),
                pl.col("id").alias("ids"),
                pl.col("fen").sum().alias("total_fen"),
                pl.len().alias("count"),
            )
        )

    def _volume(self, rows: pl.DataFrame, since: int | None) -> pl.DataFrame:
        scored = rows.with_columns(cur=rolling_sum(pl.col("fen"), window_us=self.window_us, key="customer"))
        anchors = scored.filter(after(since) & (pl.col("cur") >= self.min_amount)).select(
            "customer", "customer_type", "day", "cur", anchor_ts="ts", anchor_id="id"
        )
        if anchors.is_empty():
            return pl.DataFrame()
        base = self._baselines(anchors, rows)
        typical = pl.max_horizontal("own_fen", "peer_fen")
        fired = base.filter(
            (pl.col("cur") >= ratio_of(typical, self.params.multiple))
            & (pl.col("peer_days") >= self.params.min_history_days)
        )
        if fired.is_empty():
            return pl.DataFrame()
        evidence = self._evidence(fired.select("customer", "anchor_ts", "anchor_id"), rows, self.window_us)
        return evidence.join(fired.select("anchor_id", "own_fen", "peer_fen"), on="anchor_id").with_columns(
            subject=pl.col("customer"), rule=pl.lit("volume"), dedup=pl.col("customer") + "/volume"
        )

    def _frequent(self, rows: pl.DataFrame, since: int | None) -> pl.DataFrame:
        large = rows.filter(pl.col("fen") >= self.large)
        scored = large.with_columns(n=rolling_sum(ONE, window_us=self.frequent_us, key="customer"))
        anchors = scored.filter(after(since) & (pl.col("n") >= self.params.frequent_count)).select(
            "customer", anchor_ts="ts", anchor_id="id"
        )
        if anchors.is_empty():
            return pl.DataFrame()
        evidence = self._evidence(anchors, large, self.frequent_us)
        return evidence.with_columns(
            subject=pl.col("customer"),
            rule=pl.lit("frequent"),
            own_fen=pl.lit(0, dtype=pl.Int64),
            peer_fen=pl.lit(0, dtype=pl.Int64),
            dedup=pl.col("customer") + "/frequent",
        )

    def explain(self, metrics: dict[str, Any]) -> tuple[str, str, float]:
        p = self.params
        total = fen_text(metrics["total_fen"])
        if metrics["rule"] == "frequent":
            zh_w, en_w = duration_text(self.frequent_us)
            large = fen_text(self.large)
            zh = (
                f"客户 {metrics['subject']} 在{zh_w}内有 {metrics['count']} 笔单笔不低于 {large} 元的现金交易,"
                f"合计 {total} 元;参数 frequent_window={zh_w}、large_amount={large} 元、"
                f"frequent_count={p.frequent_count}。"
            )
            en = (
                f"Customer {metrics['subject']} made {metrics['count']} cash payments of at least {large} CNY "
                f"each within {en_w}, together {total} CNY; parameters frequent_window={en_w}, "
                f"large_amount={large} CNY, frequent_count={p.frequent_count}."
            )
            return zh, en, 0.5 + 0.1 * (metrics["count"] - p.frequent_count)
        zh_w, en_w = duration_text(self.window_us)
        own, peer = fen_text(metrics["own_fen"]), fen_text(metrics["peer_fen"])
        floor = fen_text(self.min_amount)
        zh = (
            f"客户 {metrics['subject']} 在{zh_w}内现金交易 {total} 元,远高于其历史日均 {own} 元"
            f"及同类客户日均 {peer} 元;参数 window={zh_w}、history={self.history_days}天、"
            f"min_amount={floor} 元、multiple={p.multiple}。"
        )
        en = (
            f"Customer {metrics['subject']} moved {total} CNY in cash within {en_w}, far above its own "
            f"typical cash day ({own} CNY) and its peers' ({peer} CNY); parameters window={en_w}, "
            f"history={self.history_days} days, min_amount={floor} CNY, multiple={p.multiple}."
        )
        typical = max(metrics["own_fen"], metrics["peer_fen"], 1)
        return zh, en, 0.4 + 0.6 * min(1.0, metrics["total_fen"] / typical / (4 * p.multiple))
