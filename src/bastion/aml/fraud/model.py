"""The fraud model as an engine ``Model``: LightGBM probability -> whole points, in both paths.

Real time (``score_one``) and batch (``score_batch``) build the same float64 feature matrix from the
same values, quantised the same way, and ask the same booster, so a payment gets the same points
in both (the engine requires it; see tests/aml/test_fraud_model.py). The matrix holds the engine's
features by canonical name (from the rule set that was active when the model was trained) plus a
few payment columns (``PAYMENT_COLUMNS``); a feature the engine no longer computes is NaN, which
the trees route like any missing value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np
import polars as pl

from bastion.aml.fraud import EXPLAIN_ID
from bastion.engine.config import MICROS_PER_HOUR
from bastion.engine.schema import AUTH_METHODS, BUSINESS_TYPES, CHANNELS, CUSTOMER_TYPES
from bastion.engine.scoring import FiredRule, frozen

MAX_POINTS = 100
DEFAULT_UTC_OFFSET_US = 8 * MICROS_PER_HOUR
# Payment columns the model reads besides the engine's features. Categorical ones are the index
# of the value in the engine's enumeration, which is also the physical code of the batch frame's
# Enum column, so both paths produce the same number without a lookup table to keep in sync.
PAYMENT_COLUMNS = (
    "payment.amount_fen",
    "payment.hour",
    "payment.channel",
    "payment.business_type",
    "payment.customer_type",
    "payment.auth_method",
    "payment.cross_border",
)
CATEGORICAL_COLUMNS = (
    "payment.channel",
    "payment.business_type",
    "payment.customer_type",
    "payment.auth_method",
)
_ENUM_OF = {
    "payment.channel": ("channel", CHANNELS),
    "payment.business_type": ("business_type", BUSINESS_TYPES),
    "payment.customer_type": ("customer_type", CUSTOMER_TYPES),
    "payment.auth_method": ("auth_method", AUTH_METHODS),
}
_ENUM_INDEX = {name: {v: float(i) for i, v in enumerate(values)} for name, (_, values) in _ENUM_OF.items()}


def quantise(matrix: np.ndarray) -> np.ndarray:
    """Round every value to a whole number and make non-finite values NaN, in place.

    Money means and standard deviations are floats that the real-time state accumulates one
    payment at a time and the batch path computes column-wise; they may differ in the last bit.
    Rounding to whole fen (counts and flags are whole already) makes both paths hand the trees the
    same number. ``zscore_limit`` is infinite without history: NaN, like any missing value.
    """
    np.round(matrix, out=matrix)
    matrix[~np.isfinite(matrix)] = np.nan
    return matrix


def payment_value(name: str, payment: Any, utc_offset_us: int) -> float:
    """One payment column of a real-time ``Payment`` (see ``PAYMENT_COLUMNS``)."""
    if name == "payment.amount_fen":
        return float(payment.amount)
    if name == "payment.hour":
        return float((payment.ts + utc_offset_us) // MICROS_PER_HOUR % 24)
    if name == "payment.cross_border":
        return 1.0 if payment.cross_border else 0.0
    attribute = _ENUM_OF[name][0]
    return _ENUM_INDEX[name].get(getattr(payment, attribute), math.nan)


def payment_expr(name: str, utc_offset_us: int) -> pl.Expr:
    """The same payment column over a normalised batch frame (engine column names)."""
    if name == "payment.amount_fen":
        return pl.col("amount").cast(pl.Float64)
    if name == "payment.hour":
        return ((pl.col("ts") + utc_offset_us) // MICROS_PER_HOUR % 24).cast(pl.Float64)
    if name == "payment.cross_border":
        return pl.col("cross_border").cast(pl.Float64)
    return pl.col(_ENUM_OF[name][0]).to_physical().cast(pl.Float64)


def feature_matrix(
    frame: pl.DataFrame,
    feature_columns: Mapping[str, str],
    names: Sequence[str],
    *,
    utc_offset_us: int = DEFAULT_UTC_OFFSET_US,
) -> np.ndarray:
    """The model's input for every row of a normalised, scored batch frame (rows x ``names``)."""
    exprs: list[pl.Expr] = []
    for index, name in enumerate(names):
        alias = f"x{index}"
        if name in PAYMENT_COLUMNS:
            exprs.append(payment_expr(name, utc_offset_us).alias(alias))
        elif name in feature_columns:
            exprs.append(pl.col(feature_columns[name]).cast(pl.Float64).alias(alias))
        else:
            exprs.append(pl.lit(None, dtype=pl.Float64).alias(alias))
    if not exprs:
        return np.zeros((frame.height, 0), dtype=np.float64)
    matrix = frame.select(exprs).to_numpy().astype(np.float64, copy=True)
    return quantise(matrix)


def feature_vector(
    payment: Any, features: Mapping[str, Any], names: Sequence[str], *, utc_offset_us: int
) -> np.ndarray:
    """The model's input for one real-time payment (1 x ``names``), as ``feature_matrix`` builds it."""
    row = np.empty((1, len(names)), dtype=np.float64)
    for index, name in enumerate(names):
        if name in PAYMENT_COLUMNS:
            row[0, index] = payment_value(name, payment, utc_offset_us)
            continue
        value = features.get(name)
        row[0, index] = math.nan if value is None else float(value)
    return quantise(row)


def points_of(probability: float, *, max_points: int, threshold: float) -> int:
    """Points for a probability: nothing below the threshold, else floor(p * max_points).

    Below the threshold the model stays silent, so the everyday noise of a calibrated-but-weighted
    probability does not nudge ordinary payments' scores; above it the points grow with p.
    """
    if not probability >= threshold:  # also False for NaN
        return 0
    return min(math.floor(probability * max_points), max_points)


