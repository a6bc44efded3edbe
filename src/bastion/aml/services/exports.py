"""Structured exports of regulatory reports: XML and CSV (format: docs/guide/en/aml.md).

The reporting centre needs the customer's identity in clear, so an export carries clear identity
data only for a principal allowed to see it, and every export is written to the audit trail as a
sensitive read listing the reports it contained.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any
from xml.etree import ElementTree as ET

from django.utils import timezone

from bastion.aml.models import Customer, LargeValueReport, SuspiciousReport
from bastion.audit.actions import record_sensitive_read
from bastion.platform.masking import MASKERS
from bastion.platform.pii import UNMASKED_PERMISSION
from bastion.risk.models import StoredPayment

LVR_NAMESPACE = "urn:bastion:aml:large-value:1"
STR_NAMESPACE = "urn:bastion:aml:suspicious:1"
TRANSACTION_FIELDS = (
    "payment_id", "occurred_at", "amount", "currency", "measured_amount", "channel", "business_type",
    "payer_account", "payee_account", "counterparty_institution", "cross_border", "city",
)  # fmt: skip
LVR_CSV_HEADER = (
    "report_number", "trade_day", "standard", "direction", "customer_no", "customer_kind", "customer_name",
    "id_type", "id_number", "total", "measure_currency", "threshold", "single", "due_on", "status",
    *TRANSACTION_FIELDS,
)  # fmt: skip


def _identity(customer: Customer | None, *, clear: bool) -> dict[str, str]:
    if customer is None:
        return {"customer_name": "", "id_type": "", "id_number": ""}
    name, number = customer.name or "", customer.id_number or ""
    if not clear:
        name, number = MASKERS["name"](name), MASKERS["id_number"](number)
    return {"customer_name": name, "id_type": customer.id_type, "id_number": number}


def _transactions(report: LargeValueReport) -> list[dict[str, str]]:
    rows = []
    for item in report.items.select_related("payment").order_by("payment__occurred_at", "payment_id"):
        payment: StoredPayment = item.payment
        rows.append({
            "payment_id": payment.payment_id, "occurred_at": payment.occurred_at.isoformat(),
            "amount": f"{payment.amount:.2f}", "currency": payment.currency,
            "measured_amount": f"{item.measured_amount:.2f}", "channel": payment.channel,
            "business_type": payment.business_type, "payer_account": payment.payer_account,
            "payee_account": payment.payee_account, "counterparty_institution": payment.counterparty_institution,
            "cross_border": "true" if payment.cross_border else "false", "city": payment.city,
        })  # fmt: skip
    return rows


def _header(report: LargeValueReport, clear: bool) -> dict[str, str]:
    return {
        "report_number": report.number, "trade_day": report.trade_day.isoformat(), "standard": report.standard,
        "direction": report.direction, "customer_no": report.customer_no, "customer_kind": report.customer_kind,
        **_identity(report.customer, clear=clear), "total": f"{report.total:.2f}",
        "measure_currency": report.measure_currency, "threshold": f"{report.threshold:.2f}",
        "single": "true" if report.single else "false", "due_on": report.due_on.isoformat(), "status": report.status,
    }  # fmt: skip


def _audit(principal: Any, what: str, numbers: Sequence[str], fmt: str) -> bool:
    clear = bool(principal.has_permission(UNMASKED_PERMISSION))
    record_sensitive_read(
        actor=principal, what=what, extra={"reports": list(numbers), "format": fmt, "clear": clear}
    )
    return clear


def large_value_csv(reports: Iterable[LargeValueReport], *, principal: Any) -> str:
    """One row per transaction of each report, the report's fields repeated (UTF-8, with header)."""
    reports = list(reports)
    clear = _audit(principal, "aml.large_value_export", [r.number for r in reports], "csv")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=LVR_CSV_HEADER, lineterminator="\n")
    writer.writeheader()
    for report in reports:
        head = _header(report, clear)
        for row in _transactions(report):
            writer.writerow({**head, **row})
    return out.getvalue()


def large_value_xml(reports: Iterable[LargeValueReport], *, principal: Any) -> bytes:
    """``<LargeValueReports>`` with one ``<Report>`` per report and its ``<Transaction>`` elements."""
    reports = list(reports)
    clear = _audit(principal, "aml.large_value_export", [r.number for r in reports], "xml")
    root = ET.Element("LargeValueReports", {"xmlns": LVR_NAMESPACE, "generated": timezone.now().isoformat(),
                                            "count": str(len(reports))})  # fmt: skip
    for report in reports:
        head = _header(report, clear)
        element = ET.SubElement(
            root, "Report", {"number": head.pop("report_number"), "status": head.pop("status")}
        )
        for name, value in head.items():
            ET.SubElement(element, _camel(name)).text = value
        transactions = ET.SubElement(element, "Transactions")
        for row in _transactions(report):
            ET.SubElement(transactions, "Transaction", {_camel(k, upper=False): v for k, v in row.items()})
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _camel(name: str, *, upper: bool = True) -> str:
    parts = name.split("_")
    text = "".join(p.capitalize() for p in parts)
    return text if upper else text[:1].lower() + text[1:]


STR_CSV_HEADER = (
    "report_number", "case_number", "follow_up_of", "confirmed_on", "due_on", "status", "customer_no",
    "customer_name", "id_type", "id_number", "typologies", "total", "summary", "measures", "payment_ids",
)  # fmt: skip


def _str_row(report: SuspiciousReport, clear: bool) -> dict[str, str]:
    case = report.case
    return {
        "report_number": report.number, "case_number": case.number,
        "follow_up_of": report.follow_up_of.number if report.follow_up_of else "",
        "confirmed_on": report.confirmed_on.isoformat(), "due_on": report.due_on.isoformat(),
        "status": report.status, "customer_no": case.customer_no, **_identity(case.customer, clear=clear),
        "typologies": ";".join(report.typologies), "total": f"{report.total:.2f}", "summary": report.summary,
        "measures": report.measures, "payment_ids": ";".join(report.payment_ids),
    }  # fmt: skip


def suspicious_csv(reports: Iterable[SuspiciousReport], *, principal: Any) -> str:
    reports = list(reports)
    clear = _audit(principal, "aml.suspicious_export", [r.number for r in reports], "csv")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=STR_CSV_HEADER, lineterminator="\n")
    writer.writeheader()
    for report in reports:
        writer.writerow(_str_row(report, clear))
    return out.getvalue()


def suspicious_xml(reports: Iterable[SuspiciousReport], *, principal: Any) -> bytes:
    reports = list(reports)
    clear = _audit(principal, "aml.suspicious_export", [r.number for r in reports], "xml")
    root = ET.Element("SuspiciousReports", {"xmlns": STR_NAMESPACE, "generated": timezone.now().isoformat(),
                                            "count": str(len(reports))})  # fmt: skip
    for report in reports:
        row = _str_row(report, clear)
        element = ET.SubElement(
            root, "Report", {"number": row.pop("report_number"), "status": row.pop("status")}
        )
        payment_ids = row.pop("payment_ids")
        for name, value in row.items():
            ET.SubElement(element, _camel(name)).text = value
        payments = ET.SubElement(element, "Transactions")
        for payment_id in filter(None, payment_ids.split(";")):
            ET.SubElement(payments, "Transaction", {"paymentId": payment_id})
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
