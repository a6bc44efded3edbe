"""Reads of regulatory reports: lists by deadline, one report with its transactions."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from bastion.aml.models import LargeValueReport, SuspiciousReport
from bastion.platform.errors import NotFound
from bastion.platform.scoping import Principal, scoped


def list_large_value_reports(principal: Principal, *, status: str | None = None, day_from: dt.date | None = None,
                             day_to: dt.date | None = None, standard: str | None = None,
                             customer_no: str = "") -> QuerySet[LargeValueReport]:  # fmt: skip
    """Reports in scope by deadline; institution-level payments' reports need institution-wide scope."""
    reports = scoped(LargeValueReport.objects.select_related("customer", "branch", "reviewed_by"), principal)
    if status:
        reports = reports.filter(status=status)
    if day_from:
        reports = reports.filter(trade_day__gte=day_from)
    if day_to:
        reports = reports.filter(trade_day__lte=day_to)
    if standard:
        reports = reports.filter(standard=standard)
    if customer_no:
        reports = reports.filter(customer_no=customer_no)
    return reports.order_by("due_on", "number")


def get_large_value_report(principal: Principal, *, report_id: int) -> LargeValueReport:
    found = list_large_value_reports(principal).filter(pk=report_id).first()
    if found is None:
        raise NotFound(_("Report not found."))
    return found


def list_suspicious_reports(principal: Principal, *, status: str | None = None) -> QuerySet[SuspiciousReport]:
    reports = scoped(
        SuspiciousReport.objects.select_related(
            "case", "case__customer", "follow_up_of", "drafted_by", "reviewed_by"
        ),
        principal,
    )
    if status:
        reports = reports.filter(status=status)
    return reports.order_by("due_on", "number")


def get_suspicious_report(principal: Principal, *, report_id: int) -> SuspiciousReport:
    found = list_suspicious_reports(principal).filter(pk=report_id).first()
    if found is None:
        raise NotFound(_("Report not found."))
    return found
