"""Models of the AML app, one module per aggregate."""

from bastion.aml.models.cases import Alert, Case, CaseEvidence, CaseNote
from bastion.aml.models.kyc import BeneficialOwner, Customer, CustomerDocument
from bastion.aml.models.reports import ExchangeRate, LargeValueItem, LargeValueReport, SuspiciousReport

__all__ = [
    "Alert",
    "BeneficialOwner",
    "Case",
    "CaseEvidence",
    "CaseNote",
    "Customer",
    "CustomerDocument",
    "ExchangeRate",
    "LargeValueItem",
    "LargeValueReport",
    "SuspiciousReport",
]
