"""Round-tripping: time-respecting directed cycles of transfers.

A cycle of length k is a sequence of transfers e1..ek between k distinct accounts with
payee(e_i) = payer(e_i+1), payee(e_k) = payer(e_1), strictly increasing timestamps, the whole cycle
within ``window`` (t_k - t_1 <= window), each hop at least ``min_amount`` and within
``amount_tolerance`` of the previous hop (money passed on minus a fee).

Algorithm (no graph library; vectorised in Polars):

1. *Filter*: only transfers of at least ``min_amount`` between different accounts.
2. *Temporal 2-core pruning*: an edge u->v at t can only lie on such a cycle if v sends and u
   receives some other qualifying transfer within [t - window, t + window] (either the next/previous
   hop or, for the first/closing edge, the edge that closes/opens the cycle). Two as-of joins per
   round (nearest edge of the same account within the tolerance), repeated until nothing is removed;
   each round is O(m log m) for m edges.
3. *Time-ordered path expansion*: paths start at every surviving edge and grow one hop at a time by
   an equi-join on the path's last account, keeping only hops that are later than the previous one,
   within ``window`` of the first, within the amount tolerance, and to an unvisited account; a hop
   back to the start account closes a cycle. Because hops are strictly time-ordered, the first edge
   of a cycle is its unique earliest edge, so each cycle is found exactly once (no rotations).

Complexity: O(m * d^(L-1)) path rows in the worst case, where d is the number of qualifying later
out-edges of an account within the window (after pruning and the amount tolerance) and L the
maximum length; on payment data d is small because the amount tolerance keeps about a tenth of an
account's outflows and the window keeps a few days. Memory is the largest frontier.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from .alerts import duration_text, empty_candidates, fen_text
from .base import Typology, has_neighbour, ratio_of
from .params import CycleParams, fen, micros

METRICS = {"length": pl.Int64, "first_fen": pl.Int64, "last_fen": pl.Int64, "dedup": pl.String}
EDGE_SCHEMA = {"src": pl.String, "dst": pl.String, "ts": pl.Int64, "id": pl.String, "fen": pl.Int64}


def prune(edges: pl.DataFrame, *, window_us: int) -> pl.DataFrame:
    """Temporal 2-core: repeatedly drop edges whose payee never pays or payer never receives nearby."""
    while not edges.is_empty():
        keep = has_neighbour(edges, own="dst", other="src", window_us=window_us) & has_neighbour(
            edges, own="src", other="dst", window_us=window_us
        )
        if keep.all():
            break
        edges = edges.filter(keep)
    return edges


def canonical_ring(accounts: list[str]) -> str:
    """The cycle's accounts rotated to start at the smallest, direction kept: one name per ring."""
    start = accounts.index(min(accounts))
    return ">".join(accounts[start:] + accounts[:start])


