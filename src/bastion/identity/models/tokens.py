"""API tokens for machines: stored hashed, scoped to permissions and branches, expiring, revocable."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bastion.platform.scoping import ALL_BRANCHES, BranchScope


class ApiToken(models.Model):
    """A bearer token for a machine caller. Only its SHA-256 digest is stored; the secret is shown once."""

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(
        _("prefix"), max_length=16, unique=True, help_text=_("Public part shown in lists.")
    )
    digest = models.CharField(max_length=64, unique=True)
    permissions = models.JSONField(_("permissions"), default=list)
    branches = models.ManyToManyField(
        "identity.Branch", blank=True, related_name="+", verbose_name=_("branches")
    )
    all_branches = models.BooleanField(_("all branches"), default=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="api_tokens",
        help_text=_("The person accountable for the token."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    branch_scope_path = "owner__home_branch"

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    # Tokens act as principals in their own right (see bastion.platform.scoping.Principal).
    is_authenticated = True
    is_active = True

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now() and self.owner.is_active

    def has_permission(self, code: str) -> bool:
        # A token never exceeds its owner: the owner's current permissions cap the token's.
        return self.is_usable and code in self.permissions and self.owner.has_permission(code)

    def branch_scope(self) -> BranchScope:
        own = (
            ALL_BRANCHES
            if self.all_branches
            else BranchScope(False, frozenset(self.branches.values_list("pk", flat=True)))
        )
        return own.intersect(self.owner.branch_scope())

    @property
    def display_name(self) -> str:
        return f"token:{self.name}"
