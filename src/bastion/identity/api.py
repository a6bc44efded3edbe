"""Identity endpoints: who am I, branches and teams, users, roles, approvals and API tokens.

Each handler parses, checks the permission, calls one service or action and renders. Rows come
through :mod:`bastion.platform.scoping`, so a row outside the caller's branches answers 404.
Decisions that bind a named person (maker-checker, MFA resets, token issue and revocation) refuse
machine tokens: see docs/decisions/0031-api-person-only-actions.md.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from bastion.identity import actions, services
from bastion.identity.approvals import approval_kind
from bastion.identity.models import ApiToken, ApprovalRequest, Branch, Team, User
from bastion.identity.permissions import PERMISSIONS
from bastion.identity.schemas import (
    ApprovalFilter,
    ApprovalOut,
    ApprovalPage,
    BranchDetailOut,
    BranchPage,
    DecisionIn,
    MeOut,
    ReasonIn,
    RejectionIn,
    RoleGrantIn,
    RolePage,
    TeamPage,
    TokenCreatedOut,
    TokenIn,
    TokenOut,
    TokenPage,
    TokenRevokeIn,
    UserCreateIn,
    UserFilter,
    UserOut,
    UserPage,
    UserUpdateIn,
)
from bastion.platform.api_helpers import (
    ERRORS,
    PageQuery,
    enforce_rate,
    page_of,
    principal_of,
    require_permission,
)
from bastion.platform.errors import FieldError, NotFound, PermissionDenied
from bastion.platform.pii import present_pii
from bastion.platform.scoping import get_scoped_object, scoped

router = Router(tags=["identity"])


# --- rendering ------------------------------------------------------------------------------------
def _user_ref(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "username": user.username, "display_name": user.display_name}


def _branch_ref(branch: Branch | None) -> dict[str, Any] | None:
    return None if branch is None else {"id": branch.pk, "code": branch.code, "name": branch.name}


def _phone_for(viewer: Any, user: User) -> str:
    # Masked for most; a clear read by those allowed is written to the audit trail (R1.5, R1.6).
    return present_pii(value=user.phone, kind="phone", principal=viewer, obj=user, field="phone")


def _render_user(user: User, viewer: Any) -> dict[str, Any]:
    return {
        "id": user.pk,
        "username": user.username,
        "full_name": user.full_name,
        "email": user.email,
        "employee_no": user.employee_no,
        "phone": _phone_for(viewer, user),
        "home_branch": _branch_ref(user.home_branch),
        "institution_wide": user.institution_wide,
        "is_active": user.is_active,
        "is_locked": user.is_locked(),
        "locked_until": user.locked_until,
        "mfa_enrolled": user.mfa_enrolled,
        "roles": sorted(grant.role.code for grant in user.user_roles.all()),
        "last_login": user.last_login,
        "date_joined": user.date_joined,
    }


def _render_branch(branch: Branch) -> dict[str, Any]:
    region = branch.region
    return {
        "id": branch.pk,
        "code": branch.code,
        "name": branch.name,
        "name_en": branch.name_en,
        "city": branch.city,
        "address": branch.address,
        "time_zone": branch.time_zone,
        "region": None if region is None else {"id": region.pk, "code": region.code, "name": region.name},
        "parent_id": branch.parent_id,
        "calendar_code": branch.calendar.code,
        "is_head_office": branch.is_head_office,
        "is_active": branch.is_active,
    }


def _render_team(team: Team) -> dict[str, Any]:
    return {
        "id": team.pk,
        "code": team.code,
        "name": team.name,
        "kind": team.kind,
        "branch_id": team.branch_id,
        "region_id": team.region_id,
        "leader": _user_ref(team.leader),
        "member_ids": sorted(member.pk for member in team.members.all()),
    }


def _can_decide(request: ApprovalRequest, principal: Any) -> bool:
    return (
        isinstance(principal, User)
        and request.is_open
        and request.maker_id != principal.pk
        and principal.has_permission(approval_kind(request.kind).approve_permission)
    )


def _render_approval(request: ApprovalRequest, principal: Any) -> dict[str, Any]:
    try:
        kind_label = services.describe_kind(request.kind)
    except LookupError:
        kind_label = request.kind
    return {
        "id": request.pk,
        "kind": request.kind,
        "kind_label": kind_label,
        "summary": request.summary,
        "reason": request.reason,
        "payload": request.payload,
        "status": request.status,
        "status_label": str(request.get_status_display()),
        "branch_id": request.branch_id,
        "maker": _user_ref(request.maker),
        "checker": _user_ref(request.checker),
        "decision_note": request.decision_note,
        "result": request.result or {},
        "created_at": request.created_at,
        "expires_at": request.expires_at,
        "decided_at": request.decided_at,
        "can_decide": _can_decide(request, principal),
    }


def _token_status(token: ApiToken) -> str:
    if token.revoked_at is not None:
        return "revoked"
    return "expired" if token.expires_at <= timezone.now() else "active"


def _render_token(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.pk,
        "name": token.name,
        "prefix": token.prefix,
        "permissions": list(token.permissions),
        "branch_ids": sorted(branch.pk for branch in token.branches.all()),
        "all_branches": token.all_branches,
        "owner": _user_ref(token.owner),
        "status": _token_status(token),
        "created_at": token.created_at,
        "expires_at": token.expires_at,
        "revoked_at": token.revoked_at,
        "last_used_at": token.last_used_at,
    }


def _require_person(principal: Any) -> User:
    """Dual control and credential changes need a named, MFA-verified person, never a machine token."""
    if not isinstance(principal, User):
        raise PermissionDenied(
            _("This action must be taken by a person signed in to the console, not by an API token."),
            code="person_required",
        )
    return principal


# --- me -------------------------------------------------------------------------------------------
@router.get("/me", response={200: MeOut, **ERRORS}, summary="The caller, its permissions and scope")
def me(request: HttpRequest) -> dict[str, Any]:
    principal = principal_of(request)
    scope = principal.branch_scope()
    if isinstance(principal, ApiToken):
        owner = principal.owner
        described = {
            "type": "token",
            "id": principal.pk,
            "name": principal.name,
            "display_name": principal.display_name,
            "roles": [],
            "home_branch": None,
            "owner": _user_ref(owner),
            "expires_at": principal.expires_at,
        }
        permissions = sorted(code for code in principal.permissions if principal.has_permission(code))
    else:
        described = {
            "type": "user",
            "id": principal.pk,
            "name": principal.username,
            "display_name": principal.display_name,
            "roles": sorted(principal.role_codes()),
            "home_branch": _branch_ref(principal.home_branch),
            "owner": None,
            "expires_at": None,
        }
        permissions = sorted(principal.permission_codes())
    return {
        "principal": described,
        "permissions": permissions,
        "scope": {"all_branches": scope.all_branches, "branch_ids": sorted(scope.branch_ids)},
    }


# --- organisation ---------------------------------------------------------------------------------
@router.get("/branches", response={200: BranchPage, **ERRORS}, summary="Branches in the caller's scope")
def list_branches(request: HttpRequest, paging: Query[PageQuery]) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, "identity.view_organisation")
    return page_of(services.list_branches(principal), paging, _render_branch)


@router.get(
    "/branches/{branch_id}", response={200: BranchDetailOut, **ERRORS}, summary="One branch with its sites"
)
def get_branch(request: HttpRequest, branch_id: int) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, "identity.view_organisation")
    branch = get_scoped_object(services.list_branches(principal), principal, pk=branch_id)
    sites = [
        {"id": s.pk, "code": s.code, "name": s.name, "kind": s.kind, "address": s.address}
        for s in branch.sites.order_by("code")
    ]
    return _render_branch(branch) | {"sites": sites}


@router.get("/teams", response={200: TeamPage, **ERRORS}, summary="Teams in the caller's scope")
def list_teams(request: HttpRequest, paging: Query[PageQuery]) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, "identity.view_organisation")
    teams = scoped(Team.objects.select_related("leader").prefetch_related("members"), principal)
    return page_of(teams, paging, _render_team)


# --- users ----------------------------------------------------------------------------------------
def _scoped_user(principal: Any, user_id: int) -> User:
    return get_scoped_object(services.list_users(principal), principal, pk=user_id)


@router.get("/users", response={200: UserPage, **ERRORS}, summary="Users in the caller's scope")
def list_users(request: HttpRequest, paging: Query[PageQuery], filters: Query[UserFilter]) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, "identity.view_users")
    users = services.list_users(principal)
    if filters.q:
        users = users.filter(Q(username__icontains=filters.q) | Q(full_name__icontains=filters.q))
    if filters.branch_id is not None:
        users = users.filter(home_branch_id=filters.branch_id)
    if filters.role:
        users = users.filter(user_roles__role__code=filters.role).distinct()
    if filters.is_active is not None:
        users = users.filter(is_active=filters.is_active)
    return page_of(users, paging, lambda user: _render_user(user, principal))


@router.post("/users", response={201: UserOut, **ERRORS}, summary="Create a user (no roles)")
def create_user(request: HttpRequest, payload: UserCreateIn) -> Status[dict[str, Any]]:
    principal = principal_of(request)
    require_permission(principal, "identity.manage_users")
    user = actions.do_create_user(**payload.dict(), actor=principal)
    return Status(201, _render_user(_scoped_user(principal, user.pk), principal))


@router.get("/users/{user_id}", response={200: UserOut, **ERRORS}, summary="One user")
def get_user(request: HttpRequest, user_id: int) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, "identity.view_users")
    return _render_user(_scoped_user(principal, user_id), principal)


@router.patch("/users/{user_id}", response={200: UserOut, **ERRORS}, summary="Change a user's profile")
def update_user(request: HttpRequest, user_id: int, payload: UserUpdateIn) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, "identity.manage_users")
    changes = payload.changes()
    if not changes:
        raise FieldError("body", _("Send at least one field to change."))
    actions.do_update_user(user_id=user_id, changes=changes, actor=principal)
    return _render_user(_scoped_user(principal, user_id), principal)


@router.post("/users/{user_id}/unlock", response={200: UserOut, **ERRORS}, summary="Lift a lockout")
def unlock_user(request: HttpRequest, user_id: int) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, "identity.manage_users")
    actions.do_unlock_user(user_id=user_id, actor=principal)
    return _render_user(_scoped_user(principal, user_id), principal)


@router.post("/users/{user_id}/mfa-reset", response={200: UserOut, **ERRORS}, summary="Clear a user's MFA")
def reset_mfa(request: HttpRequest, user_id: int, payload: ReasonIn) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, "identity.manage_users")
    person = _require_person(principal)
    actions.do_reset_mfa(user_id=user_id, reason=payload.reason, actor=person)
    return _render_user(_scoped_user(principal, user_id), principal)


# --- roles ----------------------------------------------------------------------------------------
@router.get("/roles", response={200: RolePage, **ERRORS}, summary="Roles with their permissions")
def list_roles(request: HttpRequest, paging: Query[PageQuery]) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, "identity.view_users")

    def render(role: Any) -> dict[str, Any]:
        perms = [{"code": c, "label": str(PERMISSIONS.get(c, c))} for c in sorted(role.permissions)]
        return {
            "id": role.pk,
            "code": role.code,
            "name_zh": role.name_zh,
            "name_en": role.name_en,
            "description": role.description,
            "privileged": role.privileged,
            "system": role.system,
            "permissions": perms,
        }

    return page_of(services.list_roles(), paging, render)


@router.post(
    "/users/{user_id}/role-grants",
    response={202: ApprovalOut, **ERRORS},
    summary="Request a role grant (dual control: applied when a second person approves)",
)
def request_role_grant(request: HttpRequest, user_id: int, payload: RoleGrantIn) -> Status[dict[str, Any]]:
    principal = principal_of(request)
    require_permission(principal, "identity.request_role_grant")
    person = _require_person(principal)
    submitted = actions.do_request_role_grant(
        user_id=user_id, role_code=payload.role, reason=payload.reason, actor=person
    )
    return Status(202, _render_approval(submitted, person))


@router.delete(
    "/users/{user_id}/roles/{role_code}",
    response={204: None, **ERRORS},
    summary="Revoke a role at once (reducing access needs no second person)",
)
def revoke_role(request: HttpRequest, user_id: int, role_code: str, reason: str) -> Status[None]:
    principal = principal_of(request)
    require_permission(principal, "identity.manage_users")
    if len(reason) > 1000:
        raise FieldError("reason", _("Keep the reason under 1000 characters."))
    actions.do_revoke_role(user_id=user_id, role_code=role_code, reason=reason, actor=principal)
    return Status(204, None)


# --- approvals ------------------------------------------------------------------------------------
def _visible_approval(principal: Any, request_id: int) -> ApprovalRequest:
    found = services.list_approvals(principal).filter(pk=request_id).first()
    if found is None:
        raise NotFound(_("Approval request not found."))
    return found


@router.get("/approvals", response={200: ApprovalPage, **ERRORS}, summary="Requests I made or may decide")
def list_approvals(
    request: HttpRequest, paging: Query[PageQuery], filters: Query[ApprovalFilter]
) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, "approvals.view")
    person = principal if isinstance(principal, User) else None
    if filters.box == "to_decide":
        requests = services.inbox_for(person) if person else ApprovalRequest.objects.none()
    elif filters.box == "mine":
        requests = (
            services.list_approvals(principal).filter(maker=person)
            if person
            else ApprovalRequest.objects.none()
        )
    else:
        requests = services.list_approvals(principal)
    if filters.status:
        requests = requests.filter(status=filters.status)
    if filters.kind:
        requests = requests.filter(kind=filters.kind)
    requests = requests.select_related("maker", "checker").order_by("-created_at", "-pk")
    return page_of(requests, paging, lambda item: _render_approval(item, principal))


@router.get("/approvals/{request_id}", response={200: ApprovalOut, **ERRORS}, summary="One request")
def get_approval(request: HttpRequest, request_id: int) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, "approvals.view")
    return _render_approval(_visible_approval(principal, request_id), principal)


@router.post(
    "/approvals/{request_id}/approve", response={200: ApprovalOut, **ERRORS}, summary="Approve as checker"
)
def approve(request: HttpRequest, request_id: int, payload: DecisionIn) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, "approvals.view")
    person = _require_person(principal)
    _visible_approval(principal, request_id)
    decided = actions.do_approve_request(request_id=request_id, note=payload.note, actor=person)
    return _render_approval(decided, person)


@router.post(
    "/approvals/{request_id}/reject", response={200: ApprovalOut, **ERRORS}, summary="Reject as checker"
)
def reject(request: HttpRequest, request_id: int, payload: RejectionIn) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, "approvals.view")
    person = _require_person(principal)
    _visible_approval(principal, request_id)
    decided = actions.do_reject_request(request_id=request_id, note=payload.note, actor=person)
    return _render_approval(decided, person)


@router.post(
    "/approvals/{request_id}/cancel", response={200: ApprovalOut, **ERRORS}, summary="Withdraw my request"
)
def cancel(request: HttpRequest, request_id: int) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, "approvals.view")
    person = _require_person(principal)
    _visible_approval(principal, request_id)
    cancelled = actions.do_cancel_request(request_id=request_id, actor=person)
    return _render_approval(cancelled, person)


# --- API tokens -----------------------------------------------------------------------------------
def _tokens_in_scope(principal: Any) -> Any:
    return scoped(ApiToken.objects.select_related("owner").prefetch_related("branches"), principal)


@router.get("/tokens", response={200: TokenPage, **ERRORS}, summary="API tokens in the caller's scope")
def list_tokens(request: HttpRequest, paging: Query[PageQuery]) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, "identity.manage_tokens")
    return page_of(_tokens_in_scope(principal).order_by("-created_at", "-pk"), paging, _render_token)


@router.post(
    "/tokens", response={201: TokenCreatedOut, **ERRORS}, summary="Issue a token; the secret is shown once"
)
def issue_token(request: HttpRequest, payload: TokenIn) -> Status[dict[str, Any]]:
    principal = principal_of(request)
    require_permission(principal, "identity.manage_tokens")
    person = _require_person(principal)
    enforce_rate(request, group="api.tokens", setting="BASTION_RATE_LIMIT_TOKEN")
    token, secret = actions.do_issue_token(
        name=payload.name,
        permissions=payload.permissions,
        branch_ids=payload.branch_ids,
        all_branches=payload.all_branches,
        expires_at=payload.expires_at,
        actor=person,
    )
    return Status(201, _render_token(token) | {"secret": secret})


@router.post(
    "/tokens/{token_id}/revoke", response={200: TokenOut, **ERRORS}, summary="Revoke a token at once"
)
def revoke_token(request: HttpRequest, token_id: int, payload: TokenRevokeIn) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, "identity.manage_tokens")
    person = _require_person(principal)
    enforce_rate(request, group="api.tokens", setting="BASTION_RATE_LIMIT_TOKEN")
    token = actions.do_revoke_token(token_id=token_id, reason=payload.reason, actor=person)
    return _render_token(token)
