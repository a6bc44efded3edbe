"""Permission codes of the AML app and the roles that hold them (R1.2).

AML officers do the daily work: customer due diligence, reviewing and submitting regulatory
reports, triaging alerts, investigating cases. Case decisions and suspicious transaction reports
are under dual control: one officer proposes or drafts, a second (never the first) confirms or
reviews (docs/decisions/0601-aml-cases-dual-control.md). Compliance officers and auditors read
everything in their scope; branch managers read their branch's customers. Screening hits are
decided by AML officers; fraud-model versions are trained by AML officers or risk analysts and
approved and deployed by a second one of them.
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
VIEW_SCREENING = "aml.view_screening"
MANAGE_WATCH_LISTS = "aml.manage_watch_lists"
DECIDE_HITS = "aml.decide_hits"
SCREEN_NAMES = "aml.screen_names"
VIEW_MODELS = "aml.view_models"
TRAIN_MODELS = "aml.train_models"
APPROVE_MODELS = "aml.approve_models"

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
        VIEW_SCREENING: _("View watch lists and screening hits"),
        MANAGE_WATCH_LISTS: _("Import watch lists and screen names"),
        DECIDE_HITS: _("Confirm or dismiss screening hits, with reasons"),
        SCREEN_NAMES: _("Screen names in real time (payment systems)"),
        VIEW_MODELS: _("View fraud-model versions and their evaluation"),
        TRAIN_MODELS: _("Train fraud-model versions"),
        APPROVE_MODELS: _("Approve and deploy a fraud-model version (not one's own)"),
    },
    grants={
        "aml_officer": [
            VIEW_CUSTOMERS, MANAGE_CUSTOMERS, VIEW_REPORTS, PREPARE_REPORTS, REVIEW_REPORTS, VIEW_ALERTS,
            INVESTIGATE, DECIDE_CASES, MANAGE_RATES, VIEW_SCREENING, MANAGE_WATCH_LISTS, DECIDE_HITS, VIEW_MODELS,
            TRAIN_MODELS, APPROVE_MODELS, SCREEN_NAMES,
        ],
        "administrator": [SCREEN_NAMES],
        "risk_analyst": [VIEW_MODELS, TRAIN_MODELS, APPROVE_MODELS, VIEW_SCREENING],
        "compliance_officer": [VIEW_CUSTOMERS, VIEW_REPORTS, VIEW_ALERTS, VIEW_SCREENING, VIEW_MODELS],
        "auditor": [VIEW_CUSTOMERS, VIEW_REPORTS, VIEW_ALERTS, VIEW_SCREENING, VIEW_MODELS],
        "branch_manager": [VIEW_CUSTOMERS],
    },
)  # fmt: skip
