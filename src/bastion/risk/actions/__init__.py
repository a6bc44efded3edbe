"""Every write of the risk app: one module per aggregate, re-exported here."""

from bastion.risk.actions.decisions import (
    CHUNK,
    DECISION_COLUMNS,
    PAYMENT_COLUMNS,
    SNAPSHOTS_KEPT,
    NewDecision,
    default_ruleset_text,
    do_ensure_active_ruleset,
    do_store_decisions,
    do_store_snapshot,
)
from bastion.risk.actions.rules import (
    do_activate_ruleset,
    do_approve_ruleset,
    do_create_ruleset_draft,
    do_edit_ruleset_draft,
    do_reject_ruleset,
    do_run_backtest,
    do_start_backtest,
    do_submit_ruleset,
)

__all__ = [
    "CHUNK",
    "DECISION_COLUMNS",
    "PAYMENT_COLUMNS",
    "SNAPSHOTS_KEPT",
    "NewDecision",
    "default_ruleset_text",
    "do_activate_ruleset",
    "do_approve_ruleset",
    "do_create_ruleset_draft",
    "do_edit_ruleset_draft",
    "do_ensure_active_ruleset",
    "do_reject_ruleset",
    "do_run_backtest",
    "do_start_backtest",
    "do_store_decisions",
    "do_store_snapshot",
    "do_submit_ruleset",
]
