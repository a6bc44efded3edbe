"""Scores, levels and decisions.

The score is the sum of the points of the fired rules plus an optional learned-model contribution,
clamped to 0-100. The level comes from configurable thresholds, raised by any fired rule's minimum
level; the action comes from the level, raised by any fired rule's own action.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, runtime_checkable

import polars as pl

from .errors import RuleSetError

_T = TypeVar("_T")
LEVELS = ("normal", "attention", "warning", "high_risk")
LEVEL_LABELS_ZH = {"normal": "正常", "attention": "关注", "warning": "警告", "high_risk": "高风险"}
ACTIONS = ("allow", "review", "challenge", "hold", "block")
STEP_UP_METHODS = ("dynamic_code", "multi_factor", "fingerprint", "face", "iris", "voice")


@dataclass(frozen=True)
class Policy:
    """Thresholds (score at which a level starts) and the default action of each level."""

    attention: int = 30
    warning: int = 60
    high_risk: int = 80
    actions: Mapping[str, str] = field(
        default_factory=lambda: {
            "normal": "allow",
            "attention": "review",
            "warning": "challenge",
            "high_risk": "hold",
        }
    )
    challenge_methods: tuple[str, ...] = ("dynamic_code", "face")

    def __post_init__(self) -> None:
        if not 0 < self.attention < self.warning < self.high_risk <= 100:
            raise RuleSetError("thresholds must satisfy 0 < attention < warning < high_risk <= 100")
        for level in LEVELS:
            if self.actions.get(level) not in ACTIONS:
                raise RuleSetError(f"action for level {level!r} must be one of {', '.join(ACTIONS)}")
        bad = [m for m in self.challenge_methods if m not in STEP_UP_METHODS]
        if bad or not self.challenge_methods:
            raise RuleSetError(
                f"challenge methods must be a non-empty subset of {', '.join(STEP_UP_METHODS)}"
            )

    def level_rank(self, score: int) -> int:
        if score >= self.high_risk:
            return 3
        if score >= self.warning:
            return 2
        if score >= self.attention:
            return 1
        return 0


@runtime_checkable
class Model(Protocol):
    """A learned model's contribution to the score, in whole points (0-100).

    Both methods must return the same integers for the same payment and features, so that batch
    and real time stay identical; do any rounding inside the model. ``features`` maps canonical
    feature names (e.g. ``"count(payer, 10m)"``) to their values; in the batch frame the same
    values are in columns named by ``BatchResult.feature_columns``.

    A model that reads only the payment may set ``uses_features = False``: real time then passes an
    empty ``features`` and keeps the rules-only fast path (no feature vector is built for it).
    """

    name: str

    def score_one(self, payment: Any, features: Mapping[str, Any]) -> int: ...

    def score_batch(self, frame: pl.DataFrame, feature_columns: Mapping[str, str]) -> pl.Series: ...


def frozen(cls: type[_T], **fields: Any) -> _T:
    """Build a frozen dataclass instance without its ``__init__``.

    The generated ``__init__`` of a frozen dataclass sets each field through
    ``object.__setattr__`` (about 0.2 us per field); on the real-time path that is a tenth of the
    budget. Callers pass every field, so the instance is indistinguishable from a normal one.
    """
    instance = object.__new__(cls)
    instance.__dict__.update(fields)
    return instance


@dataclass(frozen=True)
class FiredRule:
    """One rule that fired, with its reasons and the values that made it fire."""

    id: str
    points: int
    reason_zh: str
    reason_en: str
    evidence: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "points": self.points,
            "reason_zh": self.reason_zh,
            "reason_en": self.reason_en,
            "evidence": dict(self.evidence),
        }


@dataclass(frozen=True)
class Decision:
    """The engine's answer for one payment. Money values inside are decimal strings."""

    payment_id: str
    score: int
    level: str
    action: str
    required_auth: tuple[str, ...]
    fired: tuple[FiredRule, ...]
    model_points: int = 0

    @classmethod
    def nothing_fired(cls, payment_id: str, action: str) -> Decision:
        """The common case: no rule fired and no model points."""
        return frozen(cls, payment_id=payment_id, score=0, level="normal", action=action,
                      required_auth=(), fired=(), model_points=0)  # fmt: skip

    @property
    def level_zh(self) -> str:
        return LEVEL_LABELS_ZH[self.level]

    @property
    def reasons_zh(self) -> list[str]:
        return [f.reason_zh for f in self.fired]

    @property
    def reasons_en(self) -> list[str]:
        return [f.reason_en for f in self.fired]

    def to_dict(self) -> dict[str, Any]:
        return {
            "payment_id": self.payment_id,
            "score": self.score,
            "level": self.level,
            "level_zh": self.level_zh,
            "action": self.action,
            "required_auth": list(self.required_auth),
            "model_points": self.model_points,
            "fired": [f.to_dict() for f in self.fired],
        }
