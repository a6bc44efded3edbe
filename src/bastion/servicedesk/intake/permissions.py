"""Permission codes of the intake channels and the roles that hold them (R1.2).

Binding a WeChat follower to a branch decides where that person's reports go and whose name they
carry, so it is the support supervisor's act (administrators keep the system, not the desk's
reporters); reading the intake log is part of seeing orders.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from bastion.identity.permissions import register_permissions

MANAGE_INTAKE = "servicedesk.manage_intake"

register_permissions(
    {MANAGE_INTAKE: _("Manage intake channels (WeChat reporter bindings)")},
    grants={"support_supervisor": [MANAGE_INTAKE]},
)
