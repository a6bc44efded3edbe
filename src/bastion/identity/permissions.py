"""The permission registry and the roles of R1.2 as permission sets.

Each app registers its permission codes and which system roles get them; roles in the database are
brought in step after every migration (:func:`bastion.identity.signals.sync_system_roles`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class RoleDefinition:
    code: str
    name_zh: str
    name_en: str
    privileged: bool
    permissions: set[str] = field(default_factory=set)


PERMISSIONS: dict[str, Promise] = {}

ROLES: dict[str, RoleDefinition] = {
    r.code: r
    for r in [
        RoleDefinition("support_supervisor", "运维主管", "Support supervisor", True),
        RoleDefinition("onsite_engineer", "现场工程师", "On-site engineer", False),
        RoleDefinition("remote_engineer", "远程工程师", "Remote engineer", False),
        RoleDefinition("smart_counter_operator", "智能柜台操作员", "Smart-counter operator", False),
        RoleDefinition("smart_counter_manager", "智能柜台主管", "Smart-counter manager", True),
        RoleDefinition("risk_analyst", "风险分析师", "Risk analyst", True),
        RoleDefinition("aml_officer", "反洗钱专员", "AML officer", True),
        RoleDefinition("compliance_officer", "合规专员", "Compliance officer", True),
        RoleDefinition("customer_service_agent", "客服专员", "Customer-service agent", False),
        RoleDefinition("emergency_leader", "应急领导小组组长", "Emergency leader", True),
        RoleDefinition("branch_manager", "网点负责人", "Branch manager", True),
        RoleDefinition("auditor", "审计员（只读）", "Auditor (read-only)", True),
        RoleDefinition("administrator", "系统管理员", "Administrator", True),
    ]
}


def register_permissions(perms: dict[str, Promise], *, grants: dict[str, list[str]]) -> None:
    """Declare permission codes and the system roles that hold them."""
    for code, label in perms.items():
        PERMISSIONS[code] = label
    for role_code, codes in grants.items():
        unknown = set(codes) - set(PERMISSIONS)
        if unknown:
            raise ValueError(f"role {role_code} granted unknown permissions {sorted(unknown)}")
        ROLES[role_code].permissions.update(codes)


EVERYONE = list(ROLES)

register_permissions(
    {
        "identity.view_organisation": _("View branches, sites and teams"),
        "identity.manage_organisation": _("Manage branches, sites, teams and calendars"),
        "identity.view_users": _("View users and their roles"),
        "identity.manage_users": _("Create, lock and unlock users"),
        "identity.request_role_grant": _("Request a role grant"),
        "identity.approve_role_grant": _("Approve role grants"),
        "identity.manage_tokens": _("Issue and revoke API tokens"),
        "identity.view_pii_unmasked": _("See unmasked personal data"),
        "approvals.view": _("See the approvals inbox"),
        "audit.view_trail": _("Read the audit trail"),
        "audit.export_trail": _("Export the audit trail"),
    },
    grants={
        "administrator": [
            "identity.view_organisation",
            "identity.manage_organisation",
            "identity.view_users",
            "identity.manage_users",
            "identity.request_role_grant",
            "identity.approve_role_grant",
            "identity.manage_tokens",
        ],
        "branch_manager": ["identity.view_users", "identity.request_role_grant"],
        "support_supervisor": ["identity.view_users", "identity.request_role_grant"],
        "compliance_officer": [
            "identity.view_users",
            "identity.approve_role_grant",
            "identity.view_pii_unmasked",
            "audit.view_trail",
        ],
        "aml_officer": ["identity.view_pii_unmasked"],
        "auditor": ["identity.view_users", "audit.view_trail", "audit.export_trail"],
    },
)
# A separate call: as one more key in the dict above, a role's own entry would replace this grant.
register_permissions({}, grants={role: ["identity.view_organisation", "approvals.view"] for role in EVERYONE})
