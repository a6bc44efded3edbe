"""Identity models, split by aggregate."""

from bastion.identity.models.approvals import ApprovalRequest
from bastion.identity.models.org import Branch, Institution, Region, Site, Team
from bastion.identity.models.tokens import ApiToken
from bastion.identity.models.users import RecoveryCode, Role, User, UserRole, is_same_person

__all__ = [
    "ApiToken",
    "ApprovalRequest",
    "Branch",
    "Institution",
    "RecoveryCode",
    "Region",
    "Role",
    "Site",
    "Team",
    "User",
    "UserRole",
    "is_same_person",
]
