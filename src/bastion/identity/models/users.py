"""Users, roles (permission sets), role assignments and MFA recovery codes."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import connection, models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bastion.platform.crypto import EncryptedTextField
from bastion.platform.scoping import ALL_BRANCHES, BranchScope


class Role(models.Model):
    """A named permission set (R1.2). System roles are kept in step with the code's registry."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    permissions = models.JSONField(_("permissions"), default=list)
    privileged = models.BooleanField(_("privileged (MFA required)"), default=False)
    system = models.BooleanField(_("system role"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("role")
        verbose_name_plural = _("roles")

    def __str__(self) -> str:
        from django.utils.translation import get_language

        return self.name_en if (get_language() or "").startswith("en") else self.name_zh


class User(AbstractUser):
    """A member of staff. Branch scope is the home branch plus any extra branches, or everything."""

    full_name = models.CharField(_("full name"), max_length=100, blank=True)
    employee_no = models.CharField(_("employee number"), max_length=40, blank=True)
    phone = EncryptedTextField(_("mobile phone"), blank=True, default="")
    home_branch = models.ForeignKey(
        "identity.Branch",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("home branch"),
    )
    extra_branches = models.ManyToManyField(
        "identity.Branch", blank=True, related_name="+", verbose_name=_("additional branches")
    )
    institution_wide = models.BooleanField(_("institution-wide scope"), default=False)
    preferred_language = models.CharField(_("language"), max_length=10, blank=True)
    failed_login_count = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    totp_secret = EncryptedTextField(blank=True, default="")
    totp_confirmed_at = models.DateTimeField(_("MFA enrolled"), null=True, blank=True)
    last_totp_step = models.BigIntegerField(
        default=0, help_text="Last accepted TOTP time step (replay guard)."
    )

    branch_scope_path = "home_branch"

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    # --- authorisation -----------------------------------------------------------------------------
    def role_codes(self) -> set[str]:
        return set(self.user_roles.values_list("role__code", flat=True))

    def _roles_summary(self) -> tuple[frozenset[str], bool]:
        """Permissions and "holds a privileged role", read in one query and kept for this instance."""
        cached: tuple[frozenset[str], bool] | None = getattr(self, "_roles_cache", None)
        if cached is None:
            codes: set[str] = set()
            privileged = False
            for perms, is_privileged in _role_rows(self.pk):
                codes.update(perms)
                privileged = privileged or is_privileged
            cached = (frozenset(codes) if self.is_active else frozenset(), privileged)
            self._roles_cache = cached
        return cached

    def permission_codes(self) -> frozenset[str]:
        return self._roles_summary()[0]

    def has_permission(self, code: str) -> bool:
        return self.is_active and code in self.permission_codes()

    def branch_scope(self) -> BranchScope:
        if self.institution_wide:
            return ALL_BRANCHES
        ids = set(self.extra_branches.values_list("pk", flat=True))
        if self.home_branch_id:
            ids.add(self.home_branch_id)
        return BranchScope(False, frozenset(ids))

    @property
    def requires_mfa(self) -> bool:
        return self._roles_summary()[1]

    @property
    def mfa_enrolled(self) -> bool:
        return self.totp_confirmed_at is not None

    def is_locked(self) -> bool:
        return self.locked_until is not None and self.locked_until > timezone.now()


def _role_rows(user_id: int) -> list[tuple[list[str], bool]]:
    """(permissions, privileged) of each role the user holds, by one prepared query.

    Runs on every authenticated request; the ORM's query compilation cost more than the query.
    """
    qn = connection.ops.quote_name
    role, link = Role._meta.db_table, UserRole._meta.db_table
    sql = (
        f"SELECT r.{qn('permissions')}, r.{qn('privileged')} FROM {qn(role)} r "  # noqa: S608
        f"JOIN {qn(link)} l ON l.{qn('role_id')} = r.{qn('id')} WHERE l.{qn('user_id')} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id])
        rows = cursor.fetchall()
    # SQLite returns JSON as text, PostgreSQL as Python values.
    return [(json.loads(p) if isinstance(p, str) else list(p or ()), bool(v)) for p, v in rows]


class UserRole(models.Model):
    """A role held by a user; created only through an approved role-grant request (dual control)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="user_roles")
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="user_assignments")
    granted_at = models.DateTimeField(_("granted"), default=timezone.now)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    branch_scope_path = "user__home_branch"

    class Meta:
        ordering = ["user", "role"]
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="user_role_unique")]

    def __str__(self) -> str:
        return f"{self.user} – {self.role}"


class RecoveryCode(models.Model):
    """A one-time MFA recovery code, stored hashed."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes"
    )
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")

    def __str__(self) -> str:
        return f"recovery code of {self.user_id}"


def is_same_person(actor: object, user: User) -> bool:
    """True when the actor is this very user (an API token is never a person, whatever its id)."""
    return isinstance(actor, User) and actor.pk == user.pk
