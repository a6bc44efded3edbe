"""Console navigation sections of the servicedesk app."""

from django.utils.translation import gettext_lazy as _

from bastion.servicedesk.permissions import DASHBOARD, VIEW
from bastion.web.navigation import Section, register_section

register_section(
    Section(
        "servicedesk",
        _("Service desk"),
        "servicedesk:queue",
        VIEW,
        100,
        frozenset(
            {
                "queue",
                "order",
                "order_create",
                "order_note",
                "order_transition",
                "order_assign",
                "order_escalate",
                "order_postmortem",
                "order_priority",
                "order_substitute",
            }
        ),
    )
)
register_section(
    Section(
        "servicedesk_dashboard",
        _("SLA dashboard"),
        "servicedesk:dashboard",
        DASHBOARD,
        101,
        frozenset({"dashboard", "policies", "roster"}),
    )
)
