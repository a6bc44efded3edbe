"""Fraud model: training time and the real-time cost of its score (issue #8 item 6).

Usage:
    python benchmarks/fraud_model.py [--payments 50000] [--trees 150] [--scored 5000] [--seed 0]

Generates payments with ``bastion.engine.generator`` (labels = injected patterns), computes the
default rule set's features with the batch path, trains LightGBM on the first two thirds (one
thread, deterministic) and evaluates on the rest. Then it scores ``--scored`` payments in real
time three ways, on one engine state each: rules only, rules plus the fraud model
(``Scorer.score``), and ``FraudModel.score_one`` alone on a prepared feature mapping. Prints one
JSON line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from typing import Any

import numpy as np

from bastion.aml.fraud.model import PAYMENT_COLUMNS, FraudModel, feature_matrix
from bastion.aml.fraud.train import Split, train_model
from bastion.engine import Engine, Payment
from bastion.engine.generator import generate, records


def _per_payment_us(engine: Engine, payments: list[Payment]) -> float:
    scorer = engine.scorer()
    started = time.perf_counter()
    for payment in payments:
        scorer.score(payment)
    return (time.perf_counter() - started) / len(payments) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=50_000)
    parser.add_argument("--trees", type=int, default=150)
    parser.add_argument("--scored", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    started = time.perf_counter()
    frame = generate(args.payments, seed=args.seed, start=dt.datetime(2026, 1, 4, 16, tzinfo=dt.UTC), days=30)
    labels = (frame["label"] != "").to_numpy().astype(np.int8)
    features = Engine.default().score_frame(frame.drop("label"))
    names = [*features.feature_columns, *PAYMENT_COLUMNS]
    matrix = feature_matrix(features.frame, features.feature_columns, names)
    prepared = time.perf_counter()
    cut = frame.height * 2 // 3
    result = train_model(
        train=Split(matrix[:cut], labels[:cut]), test=Split(matrix[cut:], labels[cut:]), feature_names=names,
        seed=args.seed, options={"num_boost_round": args.trees},
    )  # fmt: skip
    trained = time.perf_counter()

    model = FraudModel(model_text=result.model_text, feature_names=names, max_points=result.max_points,
                       threshold=result.threshold, version=1)  # fmt: skip
    sample = [Payment.from_mapping(r) for r, _ in zip(records(frame), range(args.scored), strict=False)]
    rules_only = _per_payment_us(Engine.default(), sample)
    with_model = _per_payment_us(Engine.default(model=model), sample)
    engine = Engine.default(model=model)
    scorer = engine.scorer()
    vectors: list[tuple[Payment, dict[str, Any]]] = []
    for payment in sample:
        values, _ = scorer.score_with_features(payment)
        vectors.append((payment, engine.named_features(values)))
    started_one = time.perf_counter()
    for payment, named in vectors:
        model.score_one(payment, named)
    score_one_us = (time.perf_counter() - started_one) / len(vectors) * 1e6
    metrics = result.metrics
    print(json.dumps({
        "benchmark": "fraud_model", "payments": frame.height, "trees": args.trees,
        "train_rows": result.train_rows, "test_rows": result.test_rows,
        "prepare_s": round(prepared - started, 2), "train_and_evaluate_s": round(trained - prepared, 2),
        "pr_auc": metrics["pr_auc"], "base_rate": metrics["base_rate"], "precision": metrics["precision"],
        "recall": metrics["recall"], "score_one_us": round(score_one_us, 1),
        "realtime_rules_only_us": round(rules_only, 1), "realtime_with_model_us": round(with_model, 1),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
