"""Dormant account suddenly active (睡眠户突然激活).

Algorithm: all money movements become one row per account side, sorted by (account, ts, id). The gap
to the account's previous activity is a shifted difference; a row whose gap is at least
``dormant_for`` starts an *episode*. Forward-filling the episode start and cumulative sums per
(account, episode) give, at each later row q, the volume and count moved since reactivation; q is an
anchor when q is less than ``active_window`` after the episode start and both reach their levels.
One sort and a few window expressions: O(n log n).

Incremental state: beyond the active window only the last activity of each account is needed (it
fixes the gap of the account's next payment); ``compact`` keeps exactly that row per account.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from .alerts import duration_text, empty_candidates, fen_text
from .base import Typology, after
from .params import DormantParams, fen, micros

METRICS = {"gap_us": pl.Int64, "count": pl.UInt32}
DAY_US = 86_400_000_000


class Dormant(Typology):
    code = "dormant"
    subject_type = "account"

    def __init__(self, params: DormantParams) -> None:
        self.params = params
        self.window_us = micros(params.active_window)
        self.gap_us = micros(params.dormant_for)
        self.min_total = fen(params.min_total)

    @property
    def lookback_us(self) -> int:
        return self.window_us

    def select(self, prepared: pl.DataFrame) -> pl.DataFrame:
        money = prepared.filter(pl.col("kind") != "none")
        payer = money.select(
            pl.col("payer_account").alias("account"),
            pl.col("payer_customer").alias("customer"),
            "ts",
            "id",
            "fen",
        )
        payee = money.filter(pl.col("payee_account").is_not_null()).select(
            pl.col("payee_account").alias("account"),
            pl.col("payee_customer").alias("customer"),
            "ts",
            "id",
            "fen",
        )
        return pl.concat([payer, payee])

    def compact(self, rows: pl.DataFrame, *, horizon: int) -> pl.DataFrame:
        """Each account's last activity, plus recent rows of accounts with a recent reactivation.

        A later anchor needs its episode's rows from the reactivation on, and the reactivation is
        recent (after ``horizon``); every other account only needs its last activity for the gap.
        """
        rows = rows.sort("account", "ts", "id")
        gap = pl.col("ts") - pl.col("ts").shift(1).over("account")
        recent_start = ((gap >= self.gap_us) & (pl.col("ts") > horizon)).any().over("account")
        next_ts = pl.col("ts").shift(-1).over("account")
        # The last old row fixes the gap of the first recent one (a reactivation must stay visible).
        last_old = (pl.col("ts") <= horizon) & (next_ts.is_null() | (next_ts > horizon))
        is_last = next_ts.is_null()
        return rows.filter(is_last | last_old | (recent_start & (pl.col("ts") > horizon)))

    def candidates(self, rows: pl.DataFrame, *, since: int | None) -> pl.DataFrame:
        p = self.params
        rows = rows.sort("account", "ts", "id").with_columns(
            gap=pl.col("ts") - pl.col("ts").shift(1).over("account")
        )
        starts = pl.col("gap") >= self.gap_us
        episodes = rows.with_columns(
            ep_ts=pl.when(starts).then(pl.col("ts")).forward_fill().over("account"),
            ep_gap=pl.when(starts).then(pl.col("gap")).forward_fill().over("account"),
        )
        # Only an episode's first active_window can anchor; cutting there keeps the lists short even
        # for accounts that stay active for months after reactivating.
        episodes = episodes.filter(
            pl.col("ep_ts").is_not_null() & (pl.col("ts") - pl.col("ep_ts") < self.window_us)
        )
        if episodes.is_empty():
            return empty_candidates(METRICS)
        keys = ["account", "ep_ts"]
        scored = episodes.with_columns(
            cum_fen=pl.col("fen").cum_sum().over(keys),
            cum_n=pl.int_range(1, pl.len() + 1, dtype=pl.UInt32).over(keys),
            ep_ids=pl.col("id").over(keys, mapping_strategy="join"),
            ep_customer=pl.col("customer").drop_nulls().first().over(keys),
        )
        anchors = scored.filter(
            after(since) & (pl.col("cum_fen") >= self.min_total) & (pl.col("cum_n") >= p.min_count)
        )
        return anchors.select(
            pl.col("account").alias("subject"),
            pl.col("ep_customer").alias("customer"),
            pl.col("ts").alias("anchor_ts"),
            pl.col("id").alias("anchor_id"),
            pl.col("ep_ts").alias("start_ts"),
            pl.col("ep_ids").list.head(pl.col("cum_n")).alias("ids"),
            pl.col("cum_fen").alias("total_fen"),
            pl.col("ep_gap").alias("gap_us"),
            pl.col("cum_n").alias("count"),
        )

    def explain(self, metrics: dict[str, Any]) -> tuple[str, str, float]:
        p = self.params
        zh_d, en_d = duration_text(self.gap_us)
        zh_w, en_w = duration_text(self.window_us)
        idle_days = metrics["gap_us"] // DAY_US
        total, n = fen_text(metrics["total_fen"]), metrics["count"]
        floor = fen_text(self.min_total)
        zh = (
            f"账户 {metrics['subject']} 已 {idle_days} 天无交易(休眠),重新激活后{zh_w}内发生 {n} 笔交易,"
            f"合计 {total} 元;参数 dormant_for={zh_d}、active_window={zh_w}、min_total={floor} 元、"
            f"min_count={p.min_count}。"
        )
        en = (
            f"Account {metrics['subject']} had no activity for {idle_days} days (dormant), then moved {total} "
            f"CNY in {n} payments within {en_w} of reactivation; parameters dormant_for={en_d}, "
            f"active_window={en_w}, min_total={floor} CNY, min_count={p.min_count}."
        )
        return (
            zh,
            en,
            0.4
            + 0.3 * min(1.0, metrics["gap_us"] / (2 * self.gap_us))
            + 0.3 * min(1.0, metrics["total_fen"] / (4 * self.min_total)),
        )
