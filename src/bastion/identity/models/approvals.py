"""Generic maker-checker requests (R1.4)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bastion.identity.choices import ApprovalStatus


class ApprovalRequest(models.Model):
    """A high-risk change proposed by a maker and applied only when a different checker approves it.

    ``kind`` names a handler registered in :mod:`bastion.identity.approvals`, which says who may
    approve it and applies the effect atomically on approval.
    """

    kind = models.CharField(_("kind"), max_length=60, db_index=True)
    payload = models.JSONField(_("payload"))
    summary = models.CharField(_("summary"), max_length=300)
    reason = models.TextField(_("reason"), help_text=_("Why the maker asks for this."))
    branch = models.ForeignKey(
        "identity.Branch", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ApprovalStatus.choices,
        default=ApprovalStatus.PENDING,
        db_index=True,
    )
    maker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="approvals_made"
    )
    checker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="approvals_checked",
    )
    decision_note = models.TextField(_("decision note"), blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    created_at = models.DateTimeField(_("submitted"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    branch_scope_path = "branch"

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("approval request")
        verbose_name_plural = _("approval requests")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(checker=models.F("maker")), name="approval_checker_is_not_maker"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind}: {self.summary}"

    @property
    def is_open(self) -> bool:
        return self.status == ApprovalStatus.PENDING and self.expires_at > timezone.now()

    @property
    def status_colour(self) -> str:
        return ApprovalStatus.colour(self.status)
