"""Permission codes of the AML app and the roles that hold them (R1.2).

AML officers do the daily work: customer due diligence, reviewing and submitting regulatory
reports, triaging alerts, investigating cases. Case decisions and suspicious transaction reports
are under dual control: one officer proposes or drafts, a second (never the first) confirms or
reviews (docs/decisions/0601-aml-cases-dual-control.md). Compliance officers and auditors read
everything in their scope; branch managers read their branch's customers.
"""

from django.utils.translation import gettext_lazy as _

from bastion.identity.permissions import register_permissions

VIEW_CUSTOMERS = "aml.view_customers"
MANAGE_CUSTOMERS = "aml.manage_customers"
VIEW_REPORTS = "aml.view_reports"
PREPARE_REPORTS = "aml.prepare_reports"
REVIEW_REPORTS = "aml.review_reports"
VIEW_ALERTS = "aml.view_alerts"
INVESTIGATE = "aml.investigate"
DECIDE_CASES = "aml.decide_cases"
MANAGE_RATES = "aml.manage_rates"

register_permissions(
    {
        VIEW_CUSTOMERS: _("View AML customer records (identity data masked)"),
        MANAGE_CUSTOMERS: _("Create and update customer due-diligence records and risk ratings"),
        VIEW_REPORTS: _("View large-value and suspicious transaction reports"),
        PREPARE_REPORTS: _("Generate large-value reports and draft suspicious transaction reports"),
        REVIEW_REPORTS: _("Review and submit regulatory reports (not one's own drafts)"),
        VIEW_ALERTS: _("View AML alerts and cases"),
        INVESTIGATE: _("Triage alerts, open cases, add notes and evidence, propose decisions"),
        DECIDE_CASES: _("Confirm or return another officer's proposed case decision"),
        MANAGE_RATES: _("Record the reference exchange rates used for USD equivalents"),
    },
    grants={
        "aml_officer": [
            VIEW_CUSTOMERS, MANAGE_CUSTOMERS, VIEW_REPORTS, PREPARE_REPORTS, REVIEW_REPORTS, VIEW_ALERTS,
            INVESTIGATE, DECIDE_CASES, MANAGE_RATES,
        ],
        "compliance_officer": [VIEW_CUSTOMERS, VIEW_REPORTS, VIEW_ALERTS],
        "auditor": [VIEW_CUSTOMERS, VIEW_REPORTS, VIEW_ALERTS],
        "branch_manager": [VIEW_CUSTOMERS],
    },
)  # fmt: skip
