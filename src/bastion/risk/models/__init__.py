"""Risk models, split by aggregate: rule sets, payments and decisions, lists, controls and reviews,
feature-state snapshots, indicators."""

from bastion.risk.models.control import PaymentControl, PaymentReview
from bastion.risk.models.indicators import IndicatorThreshold, IndicatorValue, IndicatorWarning
from bastion.risk.models.lists import ListEntry, RiskList
from bastion.risk.models.payments import Decision, StoredPayment
from bastion.risk.models.reference import ChannelAssessment, CounterpartyRating
from bastion.risk.models.rules import RuleSetBacktest, RuleSetVersion
from bastion.risk.models.state import FeatureSnapshot

__all__ = [
    "ChannelAssessment",
    "CounterpartyRating",
    "Decision",
    "FeatureSnapshot",
    "IndicatorThreshold",
    "IndicatorValue",
    "IndicatorWarning",
    "ListEntry",
    "PaymentControl",
    "PaymentReview",
    "RiskList",
    "RuleSetBacktest",
    "RuleSetVersion",
    "StoredPayment",
]
