"""Models of the service desk: work orders and their timeline, SLA policies, dispatch, feedback."""

from bastion.servicedesk.models.dispatch import Assignment, EngineerProfile, RosterShift
from bastion.servicedesk.models.feedback import Feedback
from bastion.servicedesk.models.sla import SlaAlert, SlaPolicy
from bastion.servicedesk.models.workorders import TimelineEntry, WorkOrder, WorkOrderTerm

__all__ = [
    "Assignment",
    "EngineerProfile",
    "Feedback",
    "RosterShift",
    "SlaAlert",
    "SlaPolicy",
    "TimelineEntry",
    "WorkOrder",
    "WorkOrderTerm",
]
