"""Helpers for engine tests: records, small engines, and running both paths side by side.

Engine tests never touch the database; they run with or without pytest-django.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
import pytest

from bastion.engine import Decision, Engine, EngineConfig, Payment, RuleSet
from bastion.engine.rules.to_polars import feature_column

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday, 17:00 in Beijing


def record(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "p1",
        "timestamp": T0,
        "amount": "100.00",
        "currency": "CNY",
        "channel": "mobile",
        "business_type": "transfer",
        "payer_account": "A1",
        "payer_customer": "C1",
        "payee_account": "B1",
        "customer_type": "natural_person",
        "cross_border": False,
        "device_id": "D1",
        "ip": "10.0.0.1",
        "city": "上海",
        "auth_method": "password",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def at(seconds: float = 0, **overrides: Any) -> dict[str, Any]:
    """A record ``seconds`` after T0."""
    return record(timestamp=T0 + timedelta(seconds=seconds), **overrides)


def engine_for(
    *whens: str, lists: Mapping[str, Iterable[str]] | None = None, config: EngineConfig | None = None
) -> Engine:
    rules = [
        {"id": f"R{i}", "when": when, "points": 10, "reason_zh": f"规则{i}", "reason_en": f"rule {i}"}
        for i, when in enumerate(whens)
    ]
    return Engine(RuleSet.from_rules(rules), lists=lists, config=config)


def with_ids(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**r, "id": f"p{i}"} for i, r in enumerate(records)]


def frame_of(records: Sequence[dict[str, Any]]) -> pl.DataFrame:
    """A batch table holding exactly these boundary records (text timestamps, text amounts)."""
    columns = [
        "id", "timestamp", "amount", "currency", "channel", "business_type", "payer_account",
        "payer_customer", "payee_account", "payee_customer", "customer_type", "counterparty_institution",
        "cross_border", "device_id", "ip", "city", "auth_method",
    ]  # fmt: skip
    rows = []
    for r in records:
        row = {c: r.get(c) for c in columns}
        ts = row["timestamp"]
        row["timestamp"] = ts.isoformat() if isinstance(ts, datetime) else ts
        row["cross_border"] = bool(r.get("cross_border", False))
        row["currency"] = r.get("currency", "CNY")
        rows.append(row)
    schema = {c: pl.String for c in columns} | {"cross_border": pl.Boolean}
    return pl.DataFrame(rows, schema=schema)


def realtime(engine: Engine, records: Sequence[dict[str, Any]]) -> tuple[list[list[Any]], list[Decision]]:
    scorer = engine.scorer()
    features, decisions = [], []
    for r in records:
        values, decision = scorer.score_with_features(Payment.from_mapping(r, engine.config))
        features.append(values)
        decisions.append(decision)
    return features, decisions


def batch(engine: Engine, records: Sequence[dict[str, Any]]) -> tuple[list[list[Any]], list[Decision]]:
    result = engine.score_frame(frame_of(records))
    columns = [feature_column(i) for i in range(len(engine.features))]
    features = [list(row) for row in result.frame.select(columns).rows()] if columns else [[]] * len(records)
    return features, list(result.decisions())


def both(engine: Engine, records: Sequence[dict[str, Any]]) -> list[list[Any]]:
    """Run both paths, assert they agree exactly, and return the real-time feature vectors."""
    records = with_ids(records)
    rt_features, rt_decisions = realtime(engine, records)
    b_features, b_decisions = batch(engine, records)
    assert rt_features == b_features
    assert rt_decisions == b_decisions
    return rt_features


def feature(engine: Engine, records: Sequence[dict[str, Any]], name: str) -> list[Any]:
    """Values of one feature (by canonical name) for each record, checked on both paths."""
    index = [f.name for f in engine.features].index(name)
    return [row[index] for row in both(engine, records)]


@pytest.fixture(scope="session")
def default_engine() -> Engine:
    return Engine.default(lists={"blocklist": {"M000003", "BAD-DEVICE"}, "watchlist": {"M000010"}})
