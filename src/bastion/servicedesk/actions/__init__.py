"""Every write of the service desk: ``do_<verb>_<noun>(..., *, actor)``, atomic and audited."""

from bastion.servicedesk.actions.counters import do_record_substitute
from bastion.servicedesk.actions.dispatch import (
    do_add_roster_shift,
    do_assign_work_order,
    do_dispatch_work_order,
    do_escalate_work_order,
    do_remove_roster_shift,
    do_save_engineer_profile,
)
from bastion.servicedesk.actions.feedback import do_record_feedback, do_submit_feedback, feedback_token
from bastion.servicedesk.actions.orders import (
    do_add_work_order_note,
    do_change_priority,
    do_open_work_order,
    do_record_postmortem,
    do_transition_work_order,
)
from bastion.servicedesk.actions.sla import do_fire_sla_stage, do_save_sla_policy

__all__ = [
    "do_add_roster_shift",
    "do_add_work_order_note",
    "do_assign_work_order",
    "do_change_priority",
    "do_dispatch_work_order",
    "do_escalate_work_order",
    "do_fire_sla_stage",
    "do_open_work_order",
    "do_record_feedback",
    "do_record_postmortem",
    "do_record_substitute",
    "do_remove_roster_shift",
    "do_save_engineer_profile",
    "do_save_sla_policy",
    "do_submit_feedback",
    "do_transition_work_order",
    "feedback_token",
]
