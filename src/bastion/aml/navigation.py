"""Console navigation sections of the AML app, after the risk app's (70-79)."""

from django.utils.translation import gettext_lazy as _

from bastion.aml import permissions as perms
from bastion.web.navigation import Section, register_section

register_section(
    Section(
        "aml_queue",
        _("AML alerts and cases"),
        "aml:alert_queue",
        perms.VIEW_ALERTS,
        80,
        frozenset({"alert_queue", "alert_detail", "case_list", "case_detail"}),
    )
)
register_section(
    Section(
        "aml_customers",
        _("AML customers"),
        "aml:customer_list",
        perms.VIEW_CUSTOMERS,
        81,
        frozenset({"customer_list", "customer_create", "customer_detail"}),
    )
)
register_section(
    Section(
        "aml_large_value",
        _("Large-value reports"),
        "aml:lvr_list",
        perms.VIEW_REPORTS,
        82,
        frozenset({"lvr_list", "lvr_detail"}),
    )
)
register_section(
    Section(
        "aml_suspicious",
        _("Suspicious transaction reports"),
        "aml:str_list",
        perms.VIEW_REPORTS,
        83,
        frozenset({"str_list", "str_detail"}),
    )
)
register_section(
    Section(
        "aml_screening",
        _("Watch-list screening"),
        "aml:screening_hits",
        perms.VIEW_SCREENING,
        84,
        frozenset({"screening_hits", "screening_hit", "watch_lists", "watch_list"}),
    )
)
register_section(
    Section(
        "aml_models",
        _("Fraud models"),
        "aml:model_list",
        perms.VIEW_MODELS,
        85,
        frozenset({"model_list", "model_detail"}),
    )
)
register_section(
    Section(
        "aml_typologies",
        _("Typology parameters"),
        "aml:typologies",
        perms.VIEW_ALERTS,
        86,
        frozenset({"typologies", "typologies_backtest"}),
    )
)
