"""Permission codes of the servicedesk app and the roles that hold them (R1.2).

Agents log and follow orders; engineers work the orders assigned to them; support supervisors
dispatch, reassign, run the SLA policies and roster and see the dashboards; branch managers see their
branch's orders and dashboard; auditors read.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from bastion.identity.permissions import register_permissions

VIEW = "servicedesk.view_orders"
LOG = "servicedesk.log_orders"
WORK = "servicedesk.work_orders"
DISPATCH = "servicedesk.dispatch"
DASHBOARD = "servicedesk.view_dashboard"
MANAGE_SLA = "servicedesk.manage_sla"
MANAGE_ROSTER = "servicedesk.manage_roster"

_ENGINEER = [VIEW, LOG, WORK]

register_permissions(
    {
        VIEW: _("See work orders and their timelines"),
        LOG: _("Log work orders and add notes"),
        WORK: _("Work assigned orders (respond, troubleshoot, resolve)"),
        DISPATCH: _("Dispatch, reassign and escalate work orders, work any order"),
        DASHBOARD: _("See the SLA and satisfaction dashboard"),
        MANAGE_SLA: _("Manage SLA policies"),
        MANAGE_ROSTER: _("Manage engineers' skills and the duty roster"),
    },
    grants={
        "customer_service_agent": [VIEW, LOG],
        "onsite_engineer": _ENGINEER,
        "remote_engineer": _ENGINEER,
        "support_supervisor": [VIEW, LOG, WORK, DISPATCH, DASHBOARD, MANAGE_SLA, MANAGE_ROSTER],
        "smart_counter_operator": [VIEW, LOG],
        "smart_counter_manager": [VIEW, LOG, DASHBOARD],
        "branch_manager": [VIEW, LOG, DASHBOARD],
        "emergency_leader": [VIEW, DASHBOARD],
        "auditor": [VIEW, DASHBOARD],
    },
)
