"""Account-flow typologies: rapid pass-through, fan-in, fan-out and gather-scatter.

All four read *movements* (one row per account side of a payment) and look at an account's trailing
window ``(t - window, t]`` ending at an anchor movement. Algorithm, per typology:

1. sort movements by (account, ts, id) and compute rolling counts/sums per account in one pass;
   these are upper bounds of the exact conditions (e.g. rows >= distinct counterparties), so they
   prune anchors without losing any;
2. join the surviving anchors with their account's movements in the window (equi-join + range
   filter) and aggregate exactly: distinct counterparties, inflow sum, outflows from the first
   inflow on, evidence ids.

Cost: O(n log n) for the sort and rolling pass, plus O(sum of window sizes of surviving anchors)
for the join, which the pruning keeps small (a busy account only reaches step 2 where it already
meets the cheap bounds).
"""

from __future__ import annotations

from typing import Any, ClassVar

import polars as pl

from .alerts import duration_text, empty_candidates, fen_text
from .base import ONE, Typology, after, ratio_of, rolling_sum, window_join
from .params import FanParams, GatherScatterParams, PassThroughParams, fen, micros
from .prepare import movements

KEYS = ("account", "anchor_ts", "anchor_id")
FLOW_METRICS = {
    "in_fen": pl.Int64,
    "out_fen": pl.Int64,
    "in_parties": pl.UInt32,
    "out_parties": pl.UInt32,
}


def _with_rolling(rows: pl.DataFrame, window_us: int) -> pl.DataFrame:
    inflow = pl.col("inflow").cast(pl.Int64)
    outflow = (~pl.col("inflow")).cast(pl.Int64)
    return rows.with_columns(
        r_in_n=rolling_sum(inflow, window_us=window_us, key="account"),
        r_out_n=rolling_sum(outflow, window_us=window_us, key="account"),
        r_in_fen=rolling_sum(pl.col("fen") * inflow, window_us=window_us, key="account"),
        r_out_fen=rolling_sum(pl.col("fen") * outflow, window_us=window_us, key="account"),
    )


def window_flows(anchors: pl.DataFrame, rows: pl.DataFrame, *, window_us: int) -> pl.DataFrame:
    """Exact per-anchor flow aggregates over the account's window (see module docstring)."""
    joined = window_join(
        anchors.select(*KEYS),
        rows.select("account", "customer", "ts", "id", "fen", "inflow", "counterparty"),
        key="account",
        window_us=window_us,
    )
    first_in = pl.col("ts").filter(pl.col("inflow")).min().over(KEYS)
    joined = joined.with_columns(first_in=first_in).with_columns(
        counted_out=~pl.col("inflow") & (pl.col("ts") >= pl.col("first_in"))
    )
    inflow, counted, out = pl.col("inflow"), pl.col("counted_out"), ~pl.col("inflow")
    return (
        joined.sort("ts", "id")
        .group_by(*KEYS, maintain_order=True)
        .agg(
            pl.col("customer").drop_nulls().first(),
            pl.col("ts").min().alias("start_ts"),
            pl.col("ts").filter(inflow).min().alias("first_in_ts"),
            pl.col("fen").filter(inflow).sum().alias("in_fen"),
            pl.col("fen").filter(counted).sum().alias("out_fen"),
            pl.col("fen").filter(out).sum().alias("out_all_fen"),
            pl.col("counterparty").filter(inflow).drop_nulls().n_unique().alias("in_parties"),
            pl.col("counterparty").filter(counted).drop_nulls().n_unique().alias("out_parties"),
            pl.col("counterparty").filter(out).drop_nulls().n_unique().alias("out_all_parties"),
            pl.col("id").filter(inflow | counted).alias("flow_ids"),
            pl.col("id").filter(inflow).alias("in_ids"),
            pl.col("id").filter(out).alias("out_ids"),
        )
    )


def _finish(agg: pl.DataFrame, *, ids: str, total: str, start: str) -> pl.DataFrame:
    return agg.with_columns(
        pl.col("account").alias("subject"),
        pl.col(ids).alias("ids"),
        pl.col(total).alias("total_fen"),
        pl.col(start).alias("start_ts"),
    ).drop("account", "flow_ids", "in_ids", "out_ids", "first_in_ts", strict=False)


