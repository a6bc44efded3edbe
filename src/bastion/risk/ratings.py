"""Channel assessments and counterparty ratings as the engine's payment-only model (R4.6, R4.8).

The model adds a channel's points (by its current rating) and the worst matching counterparty's
points (by its credit grade) to the rule points. It reads only the payment (``uses_features =
False``), so real time keeps the engine's fast path, and its batch form gives the same integers,
so backtests see the same scores. Its tables are replaced in place when the reference data changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from bastion.engine import Decision
from bastion.engine.scoring import FiredRule, frozen

MAX_POINTS = 100


class ReferenceModel:
    """Points from the channel's risk rating and the counterparty's credit grade."""

    name = "channel-and-counterparty-ratings"
    uses_features = False

    def __init__(
        self,
        channels: Mapping[str, tuple[str, int]] | None = None,
        institutions: Mapping[str, tuple[str, str, int]] | None = None,
        merchants: Mapping[str, tuple[str, str, int]] | None = None,
    ) -> None:
        self.channels: dict[str, tuple[str, int]] = {}
        self.institutions: dict[str, tuple[str, str, int]] = {}
        self.merchants: dict[str, tuple[str, str, int]] = {}
        self.replace(channels or {}, institutions or {}, merchants or {})

    def replace(
        self,
        channels: Mapping[str, tuple[str, int]],
        institutions: Mapping[str, tuple[str, str, int]],
        merchants: Mapping[str, tuple[str, str, int]],
    ) -> None:
        """New tables: channel -> (rating, points); identifier -> (name, grade, points)."""
        self.channels, self.institutions, self.merchants = dict(channels), dict(institutions), dict(merchants)
        self._channel_points = {k: v[1] for k, v in self.channels.items() if v[1]}
        self._institution_points = {k: v[2] for k, v in self.institutions.items() if v[2]}
        self._merchant_points = {k: v[2] for k, v in self.merchants.items() if v[2]}

    def _counterparty(self, institution: str | None, merchant: str | None) -> int:
        return max(
            self._institution_points.get(institution, 0) if institution else 0,
            self._merchant_points.get(merchant, 0) if merchant else 0,
        )

    def score_one(self, payment: Any, features: Mapping[str, Any]) -> int:
        points = self._channel_points.get(payment.channel, 0)
        points += self._counterparty(payment.institution, payment.payee_customer)
        return min(points, MAX_POINTS)

    def score_batch(self, frame: pl.DataFrame, feature_columns: Mapping[str, str]) -> pl.Series:
        if not (self._channel_points or self._institution_points or self._merchant_points):
            return pl.Series("reference_points", [0] * frame.height, dtype=pl.Int64)

        def lookup(column: str, table: dict[str, int]) -> pl.Expr:
            if not table:
                return pl.lit(0, dtype=pl.Int64)
            return (
                pl.col(column)
                .cast(pl.String)
                .replace_strict(table, default=0, return_dtype=pl.Int64)
                .fill_null(0)
            )

        # The engine's batch frame names columns by attribute ("institution"); boundary-named
        # frames (imports, tests) say "counterparty_institution".
        institution = "institution" if "institution" in frame.columns else "counterparty_institution"
        counterparty = pl.max_horizontal(
            lookup(institution, self._institution_points),
            lookup("payee_customer", self._merchant_points),
        )
        total = lookup("channel", self._channel_points) + counterparty
        return frame.select(
            pl.min_horizontal(total, pl.lit(MAX_POINTS)).alias("reference_points")
        ).to_series()

    def explain(self, decision: Decision, payment: Any) -> Decision:
        """Add the model's parts to ``fired`` (id, points, reasons), so the score's sum is shown."""
        if not decision.model_points:
            return decision
        parts: list[FiredRule] = []
        channel = self.channels.get(payment.channel)
        if channel and channel[1]:
            parts.append(_part("CHANNEL-RISK", channel[1], f"渠道风险评估为{_RATING_ZH[channel[0]]}",
                               f"The channel is assessed as {channel[0]} risk",
                               {"channel": payment.channel, "rating": channel[0]}))  # fmt: skip
        found = [
            (
                self.institutions.get(payment.institution or ""),
                "counterparty_institution",
                payment.institution,
            ),
            (self.merchants.get(payment.payee_customer or ""), "payee_customer", payment.payee_customer),
        ]
        rated = [(row, field, value) for row, field, value in found if row and row[2]]
        if rated:
            (name, grade, points), field, value = max(rated, key=lambda item: item[0][2])
            parts.append(_part("COUNTERPARTY-RATING", points, f"交易对手{name}信用等级为{grade}",
                               f"Counterparty {name} has credit grade {grade}",
                               {field: value, "grade": grade}))  # fmt: skip
        return decision if not parts else _with_parts(decision, parts)


_RATING_ZH = {"low": "低", "medium": "中", "high": "高"}


def _part(rule_id: str, points: int, zh: str, en: str, evidence: dict[str, Any]) -> FiredRule:
    return frozen(FiredRule, id=rule_id, points=points, reason_zh=zh, reason_en=en, evidence=evidence)


def _with_parts(decision: Decision, parts: list[FiredRule]) -> Decision:
    import dataclasses

    return dataclasses.replace(decision, fired=(*decision.fired, *parts))
