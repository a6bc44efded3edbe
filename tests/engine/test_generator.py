"""The synthetic payment generator: deterministic, valid, realistic enough to exercise every rule."""

from __future__ import annotations

import polars as pl

from bastion.engine import Engine, EngineConfig
from bastion.engine.batch import normalize
from bastion.engine.generator import LABELS, generate, records


def test_same_seed_same_data_other_seed_other_data() -> None:
    assert generate(3_000, seed=1).equals(generate(3_000, seed=1))
    assert not generate(3_000, seed=1).equals(generate(3_000, seed=2))


def test_every_row_is_a_valid_payment() -> None:
    frame = generate(5_000, seed=3)
    assert normalize(frame, EngineConfig()).height == frame.height == 5_000
    assert frame["id"].n_unique() == 5_000


def test_patterns_are_labelled_and_caught_more_often_than_background(default_engine: Engine) -> None:
    frame = generate(30_000, seed=8, pattern_share=0.03)
    assert set(frame["label"].unique()) - {""} == set(LABELS)
    scored = default_engine.score_frame(frame).frame.with_columns(frame["label"])
    rates = scored.group_by(pl.col("label") != "").agg((pl.col("score") > 0).mean().alias("flagged"))
    flagged = dict(rates.rows())
    assert flagged[True] > 3 * flagged[False]


def test_daily_cycle_and_chinese_cities() -> None:
    frame = generate(20_000, seed=5)
    hours = frame.select((pl.col("timestamp").dt.convert_time_zone("Asia/Shanghai").dt.hour()).alias("h"))[
        "h"
    ]
    night, day = (hours < 6).sum(), ((hours >= 9) & (hours < 15)).sum()
    assert day > 5 * night
    assert {"上海", "北京", "深圳"} <= set(frame["city"].unique())


def test_some_rows_arrive_out_of_order() -> None:
    ts = generate(20_000, seed=6)["timestamp"].dt.epoch("us")
    assert (ts.diff() < 0).sum() > 10
    assert len(list(records(generate(10, seed=6)))) == 10