@dataclass(frozen=True)
class Contribution:
    """One feature's share of a payment's score (SHAP value in log-odds)."""

    feature: str
    value: float | None
    contribution: float

    def to_dict(self) -> dict[str, Any]:
        return {"feature": self.feature, "value": self.value, "contribution": round(self.contribution, 4)}


class FraudModel:
    """A trained booster behind the engine's ``Model`` protocol."""

    uses_features = True

    def __init__(
        self,
        *,
        model_text: str,
        feature_names: Sequence[str],
        max_points: int,
        threshold: float,
        version: int = 0,
        utc_offset_us: int = DEFAULT_UTC_OFFSET_US,
    ) -> None:
        if not 0 < max_points <= MAX_POINTS:
            raise ValueError(f"max_points must be 1-{MAX_POINTS}, got {max_points}")
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be a probability, got {threshold}")
        # Predictions pass num_threads=1: the request path of a shared machine gains nothing from
        # more threads for one row, and batch scoring then runs exactly the per-row code of real time.
        self.booster = lgb.Booster(model_str=model_text)
        self.feature_names = tuple(feature_names)
        if self.booster.num_feature() != len(self.feature_names):
            raise ValueError(
                f"the booster expects {self.booster.num_feature()} features, {len(self.feature_names)} named"
            )
        self.max_points = max_points
        self.threshold = threshold
        self.version = version
        self.utc_offset_us = utc_offset_us
        self.name = f"fraud-model-v{version}"

    # --- probabilities ---------------------------------------------------------------------------
    def probabilities(self, matrix: np.ndarray) -> np.ndarray:
        if matrix.shape[0] == 0:
            return np.zeros(0, dtype=np.float64)
        return np.asarray(self.booster.predict(matrix, num_threads=1), dtype=np.float64)

    def vector(self, payment: Any, features: Mapping[str, Any]) -> np.ndarray:
        return feature_vector(payment, features, self.feature_names, utc_offset_us=self.utc_offset_us)

    # --- the engine's Model protocol ---------------------------------------------------------------
    def score_one(self, payment: Any, features: Mapping[str, Any]) -> int:
        probability = float(self.probabilities(self.vector(payment, features))[0])
        return points_of(probability, max_points=self.max_points, threshold=self.threshold)

    def score_batch(self, frame: pl.DataFrame, feature_columns: Mapping[str, str]) -> pl.Series:
        matrix = feature_matrix(frame, feature_columns, self.feature_names, utc_offset_us=self.utc_offset_us)
        probabilities = self.probabilities(matrix)
        points = [
            points_of(float(p), max_points=self.max_points, threshold=self.threshold)
            for p in probabilities.tolist()
        ]
        return pl.Series("fraud_points", points, dtype=pl.Int64)

    # --- explanations ------------------------------------------------------------------------------
    def explain_matrix(self, matrix: np.ndarray, *, top: int = 5) -> list[Contribution]:
        """The ``top`` features that moved this single row's score most (largest |SHAP| first)."""
        contributions = np.asarray(self.booster.predict(matrix, pred_contrib=True, num_threads=1))[0]
        values = matrix[0]
        # The last column is the expected value (the bias), not a feature.
        order = sorted(range(len(self.feature_names)), key=lambda i: (-abs(contributions[i]), i))
        found = []
        for i in order[:top]:
            if contributions[i] == 0.0:
                break
            value = None if math.isnan(values[i]) else float(values[i])
            found.append(Contribution(self.feature_names[i], value, float(contributions[i])))
        return found

    def explain(self, payment: Any, features: Mapping[str, Any], *, top: int = 5) -> list[Contribution]:
        """Top contributing features of one real-time payment (as ``score_one`` saw it)."""
        return self.explain_matrix(self.vector(payment, features), top=top)

    def explanation_part(self, payment: Any, features: Mapping[str, Any]) -> FiredRule | None:
        """The model's line in a decision's reasons, with its top features as evidence; None if silent."""
        matrix = self.vector(payment, features)
        probability = float(self.probabilities(matrix)[0])
        points = points_of(probability, max_points=self.max_points, threshold=self.threshold)
        if not points:
            return None
        top = self.explain_matrix(matrix)
        names = ", ".join(c.feature for c in top[:3])
        evidence = {
            "model_version": self.version,
            "probability": round(probability, 4),
            "top_features": [c.to_dict() for c in top],
        }
        return frozen(FiredRule, id=EXPLAIN_ID, points=points,
                      reason_zh=f"欺诈模型 v{self.version} 评分偏高（主要因素：{names}）",
                      reason_en=f"Fraud model v{self.version} scores this payment high (mainly: {names})",
                      evidence=evidence)  # fmt: skip


class CompositeModel:
    """Several models' points added up (capped at 100): the reference ratings plus the fraud model."""

    def __init__(self, *parts: Any) -> None:
        self.parts = tuple(parts)
        self.name = "+".join(str(part.name) for part in self.parts)
        # Real time builds the feature vector only when some part reads it (the engine's fast path).
        self.uses_features = any(getattr(part, "uses_features", True) for part in self.parts)

    def score_one(self, payment: Any, features: Mapping[str, Any]) -> int:
        return min(sum(int(part.score_one(payment, features)) for part in self.parts), MAX_POINTS)

    def score_batch(self, frame: pl.DataFrame, feature_columns: Mapping[str, str]) -> pl.Series:
        total = pl.Series("model_points", [0] * frame.height, dtype=pl.Int64)
        for part in self.parts:
            total = total + part.score_batch(frame, feature_columns).cast(pl.Int64).rename("model_points")
        return total.clip(upper_bound=MAX_POINTS)
