"""Dual-control kinds of the devices app: procurement approval and retirement appraisal (R2.2)."""

from django.utils.translation import gettext_lazy as _

from bastion.devices import permissions as perms
from bastion.devices.actions.lifecycle import apply_procurement, apply_retirement, validate_device_payload
from bastion.identity.approvals import ApprovalKind, register_kind

register_kind(
    ApprovalKind(
        kind="devices.procurement",
        label=_("Device procurement"),
        approve_permission=perms.APPROVE_PROCUREMENT,
        apply=apply_procurement,
        validate=validate_device_payload,
    )
)
register_kind(
    ApprovalKind(
        kind="devices.retirement",
        label=_("Device retirement (appraisal)"),
        approve_permission=perms.APPROVE_RETIREMENT,
        apply=apply_retirement,
        validate=validate_device_payload,
    )
)