class Cycles(Typology):
    code = "cycle"
    subject_type = "ring"

    def __init__(self, params: CycleParams) -> None:
        self.params = params
        self.window_us = micros(params.window)

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

    def _extend(self, paths: pl.DataFrame, edges: pl.DataFrame) -> pl.DataFrame:
        """One more hop: later, inside the window, within the amount tolerance."""
        slack = ratio_of(pl.col("last_fen"), self.params.amount_tolerance)
        return (
            paths.lazy()
            .join(edges.lazy(), left_on="last", right_on="src", how="inner")
            .filter(
                (pl.col("ts") > pl.col("last_ts"))
                & (pl.col("ts") <= pl.col("t0") + self.window_us)
                & ((pl.col("fen") - pl.col("last_fen")).abs() <= slack)
            )
            .collect()
        )

    def candidates(self, rows: pl.DataFrame, *, since: int | None) -> pl.DataFrame:
        p = self.params
        edges = prune(rows.select(*EDGE_SCHEMA, "customer"), window_us=self.window_us)
        starts = edges if since is None else edges.filter(pl.col("ts") > since - self.window_us)
        edges = edges.select(*EDGE_SCHEMA)
        paths = starts.select(
            pl.col("src").alias("start"),
            "customer",
            pl.col("ts").alias("t0"),
            pl.col("dst").alias("last"),
            pl.col("ts").alias("last_ts"),
            pl.col("fen").alias("last_fen"),
            pl.col("fen").alias("first_fen"),
            pl.concat_list("src", "dst").alias("visited"),
            pl.concat_list("id").alias("ids"),
            pl.col("fen").alias("total_fen"),
        )
        found: list[pl.DataFrame] = []
        for length in range(2, p.max_length + 1):
            if paths.is_empty():
                break
            step = self._extend(paths, edges)
            closed = step.filter(pl.col("dst") == pl.col("start"))
            if since is not None:
                closed = closed.filter(pl.col("ts") > since)
            if length >= p.min_length and not closed.is_empty():
                found.append(self._cycles(closed, length))
            if length < p.max_length:
                paths = self._grow(step.filter(~pl.col("visited").list.contains(pl.col("dst"))))
        if not found:
            return empty_candidates(METRICS)
        return pl.concat(found)

    @staticmethod
    def _grow(step: pl.DataFrame) -> pl.DataFrame:
        return step.select(
            "start",
            "customer",
            "t0",
            pl.col("dst").alias("last"),
            pl.col("ts").alias("last_ts"),
            pl.col("fen").alias("last_fen"),
            "first_fen",
            pl.concat_list("visited", pl.col("dst")).alias("visited"),
            pl.concat_list("ids", pl.col("id")).alias("ids"),
            (pl.col("total_fen") + pl.col("fen")).alias("total_fen"),
        )

    @staticmethod
    def _cycles(closed: pl.DataFrame, length: int) -> pl.DataFrame:
        ring = pl.col("visited").map_elements(
            lambda accounts: canonical_ring(list(accounts)), return_dtype=pl.String
        )
        return closed.select(
            ring.alias("subject"),
            pl.col("customer"),
            pl.col("ts").alias("anchor_ts"),
            pl.col("id").alias("anchor_id"),
            pl.col("t0").alias("start_ts"),
            pl.concat_list("ids", pl.col("id")).alias("ids"),
            (pl.col("total_fen") + pl.col("fen")).alias("total_fen"),
            pl.lit(length, dtype=pl.Int64).alias("length"),
            "first_fen",
            pl.col("fen").alias("last_fen"),
            ring.alias("dedup"),
        )

    def explain(self, metrics: dict[str, Any]) -> tuple[str, str, float]:
        p = self.params
        zh_w, en_w = duration_text(self.window_us)
        n, ring = metrics["length"], metrics["subject"].replace(">", " → ")
        first, last = fen_text(metrics["first_fen"]), fen_text(metrics["last_fen"])
        floor = fen_text(fen(p.min_amount))
        zh = (
            f"资金在 {n} 个账户间循环流转({ring} → 起点),按时间先后依次转账,{zh_w}内回到起点账户;"
            f"首笔 {first} 元,回流 {last} 元;参数 window={zh_w}、amount_tolerance={p.amount_tolerance:.0%}、"
            f"min_amount={floor} 元、length={p.min_length}-{p.max_length}。"
        )
        en = (
            f"Funds went round a cycle of {n} accounts ({ring} and back), each hop after the previous one, "
            f"returning to the first account within {en_w}; first hop {first} CNY, returned {last} CNY; "
            f"parameters window={en_w}, amount_tolerance={p.amount_tolerance:.0%}, min_amount={floor} CNY, "
            f"length={p.min_length}-{p.max_length}."
        )
        retained = metrics["last_fen"] / metrics["first_fen"]
        return zh, en, 0.5 + 0.3 * min(1.0, retained) + 0.2 * min(1.0, (n - 1) / 5)
