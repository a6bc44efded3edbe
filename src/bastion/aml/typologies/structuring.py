"""Structuring (拆分交易): repeated payments just under a reporting threshold.

Algorithm: keep only *near-threshold* payments (``[T * (1 - band), T)`` for the threshold ``T`` of
the payment's kind: cash, natural-person transfer, institution transfer). Per (customer, kind),
rolling count and sum over ``(t - window, t]`` (one sort + one rolling pass, O(n log n)); an anchor
is a near payment where count >= ``min_count`` and sum >= T. Evidence is the window's near payments.
Because only near payments are kept the state is tiny (well under 1 % of traffic).
"""

from __future__ import annotations

from typing import Any

import polars as pl

from .alerts import duration_text, empty_candidates, fen_text
from .base import ONE, Typology, after, rolling_sum, window_join
from .params import StructuringParams, fen, micros

METRICS = {"kind": pl.String, "threshold_fen": pl.Int64, "count": pl.UInt32, "dedup": pl.String}


class Structuring(Typology):
    code = "structuring"
    subject_type = "customer"

    def __init__(self, params: StructuringParams) -> None:
        self.params = params
        self.window_us = micros(params.window)

    @property
    def lookback_us(self) -> int:
        return self.window_us

    def _threshold(self) -> pl.Expr:
        p = self.params
        person = pl.col("customer_type") == "natural_person"
        return (
            pl.when(pl.col("kind").is_in(["cash_in", "cash_out"]))
            .then(pl.lit(fen(p.cash_threshold)))
            .when(person)
            .then(pl.lit(fen(p.person_transfer_threshold)))
            .otherwise(pl.lit(fen(p.institution_transfer_threshold)))
        )

    def select(self, prepared: pl.DataFrame) -> pl.DataFrame:
        band = self.params.band
        rows = prepared.filter(pl.col("kind").is_in(["cash_in", "cash_out", "transfer"])).with_columns(
            threshold_fen=self._threshold()
        )
        # Lower edge in whole fen: T - round(T * band), so 10 % under 50,000.00 is exactly 45,000.00.
        lower = pl.col("threshold_fen") - (pl.col("threshold_fen").cast(pl.Float64) * band).round().cast(
            pl.Int64
        )
        near = (pl.col("fen") >= lower) & (pl.col("fen") < pl.col("threshold_fen"))
        group = pl.when(pl.col("kind") == "transfer").then(pl.lit("transfer")).otherwise(pl.lit("cash"))
        return rows.filter(near).select(
            "id",
            "ts",
            "fen",
            pl.col("payer_customer").alias("customer"),
            group.alias("kind"),
            "threshold_fen",
        )

    def candidates(self, rows: pl.DataFrame, *, since: int | None) -> pl.DataFrame:
        if rows.is_empty():
            return empty_candidates(METRICS)
        p = self.params
        rows = rows.with_columns(grp=pl.col("customer") + "/" + pl.col("kind")).sort("grp", "ts", "id")
        scored = rows.with_columns(
            n=rolling_sum(ONE, window_us=self.window_us, key="grp"),
            s=rolling_sum(pl.col("fen"), window_us=self.window_us, key="grp"),
        )
        anchors = scored.filter(
            after(since) & (pl.col("n") >= p.min_count) & (pl.col("s") >= pl.col("threshold_fen"))
        ).select("grp", "customer", "kind", "threshold_fen", anchor_ts="ts", anchor_id="id")
        if anchors.is_empty():
            return empty_candidates(METRICS)
        joined = window_join(
            anchors, rows.select("grp", "ts", "id", "fen"), key="grp", window_us=self.window_us
        )
        return (
            joined.sort("ts", "id")
            .group_by("grp", "anchor_ts", "anchor_id", maintain_order=True)
            .agg(
                pl.col("customer").first().alias("subject"),
                pl.col("customer").first(),
                pl.col("ts").min().alias("start_ts"),
                pl.col("id").alias("ids"),
                pl.col("fen").sum().alias("total_fen"),
                pl.col("kind").first(),
                pl.col("threshold_fen").first(),
                pl.len().alias("count"),
                pl.col("grp").first().alias("dedup"),
            )
            .drop("grp")
        )

    def explain(self, metrics: dict[str, Any]) -> tuple[str, str, float]:
        p = self.params
        zh_w, en_w = duration_text(self.window_us)
        cash = metrics["kind"] == "cash"
        threshold = fen_text(metrics["threshold_fen"])
        kind_zh, kind_en = ("现金", "cash") if cash else ("转账", "transfer")
        count, total = metrics["count"], fen_text(metrics["total_fen"])
        zh = (
            f"客户 {metrics['subject']} 在{zh_w}内有 {count} 笔{kind_zh}交易均略低于大额报告阈值 {threshold} 元"
            f"(低于阈值 {p.band:.0%} 以内,band={p.band}),合计 {total} 元,超过阈值;"
            f"参数 window={zh_w}、min_count={p.min_count}。"
        )
        en = (
            f"Customer {metrics['subject']} made {count} {kind_en} payments within {en_w}, each just under "
            f"the {threshold} CNY reporting threshold (within band={p.band:.0%} below it), together "
            f"{total} CNY, above the threshold; parameters window={en_w}, min_count={p.min_count}."
        )
        score = (
            0.5
            + 0.1 * (count - p.min_count)
            + 0.2 * min(1.0, metrics["total_fen"] / metrics["threshold_fen"] - 1)
        )
        return zh, en, score
