"""Named block, allow and watch lists shared across departments (R5.5); rules use them by name."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bastion.risk.choices import ListEntryState, ListEntryType, ListKind


class RiskList(models.Model):
    """A named list that rules refer to as ``list("name")``; institution-wide, not branch data.

    ``revision`` grows with every change to the list or its entries, so a scorer notices a change
    with one cheap aggregate instead of re-reading every entry.
    """

    name = models.SlugField(
        _("name"), max_length=60, unique=True, help_text=_('How rules refer to it: list("name").')
    )
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=8, choices=ListKind.choices)
    description = models.TextField(_("description"), blank=True, max_length=1000)
    owner_team = models.ForeignKey(
        "identity.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("maintained by"),
    )
    revision = models.PositiveBigIntegerField(_("revision"), default=1)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("risk list")
        verbose_name_plural = _("risk lists")

    def __str__(self) -> str:
        return self.name


class ListEntry(models.Model):
    """One value on a list, with why, who, from which department and until when.

    Entries are never deleted: removal keeps the row with who removed it and why, so the audit
    trail and the list agree on what was in force at any moment.
    """

    risk_list = models.ForeignKey(
        RiskList, on_delete=models.CASCADE, related_name="entries", verbose_name=_("list")
    )
    value = models.CharField(_("value"), max_length=128)
    entry_type = models.CharField(_("type"), max_length=10, choices=ListEntryType.choices)
    reason = models.CharField(_("reason"), max_length=500)
    department = models.CharField(
        _("department"), max_length=200, blank=True, help_text=_("The adding person's team at the time.")
    )
    added_at = models.DateTimeField(_("added"), default=timezone.now)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    removed_at = models.DateTimeField(_("removed"), null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    removal_reason = models.CharField(_("removal reason"), max_length=500, blank=True)

    class Meta:
        ordering = ["-added_at", "-pk"]
        verbose_name = _("list entry")
        verbose_name_plural = _("list entries")
        constraints = [
            # One unremoved entry per value and list: adding it again is a clear conflict.
            models.UniqueConstraint(
                fields=["risk_list", "value"],
                condition=Q(removed_at__isnull=True),
                name="risk_list_entry_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.risk_list.name}: {self.value}"

    def state_at(self, moment: datetime) -> str:
        if self.removed_at is not None:
            return ListEntryState.REMOVED
        if self.expires_at is not None and self.expires_at <= moment:
            return ListEntryState.EXPIRED
        return ListEntryState.LIVE
