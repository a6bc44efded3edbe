"""Console navigation of the intake channels."""

from django.utils.translation import gettext_lazy as _

from bastion.servicedesk.permissions import VIEW
from bastion.web.navigation import Section, register_section

register_section(
    Section(
        "servicedesk_intake", _("Intake channels"), "servicedesk:intake", VIEW, 102, frozenset({"intake"})
    )
)
