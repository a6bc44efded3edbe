"""Request and response shapes of the identity API (Pydantic v2 via django-ninja).

Every string has a length bound matching its column, so over-long input is a 422 naming the field
rather than a database error; every list response is ``{items, page, page_size, total}``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import AfterValidator, AwareDatetime, Field, field_validator

from bastion.identity.choices import ApprovalStatus

_PHONE = re.compile(r"^\+?[0-9][0-9 -]{4,22}[0-9]$")


def _check_email(value: str | None) -> str | None:
    if value:
        try:
            validate_email(value)
        except DjangoValidationError as exc:
            raise ValueError(_("Enter a valid e-mail address.")) from exc
    return value


def _check_phone(value: str | None) -> str | None:
    if value and not _PHONE.match(value.strip()):
        raise ValueError(_("Enter a phone number of digits, optionally with a leading +."))
    return value


Email = Annotated[str, Field(max_length=254), AfterValidator(_check_email)]
Phone = Annotated[str, Field(max_length=30), AfterValidator(_check_phone)]


# --- shared fragments -----------------------------------------------------------------------------
class BranchRef(Schema):
    id: int
    code: str
    name: str


class UserRef(Schema):
    id: int
    username: str
    display_name: str


class ScopeOut(Schema):
    all_branches: bool
    branch_ids: list[int]


# --- me -------------------------------------------------------------------------------------------
class PrincipalOut(Schema):
    type: Literal["user", "token"]
    id: int
    name: str
    display_name: str
    roles: list[str]
    home_branch: BranchRef | None
    owner: UserRef | None = Field(None, description="For tokens: the person accountable for it.")
    expires_at: datetime | None = None


class MeOut(Schema):
    principal: PrincipalOut
    permissions: list[str]
    scope: ScopeOut


# --- organisation ---------------------------------------------------------------------------------
class RegionOut(Schema):
    id: int
    code: str
    name: str


class SiteOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    address: str


class BranchOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    city: str
    address: str
    time_zone: str
    region: RegionOut | None
    parent_id: int | None
    calendar_code: str
    is_head_office: bool
    is_active: bool


class BranchDetailOut(BranchOut):
    sites: list[SiteOut]


class BranchPage(Schema):
    items: list[BranchOut]
    page: int
    page_size: int
    total: int


class TeamOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    branch_id: int | None
    region_id: int | None
    leader: UserRef | None
    member_ids: list[int]


class TeamPage(Schema):
    items: list[TeamOut]
    page: int
    page_size: int
    total: int


# --- users ----------------------------------------------------------------------------------------
class UserOut(Schema):
    id: int
    username: str
    full_name: str
    email: str
    employee_no: str
    phone: str = Field(description="Masked unless the caller may see personal data unmasked.")
    home_branch: BranchRef | None
    institution_wide: bool
    is_active: bool
    is_locked: bool
    locked_until: datetime | None
    mfa_enrolled: bool
    roles: list[str]
    last_login: datetime | None
    date_joined: datetime


class UserPage(Schema):
    items: list[UserOut]
    page: int
    page_size: int
    total: int


class UserFilter(Schema):
    q: str | None = Field(None, max_length=100, description="Part of the user name or full name.")
    branch_id: int | None = None
    role: str | None = Field(None, max_length=40)
    is_active: bool | None = None


class UserCreateIn(Schema):
    username: str = Field(min_length=1, max_length=150, pattern=r"^[\w.@+-]+$")
    full_name: str = Field("", max_length=100)
    password: str = Field(min_length=1, max_length=128)
    email: Email = ""
    phone: Phone = ""
    employee_no: str = Field("", max_length=40)
    home_branch_id: int | None = None
    institution_wide: bool = False


class UserUpdateIn(Schema):
    """Only the fields present in the body change."""

    full_name: str | None = Field(None, max_length=100)
    email: Email | None = None
    phone: Phone | None = None
    employee_no: str | None = Field(None, max_length=40)
    home_branch_id: int | None = None
    institution_wide: bool | None = None
    is_active: bool | None = None

    @field_validator(
        "full_name", "email", "phone", "employee_no", "institution_wide", "is_active", mode="before"
    )
    @classmethod
    def _not_null(cls, value: object) -> object:
        # An explicit null is accepted only where the column allows it (home_branch_id).
        if value is None:
            raise ValueError(_("This field cannot be null."))
        return value

    def changes(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in sorted(self.model_fields_set)}


class ReasonIn(Schema):
    reason: str = Field(min_length=1, max_length=1000)


# --- roles ----------------------------------------------------------------------------------------
class PermissionOut(Schema):
    code: str
    label: str


class RoleOut(Schema):
    id: int
    code: str
    name_zh: str
    name_en: str
    description: str
    privileged: bool
    system: bool
    permissions: list[PermissionOut]


class RolePage(Schema):
    items: list[RoleOut]
    page: int
    page_size: int
    total: int


class RoleGrantIn(Schema):
    role: str = Field(min_length=1, max_length=40)
    reason: str = Field(min_length=1, max_length=1000)


# --- approvals ------------------------------------------------------------------------------------
class ApprovalOut(Schema):
    id: int
    kind: str
    kind_label: str
    summary: str
    reason: str
    payload: dict[str, object]
    status: str
    status_label: str
    branch_id: int | None
    maker: UserRef
    checker: UserRef | None
    decision_note: str
    result: dict[str, object]
    created_at: datetime
    expires_at: datetime
    decided_at: datetime | None
    can_decide: bool = Field(description="Whether the caller may approve or reject it now.")


class ApprovalPage(Schema):
    items: list[ApprovalOut]
    page: int
    page_size: int
    total: int


class ApprovalFilter(Schema):
    status: ApprovalStatus | None = None
    kind: str | None = Field(None, max_length=60)
    box: Literal["all", "mine", "to_decide"] = Field(
        "all", description="mine: requests I made; to_decide: pending requests I may decide."
    )


class DecisionIn(Schema):
    note: str = Field("", max_length=2000)


class RejectionIn(Schema):
    note: str = Field(min_length=1, max_length=2000)


# --- tokens ---------------------------------------------------------------------------------------
class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    permissions: list[str]
    branch_ids: list[int]
    all_branches: bool
    owner: UserRef
    status: Literal["active", "expired", "revoked"]
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenCreatedOut(TokenOut):
    secret: str = Field(description="Shown once; only its digest is stored.")


class TokenPage(Schema):
    items: list[TokenOut]
    page: int
    page_size: int
    total: int


class TokenIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    permissions: list[str] = Field(min_length=1, max_length=100)
    branch_ids: list[int] = Field(default_factory=list, max_length=1000)
    all_branches: bool = False
    expires_at: AwareDatetime


class TokenRevokeIn(Schema):
    reason: str = Field("", max_length=1000)
