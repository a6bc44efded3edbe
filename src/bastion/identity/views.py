"""Console pages of the identity app: users and roles, API tokens, and the user's own account."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from bastion.identity import actions, services
from bastion.identity.actions.mfa import provisioning_uri
from bastion.identity.choices import ApprovalStatus
from bastion.identity.forms import (
    PasswordChangeForm,
    ReasonForm,
    RoleGrantForm,
    RoleRevokeForm,
    TokenIssueForm,
    UserCreateForm,
    UserEditForm,
    UserFilterForm,
)
from bastion.identity.middleware import SESSION_MFA
from bastion.identity.models import ApiToken, Role, User, UserRole
from bastion.identity.permissions import PERMISSIONS
from bastion.platform.errors import Conflict, DomainError
from bastion.platform.pii import present_pii
from bastion.platform.scoping import get_scoped_object, scoped
from bastion.web.forms import TotpCodeForm
from bastion.web.http import apply_domain_error, console_view, page_of, render_results
from bastion.web.qr import grouped_secret, qr_svg

ACCOUNT_ENROL_ISSUED = "account_enrol_issued"


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _crumbs_users(*extra: tuple[str, str]) -> list[tuple[str, str]]:
    return [(_("Users"), reverse("web:users")), *extra]


# --- users ----------------------------------------------------------------------------------------
def _filtered_users(form: UserFilterForm, queryset: QuerySet[User]) -> QuerySet[User]:
    if not form.is_valid():
        return queryset
    data = form.cleaned_data
    if data["q"]:
        q = data["q"].strip()
        queryset = queryset.filter(
            Q(username__icontains=q) | Q(full_name__icontains=q) | Q(employee_no__icontains=q)
        )
    if data["branch"]:
        queryset = queryset.filter(home_branch=data["branch"])
    if data["role"]:
        queryset = queryset.filter(user_roles__role=data["role"])
    status = data["status"]
    if status == "active":
        queryset = queryset.filter(is_active=True)
    elif status == "inactive":
        queryset = queryset.filter(is_active=False)
    elif status == "locked":
        queryset = queryset.filter(locked_until__gt=timezone.now())
    return queryset.distinct()


@console_view("identity.view_users")
def user_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    form = UserFilterForm(request.GET or None, actor=actor)
    page = page_of(request, _filtered_users(form, services.list_users(actor)))
    context = {
        "form": form,
        "page": page,
        "may_manage": actor.has_permission("identity.manage_users"),
        "breadcrumbs": [(_("Users"), "")],
    }
    return render_results(request, "identity/user_list.html", "identity/_user_rows.html", context)


def _pending_grants(actor: User, target: User) -> QuerySet[Any]:
    return services.list_approvals(actor).filter(
        kind="identity.role_grant", status=ApprovalStatus.PENDING, payload__user_id=target.pk
    )


@console_view("identity.view_users")
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    target = get_scoped_object(services.list_users(actor), actor, pk=pk)
    may_manage = actor.has_permission("identity.manage_users")
    context = {
        "target": target,
        "phone": present_pii(value=target.phone, kind="phone", principal=actor, obj=target, field="phone"),
        "assignments": target.user_roles.select_related("role", "granted_by", "approved_by"),
        "pending_grants": _pending_grants(actor, target),
        "may_manage": may_manage,
        "may_request_grant": actor.has_permission("identity.request_role_grant"),
        "grant_form": RoleGrantForm(target=target),
        "revoke_form": RoleRevokeForm(target=target),
        "reason_form": ReasonForm(),
        "is_self": target.pk == actor.pk,
        "breadcrumbs": _crumbs_users((target.display_name, "")),
    }
    return render(request, "identity/user_detail.html", context)


@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
@console_view("identity.manage_users")
def user_create(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    form = UserCreateForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = actions.do_create_user(
                username=data["username"],
                full_name=data["full_name"],
                password=data["password1"],
                email=data["email"],
                phone=data["phone"],
                employee_no=data["employee_no"],
                home_branch_id=data["home_branch"].pk if data.get("home_branch") else None,
                institution_wide=bool(data.get("institution_wide")),
                actor=actor,
            )
        except Conflict as exc:
            form.add_error("username", exc.message)
        except DomainError as exc:
            apply_domain_error(form, exc, {"password": "password1", "home_branch_id": "home_branch"})
        else:
            messages.success(
                request,
                _("User %(name)s created. Request a role grant to give them access.") % {"name": user},
            )
            return redirect("web:user_detail", pk=user.pk)
    context = {"form": form, "breadcrumbs": _crumbs_users((_("New user"), ""))}
    return render(request, "identity/user_form.html", context)


@require_http_methods(["GET", "POST"])
@console_view("identity.manage_users")
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    target = get_scoped_object(services.list_users(actor), actor, pk=pk)
    form = UserEditForm(request.POST or None, actor=actor, target=target)
    if request.method == "POST" and form.is_valid():
        changes = form.changes(target)
        if not changes:
            messages.info(request, _("Nothing changed."))
            return redirect("web:user_detail", pk=target.pk)
        try:
            actions.do_update_user(user_id=target.pk, changes=changes, actor=actor)
        except DomainError as exc:
            apply_domain_error(form, exc, {"home_branch_id": "home_branch"})
        else:
            messages.success(request, _("The profile has been saved."))
            return redirect("web:user_detail", pk=target.pk)
    context = {
        "form": form,
        "target": target,
        "breadcrumbs": _crumbs_users(
            (target.display_name, reverse("web:user_detail", args=[target.pk])), (_("Edit"), "")
        ),
    }
    return render(request, "identity/user_form.html", context)


def _refusal(request: HttpRequest, form_errors: dict[str, Any]) -> None:
    for field_errors in form_errors.values():
        for error in field_errors:
            messages.error(request, error)


@require_POST
@console_view("identity.request_role_grant")
def user_grant_role(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    target = get_scoped_object(services.list_users(actor), actor, pk=pk)
    form = RoleGrantForm(request.POST, target=target)
    if not form.is_valid():
        _refusal(request, form.errors)
        return redirect("web:user_detail", pk=target.pk)
    try:
        approval = actions.do_request_role_grant(
            user_id=target.pk,
            role_code=form.cleaned_data["role"].code,
            reason=form.cleaned_data["reason"],
            actor=actor,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Role grant requested (request #%(id)s); it takes effect when a second person approves it.")
            % {"id": approval.pk},
        )
    return redirect("web:user_detail", pk=target.pk)


@require_POST
@console_view("identity.manage_users")
def user_revoke_role(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    target = get_scoped_object(services.list_users(actor), actor, pk=pk)
    form = RoleRevokeForm(request.POST, target=target)
    if not form.is_valid():
        _refusal(request, form.errors)
        return redirect("web:user_detail", pk=target.pk)
    role: Role = form.cleaned_data["role"]
    try:
        actions.do_revoke_role(
            user_id=target.pk, role_code=role.code, reason=form.cleaned_data["reason"], actor=actor
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Role %(role)s revoked.") % {"role": role})
    return redirect("web:user_detail", pk=target.pk)


@require_POST
@console_view("identity.manage_users")
def user_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    target = actions.do_unlock_user(user_id=pk, actor=actor)
    messages.success(request, _("%(user)s is unlocked.") % {"user": target})
    return redirect("web:user_detail", pk=target.pk)


@require_POST
@console_view("identity.manage_users")
def user_reset_mfa(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        _refusal(request, form.errors)
        return redirect("web:user_detail", pk=pk)
    try:
        actions.do_reset_mfa(user_id=pk, reason=form.cleaned_data["reason"], actor=actor)
    except DomainError as exc:
        if exc.status == 404:
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, _("MFA reset; the user enrols again at the next sign-in."))
    return redirect("web:user_detail", pk=pk)


# --- roles ----------------------------------------------------------------------------------------
@console_view("identity.view_users")
def role_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    holders = dict(
        scoped(UserRole.objects.all(), actor)
        .values("role_id")
        .annotate(n=Count("id"))
        .values_list("role_id", "n")
    )
    roles = [
        {
            "role": role,
            "holders": holders.get(role.pk, 0),
            "permissions": [(code, PERMISSIONS.get(code, code)) for code in role.permissions],
        }
        for role in services.list_roles()
    ]
    return render(request, "identity/role_list.html", {"roles": roles, "breadcrumbs": [(_("Roles"), "")]})


# --- API tokens -----------------------------------------------------------------------------------
def _token_page(
    request: HttpRequest, form: TokenIssueForm, *, secret: str = "", status: int = 200
) -> HttpResponse:
    actor = _actor(request)
    tokens = scoped(ApiToken.objects.select_related("owner", "revoked_by"), actor)
    context = {
        "form": form,
        "page": page_of(request, tokens),
        "secret": secret,
        "revoke_form": ReasonForm(),
        "now": timezone.now(),
        "breadcrumbs": [(_("API tokens"), "")],
    }
    return render(request, "identity/token_list.html", context, status=status)


@require_http_methods(["GET", "POST"])
@console_view("identity.manage_tokens")
def token_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    form = TokenIssueForm(request.POST or None, actor=actor)
    if request.method != "POST" or not form.is_valid():
        return _token_page(request, form)
    data = form.cleaned_data
    # A token expires at the end of the chosen day, in the console's time zone.
    expires_at = timezone.make_aware(datetime.combine(data["expires_on"], time(23, 59, 59)))
    try:
        token, secret = actions.do_issue_token(
            name=data["name"],
            permissions=list(data["permissions"]),
            branch_ids=[b.pk for b in data["branches"]],
            all_branches=bool(data.get("all_branches")),
            expires_at=expires_at,
            actor=actor,
        )
    except DomainError as exc:
        apply_domain_error(form, exc, {"branch_ids": "branches", "expires_at": "expires_on"})
        return _token_page(request, form)
    messages.success(request, _("Token %(name)s issued.") % {"name": token.name})
    # The secret is rendered once in this response and never stored: no redirect, no session copy.
    return _token_page(request, TokenIssueForm(actor=actor), secret=secret)


@require_POST
@console_view("identity.manage_tokens")
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    token = actions.do_revoke_token(token_id=pk, reason=reason, actor=actor)
    messages.success(request, _("Token %(name)s revoked.") % {"name": token.name})
    return redirect("web:tokens")


# --- the user's own account -----------------------------------------------------------------------
@console_view()
def account(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    context = {
        "assignments": actor.user_roles.select_related("role"),
        "recovery_left": actor.recovery_codes.filter(used_at__isnull=True).count(),
        # One's own number needs no masking and its display is not a sensitive read of another person.
        "phone": actor.phone,
        "breadcrumbs": [(_("My account"), "")],
    }
    return render(request, "identity/account.html", context)


@sensitive_post_parameters("current_password", "new_password1", "new_password2")
@require_http_methods(["GET", "POST"])
@console_view()
def account_password(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    form = PasswordChangeForm(request.POST or None, user=actor)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_set_password(user=actor, new_password=form.cleaned_data["new_password1"], actor=actor)
        except DomainError as exc:
            apply_domain_error(form, exc, {"password": "new_password1"})
        else:
            update_session_auth_hash(request, actor)
            messages.success(request, _("Your password has been changed."))
            return redirect("web:account")
    crumbs = [(_("My account"), reverse("web:account")), (_("Change password"), "")]
    return render(request, "identity/account_password.html", {"form": form, "breadcrumbs": crumbs})


@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
@console_view()
def account_mfa_enrol(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if actor.mfa_enrolled:
        messages.info(request, _("MFA is already set up for your account."))
        return redirect("web:account")
    if not request.session.get(ACCOUNT_ENROL_ISSUED) or not actor.totp_secret:
        uri = actions.do_begin_totp_enrolment(user=actor)
        request.session[ACCOUNT_ENROL_ISSUED] = True
    else:
        uri = provisioning_uri(actor)
    form = TotpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = actions.do_confirm_totp_enrolment(user=actor, code=form.cleaned_data["code"])
        except DomainError as exc:
            form.add_error("code", exc.message)
        else:
            request.session.pop(ACCOUNT_ENROL_ISSUED, None)
            # The code just proved possession, so this session counts as MFA-verified from now on.
            request.session[SESSION_MFA] = True
            return render(
                request, "web/recovery_codes.html", {"codes": codes, "continue_url": reverse("web:account")}
            )
    context = {
        "form": form,
        "qr": qr_svg(uri),
        "secret": grouped_secret(actor.totp_secret),
        "breadcrumbs": [(_("My account"), reverse("web:account")), (_("Set up MFA"), "")],
    }
    return render(request, "identity/account_mfa_enrol.html", context)


@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
@console_view()
def account_recovery_codes(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if not actor.mfa_enrolled:
        return redirect("web:account_mfa_enrol")
    form = TotpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = actions.do_regenerate_recovery_codes(user=actor, code=form.cleaned_data["code"])
        except DomainError as exc:
            form.add_error("code", exc.message)
        else:
            return render(
                request, "web/recovery_codes.html", {"codes": codes, "continue_url": reverse("web:account")}
            )
    crumbs = [(_("My account"), reverse("web:account")), (_("New recovery codes"), "")]
    return render(request, "identity/account_recovery_codes.html", {"form": form, "breadcrumbs": crumbs})
