"""Permission codes of the risk app and the roles that hold them (R1.2).

Payment systems submit payments with an API token carrying ``risk.submit_payment``; a token never
exceeds its owner, so the owner is an administrator (who runs machine integrations, as for device
telemetry). Risk analysts, AML and compliance officers and auditors read decisions within their
branch scope; branch managers read their own branch's.

Rule sets are under dual control (R4.3): a risk analyst writes, submits and backtests a draft; a
second risk analyst (never one of its makers) approves or rejects it and activates it. There is no
separate risk-manager role in R1.2, so the second analyst is the checker (docs/decisions/0506).

Block, allow and watch lists are shared across departments (R5.5): risk analysts and AML officers
both maintain them; compliance officers and auditors read them.

Held and review decisions are reviewed by risk analysts and AML officers, two different people per
payment. Large smart-counter payments are authorised by a branch manager or a risk analyst, never
the operator who submitted them. Risk analysts set the limits and authorisation thresholds.

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
VIEW_LISTS = "risk.view_lists"
EDIT_LISTS = "risk.edit_lists"
MANAGE_CONTROLS = "risk.manage_controls"
REVIEW_PAYMENTS = "risk.review_payments"
AUTHORISE_PAYMENTS = "risk.authorise_payments"
MANAGE_RATINGS = "risk.manage_ratings"
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
        VIEW_LISTS: _("View block, allow and watch lists"),
        EDIT_LISTS: _("Create lists and add or remove their entries"),
        MANAGE_CONTROLS: _("Set payment limits and business-authorisation thresholds"),
        REVIEW_PAYMENTS: _("Review held payments: propose, or confirm another reviewer's proposal"),
        AUTHORISE_PAYMENTS: _("Authorise large payments submitted by another member of staff"),
        MANAGE_RATINGS: _("Assess payment channels and rate counterparties"),
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
            VIEW_LISTS,
            EDIT_LISTS,
            MANAGE_CONTROLS,
            REVIEW_PAYMENTS,
            AUTHORISE_PAYMENTS,
            MANAGE_RATINGS,
            VIEW_INDICATORS,
            MANAGE_THRESHOLDS,
            ACKNOWLEDGE_WARNINGS,
        ],
        "aml_officer": [
            VIEW_DECISIONS,
            VIEW_RULESETS,
            VIEW_LISTS,
            EDIT_LISTS,
            REVIEW_PAYMENTS,
            VIEW_INDICATORS,
        ],
        "compliance_officer": [VIEW_DECISIONS, VIEW_RULESETS, VIEW_LISTS, VIEW_INDICATORS],
        "auditor": [VIEW_DECISIONS, VIEW_RULESETS, VIEW_LISTS, VIEW_INDICATORS],
        "branch_manager": [VIEW_DECISIONS, AUTHORISE_PAYMENTS, VIEW_INDICATORS, ACKNOWLEDGE_WARNINGS],
    },
)
