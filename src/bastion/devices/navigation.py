"""Console navigation sections of the devices app."""

from django.utils.translation import gettext_lazy as _

from bastion.devices import permissions as perms
from bastion.web.navigation import Section, register_section

register_section(
    Section(
        "devices",
        _("Devices"),
        "devices:device_list",
        perms.VIEW,
        60,
        frozenset(
            {
                "device_list",
                "device_detail",
                "device_replacement",
                "device_chart",
                "device_import",
                "device_procurement",
                "device_upkeep",
                "device_edit",
                "inspection_new",
                "inspection_detail",
                "session_detail",
            }
        ),
    )
)
register_section(
    Section(
        "maintenance",
        _("Maintenance plans"),
        "devices:maintenance_plans",
        perms.VIEW,
        62,
        frozenset({"maintenance_plans", "inspection_list"}),
    )
)
register_section(
    Section("alarms", _("Alarms"), "devices:device_alarms", perms.VIEW, 61, frozenset({"device_alarms"}))
)
