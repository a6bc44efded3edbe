"""Train and evaluate a fraud model: LightGBM on one period, measured on a later held-out period.

Everything here is reproducible: the booster is built single-threaded with ``deterministic`` and a
fixed seed and without row or feature sampling, so the same data and parameters give the same
model text (its SHA-256 is part of the metrics) and the same metrics on any machine.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import lightgbm as lgb
import numpy as np
from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score

from bastion.aml.fraud.model import CATEGORICAL_COLUMNS, points_of

Progress = Callable[[str, int, int], None]
DEFAULTS: dict[str, Any] = {
    "num_boost_round": 150,
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_data_in_leaf": 20,
    "lambda_l2": 1.0,
    "max_points": 40,
    "threshold": 0.5,
    # Positives are ~1 % of payments; weighting them by sqrt(negatives / positives), capped, makes
    # the trees look at them without inflating probabilities as much as the full ratio would.
    "max_positive_weight": 20.0,
}
PR_CURVE_POINTS = 60
TOP_IMPORTANCES = 15


class TrainingError(ValueError):
    """The data cannot train or evaluate a model (no positives, an empty period...).

    ``field`` names the input to change (a period bound, the row count), for the caller's error.
    """

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Split:
    """Features and labels of one period."""

    matrix: np.ndarray
    labels: np.ndarray

    @property
    def rows(self) -> int:
        return int(self.matrix.shape[0])

    @property
    def positives(self) -> int:
        return int(self.labels.sum())


@dataclass
class TrainingResult:
    """What a ``FraudModelVersion`` stores: the model, its parameters and its evaluation."""

    model_text: str
    feature_names: list[str]
    params: dict[str, Any]
    metrics: dict[str, Any]
    max_points: int
    threshold: float
    seed: int
    train_rows: int
    test_rows: int
    timing: dict[str, float] = field(default_factory=dict)


def booster_params(*, seed: int, positive_weight: float, options: Mapping[str, Any]) -> dict[str, Any]:
    """LightGBM parameters; every source of run-to-run variation is pinned."""
    return {
        "objective": "binary",
        "learning_rate": float(options["learning_rate"]),
        "num_leaves": int(options["num_leaves"]),
        "min_data_in_leaf": int(options["min_data_in_leaf"]),
        "lambda_l2": float(options["lambda_l2"]),
        "scale_pos_weight": positive_weight,
        "feature_fraction": 1.0,
        "bagging_fraction": 1.0,
        "bagging_freq": 0,
        "seed": seed,
        "deterministic": True,
        "force_row_wise": True,
        "num_threads": 1,
        "verbosity": -1,
    }


def positive_weight(labels: np.ndarray, cap: float) -> float:
    positives = float(labels.sum())
    negatives = float(len(labels) - positives)
    if positives == 0:
        raise TrainingError("the training period has no positive (fraud) label", field="train_start")
    return round(min(math.sqrt(negatives / positives), cap), 4) if negatives else 1.0


def train_model(
    *,
    train: Split,
    test: Split,
    feature_names: Sequence[str],
    seed: int = 0,
    options: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
) -> TrainingResult:
    """Fit on ``train``, evaluate on ``test``; ``options`` override ``DEFAULTS``."""
    settings = {**DEFAULTS, **(options or {})}
    report = progress or (lambda stage, done, total: None)
    if train.rows == 0:
        raise TrainingError("the training period has no payments", field="train_start")
    if test.rows == 0:
        raise TrainingError("the held-out period has no payments", field="test_start")
    params = booster_params(
        seed=seed,
        positive_weight=positive_weight(train.labels, float(settings["max_positive_weight"])),
        options=settings,
    )
    rounds = int(settings["num_boost_round"])
    names = list(feature_names)
    categorical = [name for name in names if name in CATEGORICAL_COLUMNS]
    # Canonical feature names hold quotes and brackets, which LightGBM refuses: the booster sees
    # positions (x0, x1, ...) and the version keeps the names in the same order.
    dataset = lgb.Dataset(
        train.matrix, label=train.labels, feature_name=[f"x{i}" for i in range(len(names))],
        categorical_feature=[names.index(name) for name in categorical],
        free_raw_data=True, params={"verbosity": -1, "num_threads": 1},
    )  # fmt: skip

    def on_iteration(env: Any) -> None:
        report("train", env.iteration + 1, rounds)

    report("train", 0, rounds)
    booster = lgb.train(params, dataset, num_boost_round=rounds, callbacks=[on_iteration])
    model_text = booster.model_to_string()
    report("evaluate", 0, 1)
    probabilities = np.asarray(booster.predict(test.matrix, num_threads=1), dtype=np.float64)
    max_points, threshold = int(settings["max_points"]), float(settings["threshold"])
    metrics = evaluate(test.labels, probabilities, max_points=max_points, threshold=threshold)
    metrics.update(
        train_rows=train.rows, train_positives=train.positives,
        importances=importances(booster, names),
        model_sha256=hashlib.sha256(model_text.encode()).hexdigest(),
    )  # fmt: skip
    report("evaluate", 1, 1)
    return TrainingResult(
        model_text=model_text, feature_names=names,
        params={**params, "num_boost_round": rounds, "categorical": categorical},
        metrics=metrics, max_points=max_points, threshold=threshold, seed=seed,
        train_rows=train.rows, test_rows=test.rows,
    )  # fmt: skip


def evaluate(
    labels: np.ndarray, probabilities: np.ndarray, *, max_points: int, threshold: float
) -> dict[str, Any]:
    """Held-out metrics: at the threshold (precision, recall, confusion) and over all thresholds."""
    truth = labels.astype(bool)
    flagged = np.array(
        [points_of(float(p), max_points=max_points, threshold=threshold) > 0 for p in probabilities.tolist()],
        dtype=bool,
    )
    tp = int((flagged & truth).sum())
    fp = int((flagged & ~truth).sum())
    fn = int((~flagged & truth).sum())
    tn = int((~flagged & ~truth).sum())
    positives = int(truth.sum())
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / positives if positives else None
    f1 = (
        2 * precision * recall / (precision + recall)
        if precision is not None and recall is not None and precision + recall
        else None
    )
    both_classes = 0 < positives < len(truth)
    pr_auc = float(average_precision_score(truth, probabilities)) if positives else None
    return {
        "threshold": threshold,
        "test_rows": len(truth),
        "test_positives": positives,
        "base_rate": _round(positives / len(truth)) if len(truth) else None,
        "precision": _round(precision),
        "recall": _round(recall),
        "f1": _round(f1),
        "pr_auc": _round(pr_auc),
        "roc_auc": _round(float(roc_auc_score(truth, probabilities))) if both_classes else None,
        "true_positives": tp,
        "false_positives": fp,
        "false_negatives": fn,
        "true_negatives": tn,
        "pr_curve": pr_curve(truth, probabilities) if positives else [],
    }


def pr_curve(truth: np.ndarray, probabilities: np.ndarray) -> list[dict[str, float | None]]:
    """The precision-recall curve thinned to about ``PR_CURVE_POINTS`` points, for the console chart."""
    precision, recall, thresholds = precision_recall_curve(truth, probabilities)
    # precision/recall have one more entry than thresholds (the end point recall 0, precision 1).
    step = max(1, len(thresholds) // PR_CURVE_POINTS)
    picked = sorted({*range(0, len(thresholds), step), len(thresholds) - 1}) if len(thresholds) else []
    return [
        {
            "threshold": _round(float(thresholds[i])),
            "precision": _round(float(precision[i])),
            "recall": _round(float(recall[i])),
        }
        for i in picked
    ]


def importances(booster: lgb.Booster, names: Sequence[str]) -> list[dict[str, Any]]:
    """Features by total gain (largest first), with how many splits use them."""
    gains = booster.feature_importance(importance_type="gain")
    splits = booster.feature_importance(importance_type="split")
    ranked = sorted(range(len(names)), key=lambda i: (-float(gains[i]), i))
    return [
        {"feature": names[i], "gain": round(float(gains[i]), 2), "splits": int(splits[i])}
        for i in ranked[:TOP_IMPORTANCES]
        if gains[i] > 0
    ]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
