"""Risk models, split by aggregate: rule sets, payments and decisions, feature-state snapshots, indicators."""

from bastion.risk.models.indicators import IndicatorThreshold, IndicatorValue, IndicatorWarning
from bastion.risk.models.payments import Decision, StoredPayment
from bastion.risk.models.rules import RuleSetBacktest, RuleSetVersion
from bastion.risk.models.state import FeatureSnapshot

__all__ = [
    "Decision",
    "FeatureSnapshot",
    "IndicatorThreshold",
    "IndicatorValue",
    "IndicatorWarning",
    "RuleSetBacktest",
    "RuleSetVersion",
    "StoredPayment",
]
