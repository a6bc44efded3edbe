"""Permission codes of the risk app and the roles that hold them (R1.2).

Payment systems submit payments with an API token carrying ``risk.submit_payment``; a token never
exceeds its owner, so the owner is an administrator (who runs machine integrations, as for device
telemetry). Risk analysts, AML and compliance officers and auditors read decisions within their
branch scope; branch managers read their own branch's.

Rule sets are under dual control (R4.3): a risk analyst writes, submits and backtests a draft; a
second risk analyst (never one of its makers) approves or rejects it and activates it. There is no
separate risk-manager role in R1.2, so the second analyst is the checker (docs/decisions/0506).

Monitoring indicators (002 5.1-5.3) are read by everyone who reads decisions, in their branch scope;
risk analysts manage the thresholds; the people who answer warnings (risk analysts, branch
managers) acknowledge them (docs/decisions/0519).
"""

from django.utils.translation import gettext_lazy as _

from bastion.identity.permissions import register_permissions

SUBMIT_PAYMENT = "risk.submit_payment"
VIEW_DECISIONS = "risk.view_decisions"
VIEW_RULESETS = "risk.view_rulesets"
EDIT_RULESETS = "risk.edit_rulesets"
APPROVE_RULESETS = "risk.approve_rulesets"
VIEW_INDICATORS = "risk.view_indicators"
MANAGE_THRESHOLDS = "risk.manage_indicator_thresholds"
ACKNOWLEDGE_WARNINGS = "risk.acknowledge_indicator_warnings"

register_permissions(
    {
        SUBMIT_PAYMENT: _("Submit payments for a risk decision"),
        VIEW_DECISIONS: _("View payments and their risk decisions"),
        VIEW_RULESETS: _("View risk rule-set versions"),
        EDIT_RULESETS: _("Write, submit and backtest risk rule-set drafts"),
        APPROVE_RULESETS: _("Approve, reject and activate risk rule-set versions (not one's own)"),
        VIEW_INDICATORS: _("View payment monitoring indicators and their warnings"),
        MANAGE_THRESHOLDS: _("Create and change indicator thresholds"),
        ACKNOWLEDGE_WARNINGS: _("Acknowledge indicator warnings"),
    },
    grants={
        "administrator": [SUBMIT_PAYMENT, VIEW_RULESETS],
        "risk_analyst": [
            VIEW_DECISIONS,
            VIEW_RULESETS,
            EDIT_RULESETS,
            APPROVE_RULESETS,
            VIEW_INDICATORS,
            MANAGE_THRESHOLDS,
            ACKNOWLEDGE_WARNINGS,
        ],
        "aml_officer": [VIEW_DECISIONS, VIEW_RULESETS, VIEW_INDICATORS],
        "compliance_officer": [VIEW_DECISIONS, VIEW_RULESETS, VIEW_INDICATORS],
        "auditor": [VIEW_DECISIONS, VIEW_RULESETS, VIEW_INDICATORS],
        "branch_manager": [VIEW_DECISIONS, VIEW_INDICATORS, ACKNOWLEDGE_WARNINGS],
    },
)
