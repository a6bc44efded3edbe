"""Scatter-gather (分散-汇聚): one source pays several intermediaries which pass the money on to one
common target within a window.

Algorithm: qualifying transfers (at least ``min_amount``, no self-loops) are pruned to those whose
payee pays someone within +-window (possible first legs) or whose payer was paid within +-window
(possible second legs), two as-of joins. Two-hop paths S->M->T are an equi-join of first legs with
second legs on M, filtered to a later second leg within the window, within ``amount_tolerance`` of
the first, and T != S. Source-target pairs with fewer than ``min_intermediaries`` distinct M overall
are dropped; for each remaining second leg (the anchor) the paths of its pair inside the anchor's
trailing window are aggregated: distinct intermediaries and the gathered total. Cost: O(m log m)
plus the path join, bounded by the pruning and the amount tolerance.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from .alerts import duration_text, empty_candidates, fen_text
from .base import Typology, has_neighbour, ratio_of
from .params import ScatterGatherParams, fen, micros

METRICS = {"intermediaries": pl.UInt32, "scattered_fen": pl.Int64, "source": pl.String, "target": pl.String}


class ScatterGather(Typology):
    code = "scatter_gather"
    subject_type = "pair"

    def __init__(self, params: ScatterGatherParams) -> None:
        self.params = params
        self.window_us = micros(params.window)
        self.min_total = fen(params.min_total)

    @property
    def lookback_us(self) -> int:
        return self.window_us

    def select(self, prepared: pl.DataFrame) -> pl.DataFrame:
        return prepared.filter(
            (pl.col("kind") == "transfer")
            & (pl.col("fen") >= fen(self.params.min_amount))
            & (pl.col("payer_account") != pl.col("payee_account"))
        ).select(
            pl.col("payer_account").alias("src"),
            pl.col("payee_account").alias("dst"),
            "ts",
            "id",
            "fen",
            pl.col("payer_customer").alias("customer"),
        )

    def _paths(self, edges: pl.DataFrame) -> pl.DataFrame:
        w = self.window_us
        first = edges.filter(has_neighbour(edges, own="dst", other="src", window_us=w))
        second = edges.filter(has_neighbour(edges, own="src", other="dst", window_us=w))
        slack = ratio_of(pl.col("fen1"), self.params.amount_tolerance)
        return (
            first.lazy()
            .select(
                pl.col("src").alias("source"),
                pl.col("dst").alias("mid"),
                pl.col("ts").alias("ts1"),
                pl.col("id").alias("id1"),
                pl.col("fen").alias("fen1"),
                "customer",
            )
            .join(
                second.lazy().select(
                    pl.col("src").alias("mid"),
                    pl.col("dst").alias("target"),
                    pl.col("ts").alias("ts2"),
                    pl.col("id").alias("id2"),
                    pl.col("fen").alias("fen2"),
                ),
                on="mid",
            )
            .filter(
                (pl.col("ts2") > pl.col("ts1"))
                & (pl.col("ts2") - pl.col("ts1") < w)
                & (pl.col("target") != pl.col("source"))
                & ((pl.col("fen2") - pl.col("fen1")).abs() <= slack)
            )
            .filter(pl.col("mid").n_unique().over("source", "target") >= self.params.min_intermediaries)
            .collect()
        )

    def candidates(self, rows: pl.DataFrame, *, since: int | None) -> pl.DataFrame:
        if rows.is_empty():
            return empty_candidates(METRICS)
        # Paths are built for every second leg in the buffer (earlier ones are needed as evidence of
        # later anchors); anchors are then restricted to ``since``.
        paths = self._paths(rows)
        if paths.is_empty():
            return empty_candidates(METRICS)
        anchors = paths if since is None else paths.filter(pl.col("ts2") > since)
        anchors = anchors.select("source", "target", anchor_ts="ts2", anchor_id="id2").unique()
        joined = anchors.join(paths, on=["source", "target"]).filter(
            (pl.col("ts1") > pl.col("anchor_ts") - self.window_us) & (pl.col("ts2") <= pl.col("anchor_ts"))
        )
        agg = joined.group_by("source", "target", "anchor_ts", "anchor_id").agg(
            pl.col("customer").first(),
            pl.col("mid").n_unique().alias("intermediaries"),
            pl.col("ts1").min().alias("start_ts"),
            pl.struct("ts2", "id2", "fen2").unique().alias("legs2"),
            pl.struct("ts1", "id1", "fen1").unique().alias("legs1"),
        )
        agg = agg.filter(pl.col("intermediaries") >= self.params.min_intermediaries)
        return self._finish(agg)

    def _finish(self, agg: pl.DataFrame) -> pl.DataFrame:
        gathered = pl.col("legs2").list.eval(pl.element().struct.field("fen2")).list.sum()
        scattered = pl.col("legs1").list.eval(pl.element().struct.field("fen1")).list.sum()
        legs = pl.concat_list(
            pl.col("legs1").list.eval(pl.element().struct.field("id1")),
            pl.col("legs2").list.eval(pl.element().struct.field("id2")),
        )
        out = agg.with_columns(
            subject=pl.col("source") + "=>" + pl.col("target"),
            total_fen=gathered,
            scattered_fen=scattered,
            ids=legs.list.sort(),
        ).filter(pl.col("total_fen") >= self.min_total)
        return out.select(
            "subject",
            "customer",
            "anchor_ts",
            "anchor_id",
            "start_ts",
            "ids",
            "total_fen",
            "intermediaries",
            "scattered_fen",
            "source",
            "target",
        )

    def explain(self, metrics: dict[str, Any]) -> tuple[str, str, float]:
        p = self.params
        zh_w, en_w = duration_text(self.window_us)
        n, src, dst = metrics["intermediaries"], metrics["source"], metrics["target"]
        out, back = fen_text(metrics["scattered_fen"]), fen_text(metrics["total_fen"])
        floor = fen_text(self.min_total)
        zh = (
            f"账户 {src} 经 {n} 个中间账户分散转出 {out} 元,{zh_w}内汇聚至账户 {dst} 共 {back} 元;"
            f"参数 window={zh_w}、min_intermediaries={p.min_intermediaries}、"
            f"amount_tolerance={p.amount_tolerance:.0%}、min_total={floor} 元。"
        )
        en = (
            f"Account {src} scattered {out} CNY over {n} intermediary accounts which gathered {back} CNY into "
            f"account {dst} within {en_w}; parameters window={en_w}, "
            f"min_intermediaries={p.min_intermediaries}, amount_tolerance={p.amount_tolerance:.0%}, "
            f"min_total={floor} CNY."
        )
        return zh, en, 0.5 + 0.5 * min(1.0, (n - p.min_intermediaries + 1) / p.min_intermediaries)