class PassThrough(Typology):
    """快进快出: most of what came in leaves again within the window."""

    code = "pass_through"
    subject_type = "account"

    def __init__(self, params: PassThroughParams, *, exempt: tuple[str, ...] = ()) -> None:
        self.params = params
        self.exempt = exempt
        self.window_us = micros(params.window)
        self.min_in = fen(params.min_inflow)

    @property
    def lookback_us(self) -> int:
        return self.window_us

    def select(self, prepared: pl.DataFrame) -> pl.DataFrame:
        return movements(prepared, include_cash=self.params.include_cash, exempt=self.exempt)

    def candidates(self, rows: pl.DataFrame, *, since: int | None) -> pl.DataFrame:
        p = self.params
        scored = _with_rolling(rows.sort("account", "ts", "id"), self.window_us)
        anchors = scored.filter(
            after(since)
            & ~pl.col("inflow")
            & (pl.col("r_in_fen") >= self.min_in)
            & (pl.col("r_out_fen") >= ratio_of(pl.col("r_in_fen"), p.min_out_ratio))
        ).select("account", anchor_ts="ts", anchor_id="id")
        if anchors.is_empty():
            return empty_candidates(FLOW_METRICS)
        agg = window_flows(anchors, rows, window_us=self.window_us).filter(
            (pl.col("in_fen") >= self.min_in)
            & (pl.col("out_fen") >= ratio_of(pl.col("in_fen"), p.min_out_ratio))
            & (pl.col("out_fen") <= ratio_of(pl.col("in_fen"), p.max_out_ratio))
        )
        agg = agg.drop("out_all_fen", "out_all_parties")
        return _finish(agg, ids="flow_ids", total="in_fen", start="first_in_ts")

    def explain(self, metrics: dict[str, Any]) -> tuple[str, str, float]:
        p = self.params
        zh_w, en_w = duration_text(self.window_us)
        share = metrics["out_fen"] / metrics["in_fen"]
        i, o = fen_text(metrics["in_fen"]), fen_text(metrics["out_fen"])
        floor = fen_text(self.min_in)
        zh = (
            f"账户 {metrics['subject']} 在{zh_w}内转入 {i} 元,随后转出 {o} 元({share:.0%}),快进快出;"
            f"参数 window={zh_w}、min_inflow={floor} 元、min_out_ratio={p.min_out_ratio:.0%}、"
            f"max_out_ratio={p.max_out_ratio:.0%}。"
        )
        en = (
            f"Account {metrics['subject']} received {i} CNY and sent {o} CNY ({share:.0%}) back out within "
            f"{en_w} (rapid pass-through); parameters window={en_w}, min_inflow={floor} CNY, "
            f"min_out_ratio={p.min_out_ratio:.0%}, max_out_ratio={p.max_out_ratio:.0%}."
        )
        return zh, en, 0.4 + 0.4 * min(1.0, metrics["in_fen"] / (10 * self.min_in)) + 0.2 * min(1.0, share)


class Fan(Typology):
    """Fan-in (many distinct payers into one account) or fan-out (one account to many payees)."""

    subject_type = "account"
    inbound: ClassVar[bool]

    def __init__(self, params: FanParams, *, exempt: tuple[str, ...] = ()) -> None:
        self.params = params
        self.exempt = exempt
        self.window_us = micros(params.window)
        self.min_total = fen(params.min_total)

    @property
    def lookback_us(self) -> int:
        return self.window_us

    def select(self, prepared: pl.DataFrame) -> pl.DataFrame:
        rows = movements(prepared, include_cash=False, exempt=self.exempt)
        return rows.filter(pl.col("inflow") == self.inbound)

    def candidates(self, rows: pl.DataFrame, *, since: int | None) -> pl.DataFrame:
        p = self.params
        scored = rows.sort("account", "ts", "id").with_columns(
            r_n=rolling_sum(ONE, window_us=self.window_us, key="account"),
            r_fen=rolling_sum(pl.col("fen"), window_us=self.window_us, key="account"),
        )
        anchors = scored.filter(
            after(since) & (pl.col("r_n") >= p.min_counterparties) & (pl.col("r_fen") >= self.min_total)
        ).select("account", anchor_ts="ts", anchor_id="id")
        if anchors.is_empty():
            return empty_candidates(FLOW_METRICS)
        agg = window_flows(anchors, rows, window_us=self.window_us)
        side = "in" if self.inbound else "out_all"
        agg = agg.filter(
            (pl.col(f"{side}_parties") >= p.min_counterparties) & (pl.col(f"{side}_fen") >= self.min_total)
        ).select(
            *KEYS,
            "customer",
            "start_ts",
            pl.col(f"{side}_fen").alias("in_fen" if self.inbound else "out_fen"),
            pl.col(f"{side}_parties").alias("parties"),
            pl.col("in_ids" if self.inbound else "out_ids").alias("flow_ids"),
        )
        total = "in_fen" if self.inbound else "out_fen"
        return _finish(agg, ids="flow_ids", total=total, start="start_ts")

    def explain(self, metrics: dict[str, Any]) -> tuple[str, str, float]:
        p = self.params
        zh_w, en_w = duration_text(self.window_us)
        n, total = metrics["parties"], fen_text(metrics["total_fen"])
        floor = fen_text(self.min_total)
        if self.inbound:
            zh_what = f"收到 {n} 个不同付款账户的转入"
            en_what = f"received transfers from {n} distinct payers"
        else:
            zh_what = f"向 {n} 个不同收款账户转出"
            en_what = f"paid {n} distinct payees"
        zh = (
            f"账户 {metrics['subject']} 在{zh_w}内{zh_what},合计 {total} 元;"
            f"参数 window={zh_w}、min_counterparties={p.min_counterparties}、min_total={floor} 元。"
        )
        en = (
            f"Account {metrics['subject']} {en_what} within {en_w}, together {total} CNY; parameters "
            f"window={en_w}, min_counterparties={p.min_counterparties}, min_total={floor} CNY."
        )
        return zh, en, 0.4 + 0.6 * min(1.0, (n - p.min_counterparties + 1) / p.min_counterparties)


