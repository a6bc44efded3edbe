"""Customer money-laundering risk rating from documented factors (R5.1).

Each factor adds points; the sum gives the rating: under 30 low, 30-59 medium, 60 and over high. A
politically exposed person, or a national of a jurisdiction under a FATF call for action, is high
whatever the sum. Review intervals follow the rating: high every 6 months, medium every 12,
low every 36 (docs/decisions/0602-aml-customer-risk-rating.md lists the factors and their sources).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

MEDIUM_FROM, HIGH_FROM = 30, 60
REVIEW_MONTHS = {"low": 36, "medium": 12, "high": 6}
# FATF "high-risk jurisdictions subject to a call for action" (ISO alpha-3).
CALL_FOR_ACTION = frozenset({"PRK", "IRN", "MMR"})
# FATF "jurisdictions under increased monitoring" (a selection; maintained as data by compliance).
INCREASED_MONITORING = frozenset({"BGR", "BFA", "CMR", "HRV", "COD", "HTI", "KEN", "MLI", "MOZ", "NGA", "PHL",
                                  "SEN", "ZAF", "SSD", "SYR", "TZA", "VNM", "YEM"})  # fmt: skip
# Cash-intensive or otherwise high-risk occupations and industries.
HIGH_RISK_OCCUPATIONS = frozenset({
    "precious_metals", "jewellery", "pawnshop", "money_service", "virtual_assets", "casino_gaming",
    "real_estate_agent", "arms", "art_antiques", "used_cars", "offshore_company",
})  # fmt: skip
LARGE_MONTHLY = Decimal(1_000_000)
LARGE_MONTHLY_CASH = Decimal(200_000)


@dataclass(frozen=True)
class Factor:
    """One reason a customer is riskier, with its points and bilingual text."""

    code: str
    points: int
    reason_zh: str
    reason_en: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "points": self.points,
            "reason_zh": self.reason_zh,
            "reason_en": self.reason_en,
        }


@dataclass(frozen=True)
class Rating:
    """The outcome of rating one customer."""

    rating: str
    score: int
    factors: tuple[Factor, ...]
    next_review_on: dt.date


def _geography(nationality: str) -> list[Factor]:
    if nationality in CALL_FOR_ACTION:
        return [Factor("fatf_call_for_action", 60, "国籍属于FATF呼吁采取行动的高风险国家或地区",
                       "Nationality under a FATF call for action")]  # fmt: skip
    if nationality in INCREASED_MONITORING:
        return [Factor("fatf_monitoring", 25, "国籍属于FATF加强监控的国家或地区",
                       "Nationality under FATF increased monitoring")]  # fmt: skip
    if nationality != "CHN":
        return [Factor("foreign", 10, "非中国国籍客户", "Foreign national or entity")]
    return []


def _profile(customer: Any, *, beneficial_owners: int) -> list[Factor]:
    found = []
    if customer.is_pep:
        found.append(Factor("pep", 60, "政治公众人物", "Politically exposed person"))
    if customer.occupation in HIGH_RISK_OCCUPATIONS:
        found.append(
            Factor("occupation", 30, "从事现金密集或高风险行业", "Cash-intensive or high-risk occupation")
        )
    if customer.non_face_to_face:
        found.append(
            Factor("non_face_to_face", 10, "非面对面建立业务关系", "Relationship opened without meeting")
        )
    if customer.kind == "institution" and beneficial_owners == 0:
        found.append(Factor("no_beneficial_owner", 30, "未识别受益所有人", "Beneficial owner not identified"))
    return found


def _activity(customer: Any, *, suspicious_reports: int, open_alerts: int) -> list[Factor]:
    found = []
    if Decimal(customer.expected_monthly_amount) >= LARGE_MONTHLY:
        found.append(Factor("large_activity", 15, "预期月交易金额较大", "Large expected monthly activity"))
    if Decimal(customer.expected_monthly_cash) >= LARGE_MONTHLY_CASH:
        found.append(Factor("large_cash", 20, "预期现金交易量较大", "Large expected cash activity"))
    if suspicious_reports:
        found.append(
            Factor(
                "past_suspicious_report",
                40,
                "曾被报送可疑交易报告",
                "Subject of a suspicious transaction report",
            )
        )
    if open_alerts:
        found.append(Factor("open_alerts", 10, "存在未处理的反洗钱预警", "Open AML alerts"))
    return found


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def rate_customer(customer: Any, *, today: dt.date, beneficial_owners: int = 0, suspicious_reports: int = 0,
                  open_alerts: int = 0) -> Rating:  # fmt: skip
    """Rate one customer; ``customer`` needs the KYC attributes of :class:`~bastion.aml.models.Customer`."""
    factors = (
        _geography(customer.nationality)
        + _profile(customer, beneficial_owners=beneficial_owners)
        + _activity(customer, suspicious_reports=suspicious_reports, open_alerts=open_alerts)
    )
    score = min(100, sum(f.points for f in factors))
    forced_high = any(f.code in {"pep", "fatf_call_for_action"} for f in factors)
    rating = "high" if forced_high or score >= HIGH_FROM else "medium" if score >= MEDIUM_FROM else "low"
    return Rating(rating, score, tuple(factors), add_months(today, REVIEW_MONTHS[rating]))
