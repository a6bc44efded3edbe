"""Permission codes of the notify app and the roles that hold them (R1.2).

Everyone has an inbox and chooses their own channels; no permission is needed for one's own
notifications. The delivery log (who was sent what, over which channel, with failures) is for
administrators, who configure the providers, and support supervisors, who rely on alerts reaching
engineers; auditors read it.
"""

from django.utils.translation import gettext_lazy as _

from bastion.identity.permissions import register_permissions

register_permissions(
    {"notify.view_deliveries": _("See the notification delivery log")},
    grants={
        "administrator": ["notify.view_deliveries"],
        "support_supervisor": ["notify.view_deliveries"],
        "auditor": ["notify.view_deliveries"],
    },
)
