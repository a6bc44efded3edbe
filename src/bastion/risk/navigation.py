"""Console navigation sections of the risk app; each area registers its own section here."""

from django.utils.translation import gettext_lazy as _

from bastion.risk import permissions as perms
from bastion.web.navigation import Section, register_section

register_section(
    Section(
        "risk_decisions",
        _("Payment decisions"),
        "risk:decision_list",
        perms.VIEW_DECISIONS,
        70,
        frozenset({"decision_list", "decision_detail"}),
    )
)
register_section(
    Section(
        "risk_rules",
        _("Risk rules"),
        "risk:rule_list",
        perms.VIEW_RULESETS,
        71,
        frozenset({"rule_list", "rule_detail", "backtest_detail"}),
    )
)
register_section(
    Section(
        "risk_lists",
        _("Lists"),
        "risk:list_index",
        perms.VIEW_LISTS,
        72,
        frozenset({"list_index", "list_detail"}),
    )
)
register_section(
    Section(
        "risk_reviews",
        _("Review queue"),
        "risk:review_list",
        perms.VIEW_DECISIONS,
        73,
        frozenset({"review_list", "review_detail"}),
    )
)
register_section(
    Section(
        "risk_controls",
        _("Limits and authorisation"),
        "risk:control_list",
        perms.VIEW_DECISIONS,
        74,
        frozenset({"control_list"}),
    )
)
register_section(
    Section(
        "risk_indicators",
        _("Monitoring indicators"),
        "risk:indicators",
        perms.VIEW_INDICATORS,
        75,
        frozenset(
            {
                "indicators",
                "indicator_warnings",
                "indicator_thresholds",
                "indicator_threshold_create",
                "indicator_threshold_edit",
            }
        ),
    )
)
register_section(
    Section(
        "risk_channels",
        _("Channels and counterparties"),
        "risk:channel_list",
        perms.VIEW_DECISIONS,
        76,
        frozenset({"channel_list", "channel_detail", "counterparty_list"}),
    )
)
