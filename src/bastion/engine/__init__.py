"""Bastion payment risk engine: pure Python, no Django.

Typical use::

    from bastion.engine import Engine, RuleSet, Payment

    engine = Engine(RuleSet.from_toml(text), lists={"blocklist": {"6222..."}})
    scorer = engine.scorer()                      # real time, one stream
    decision = scorer.score_record(record)        # or scorer.score(Payment.from_mapping(record))
    blob = scorer.snapshot(); scorer.restore(blob)
    result = engine.score_frame(polars_frame)     # batch, identical results

See docs/engine/ for the design and docs/guide/*/rules.md for the rule language.
"""

from .config import EngineConfig
from .engine import Engine, Scorer
from .errors import (
    BatchInputError,
    EngineError,
    PaymentValidationError,
    RuleError,
    RuleSetError,
    RuleSyntaxError,
    RuleTypeError,
    SnapshotError,
)
from .ruleset import Rule, RuleSet, load_default_ruleset
from .schema import Payment
from .scoring import Decision, FiredRule, Model, Policy
from .state import FeatureState

__all__ = [
    "BatchInputError",
    "Decision",
    "Engine",
    "EngineConfig",
    "EngineError",
    "FeatureState",
    "FiredRule",
    "Model",
    "Payment",
    "PaymentValidationError",
    "Policy",
    "Rule",
    "RuleError",
    "RuleSet",
    "RuleSetError",
    "RuleSyntaxError",
    "RuleTypeError",
    "Scorer",
    "SnapshotError",
    "load_default_ruleset",
]
