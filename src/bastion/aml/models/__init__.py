"""Models of the AML app, one module per aggregate."""

from bastion.aml.models.cases import Alert, Case, CaseEvidence, CaseNote
from bastion.aml.models.fraud import FraudModelVersion
from bastion.aml.models.kyc import BeneficialOwner, Customer, CustomerDocument
from bastion.aml.models.pipeline import SweepCursor, TypologySettings
from bastion.aml.models.reports import ExchangeRate, LargeValueItem, LargeValueReport, SuspiciousReport
from bastion.aml.models.screening import ScreeningHit, WatchList, WatchListEntry

__all__ = [
    "Alert",
    "BeneficialOwner",
    "Case",
    "CaseEvidence",
    "CaseNote",
    "Customer",
    "CustomerDocument",
    "ExchangeRate",
    "FraudModelVersion",
    "LargeValueItem",
    "LargeValueReport",
    "ScreeningHit",
    "SuspiciousReport",
    "SweepCursor",
    "TypologySettings",
    "WatchList",
    "WatchListEntry",
]
