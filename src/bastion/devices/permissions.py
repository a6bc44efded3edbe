"""Permission codes of the devices app and the roles that hold them (R1.2).

Field support (on-site and remote engineers, their supervisor) works with devices and alarms;
branch managers and smart-counter managers see and act for their own branch (scope comes from the
branch, not from here); auditors read; administrators keep the registry. Procurement and retirement
approvals are dual control: the maker never approves (bastion.identity.approvals).
"""

from django.utils.translation import gettext_lazy as _

from bastion.identity.permissions import register_permissions

VIEW = "devices.view_devices"
MANAGE = "devices.manage_devices"
IMPORT = "devices.import_devices"
SET_STATUS = "devices.set_operational_status"
HANDLE_ALARMS = "devices.handle_alarms"
REPORT_TELEMETRY = "devices.report_telemetry"
MANAGE_WINDOWS = "devices.manage_maintenance"
LIFECYCLE = "devices.record_lifecycle"
APPROVE_PROCUREMENT = "devices.approve_procurement"
APPROVE_RETIREMENT = "devices.approve_retirement"
INSPECT = "devices.record_inspection"
REMOTE = "devices.remote_diagnose"


register_permissions(
    {
        VIEW: _("View devices, their alarms and history"),
        MANAGE: _("Edit the device registry and fault codes"),
        IMPORT: _("Import devices from a file"),
        SET_STATUS: _("Set a device in or out of service"),
        HANDLE_ALARMS: _("Acknowledge and clear device alarms"),
        REPORT_TELEMETRY: _("Submit device telemetry"),
        MANAGE_WINDOWS: _("Plan maintenance windows and maintenance plans"),
        LIFECYCLE: _("Record device lifecycle steps"),
        APPROVE_PROCUREMENT: _("Approve device procurement"),
        APPROVE_RETIREMENT: _("Approve device retirement (appraisal)"),
        INSPECT: _("Record device inspections and software updates"),
        REMOTE: _("Record remote diagnosis sessions"),
    },
    grants={
        "support_supervisor": [
            VIEW,
            MANAGE,
            IMPORT,
            SET_STATUS,
            HANDLE_ALARMS,
            MANAGE_WINDOWS,
            LIFECYCLE,
            APPROVE_PROCUREMENT,
            APPROVE_RETIREMENT,
            INSPECT,
            REMOTE,
        ],
        "onsite_engineer": [VIEW, SET_STATUS, HANDLE_ALARMS, LIFECYCLE, INSPECT],
        "remote_engineer": [VIEW, SET_STATUS, HANDLE_ALARMS, REMOTE, INSPECT],
        "smart_counter_manager": [VIEW, SET_STATUS, HANDLE_ALARMS, MANAGE_WINDOWS, INSPECT],
        "smart_counter_operator": [VIEW, SET_STATUS, INSPECT],
        "customer_service_agent": [VIEW, SET_STATUS],
        "branch_manager": [VIEW, APPROVE_PROCUREMENT, APPROVE_RETIREMENT, MANAGE_WINDOWS],
        "emergency_leader": [VIEW],
        "auditor": [VIEW],
        "administrator": [VIEW, MANAGE, IMPORT, REPORT_TELEMETRY, LIFECYCLE],
    },
)