class GatherScatter(Typology):
    """Many payers into a hub, then the hub pays many payees (集中转入、分散转出)."""

    code = "gather_scatter"
    subject_type = "account"

    def __init__(self, params: GatherScatterParams, *, exempt: tuple[str, ...] = ()) -> None:
        self.params = params
        self.exempt = exempt
        self.window_us = micros(params.window)
        self.min_total = fen(params.min_total)

    @property
    def lookback_us(self) -> int:
        return self.window_us

    def select(self, prepared: pl.DataFrame) -> pl.DataFrame:
        return movements(prepared, include_cash=False, exempt=self.exempt)

    def candidates(self, rows: pl.DataFrame, *, since: int | None) -> pl.DataFrame:
        p = self.params
        scored = _with_rolling(rows.sort("account", "ts", "id"), self.window_us)
        anchors = scored.filter(
            after(since)
            & ~pl.col("inflow")
            & (pl.col("r_in_n") >= p.min_sources)
            & (pl.col("r_out_n") >= p.min_targets)
            & (pl.col("r_in_fen") >= self.min_total)
            & (pl.col("r_out_fen") >= ratio_of(pl.col("r_in_fen"), p.min_out_ratio))
        ).select("account", anchor_ts="ts", anchor_id="id")
        if anchors.is_empty():
            return empty_candidates(FLOW_METRICS)
        agg = window_flows(anchors, rows, window_us=self.window_us).filter(
            (pl.col("in_parties") >= p.min_sources)
            & (pl.col("out_parties") >= p.min_targets)
            & (pl.col("in_fen") >= self.min_total)
            & (pl.col("out_fen") >= ratio_of(pl.col("in_fen"), p.min_out_ratio))
        )
        agg = agg.drop("out_all_fen", "out_all_parties")
        return _finish(agg, ids="flow_ids", total="in_fen", start="first_in_ts")

    def explain(self, metrics: dict[str, Any]) -> tuple[str, str, float]:
        p = self.params
        zh_w, en_w = duration_text(self.window_us)
        i, o = fen_text(metrics["in_fen"]), fen_text(metrics["out_fen"])
        ns, nt = metrics["in_parties"], metrics["out_parties"]
        floor = fen_text(self.min_total)
        zh = (
            f"账户 {metrics['subject']} 在{zh_w}内从 {ns} 个账户集中转入 {i} 元,再分散转出 {o} 元至 {nt} 个账户;"
            f"参数 window={zh_w}、min_sources={p.min_sources}、min_targets={p.min_targets}、"
            f"min_total={floor} 元、min_out_ratio={p.min_out_ratio:.0%}。"
        )
        en = (
            f"Account {metrics['subject']} gathered {i} CNY from {ns} payers and scattered {o} CNY to {nt} "
            f"payees within {en_w}; parameters window={en_w}, min_sources={p.min_sources}, "
            f"min_targets={p.min_targets}, min_total={floor} CNY, min_out_ratio={p.min_out_ratio:.0%}."
        )
        breadth = min(ns / p.min_sources, nt / p.min_targets)
        return (
            zh,
            en,
            0.4 + 0.3 * min(1.0, breadth - 1) + 0.3 * min(1.0, metrics["out_fen"] / metrics["in_fen"]),
        )


class FanIn(Fan):
    """分散转入: many distinct payers into one account."""

    code = "fan_in"
    inbound = True


class FanOut(Fan):
    """分散转出: one account to many distinct payees."""

    code = "fan_out"
    inbound = False
