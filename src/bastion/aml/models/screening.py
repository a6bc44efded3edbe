"""Watch-list screening (R5.6): lists of sanctioned, terrorist, politically exposed or internally
watched names, their entries, and the hits found when customers, counterparties and payments are
screened against them. Matching itself is in :mod:`bastion.aml.matching` (no Django).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bastion.aml.choices import HitStatus, ScreeningTrigger, WatchEntryType, WatchListKind


class WatchList(models.Model):
    """A named list of persons and organisations to screen against, with its source and revision."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=WatchListKind.choices)
    source = models.CharField(_("source"), max_length=200, blank=True)
    escalate_at_once = models.BooleanField(
        _("escalate hits at once"),
        default=False,
        help_text=_("Terrorist lists: a hit is escalated immediately."),
    )
    revision = models.PositiveIntegerField(_("revision"), default=0)
    imported_at = models.DateTimeField(_("last import"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["code"]
        verbose_name = _("watch list")
        verbose_name_plural = _("watch lists")

    def __str__(self) -> str:
        return self.code


class WatchListEntry(models.Model):
    """A listed person or organisation with aliases; removal keeps the row (inactive)."""

    watch_list = models.ForeignKey(WatchList, on_delete=models.PROTECT, related_name="entries")
    entry_id = models.CharField(
        _("entry id"), max_length=100, help_text=_("The list publisher's identifier.")
    )
    entry_type = models.CharField(_("type"), max_length=12, choices=WatchEntryType.choices)
    name = models.CharField(_("name"), max_length=300)
    aliases = models.JSONField(_("aliases"), default=list)
    dates_of_birth = models.JSONField(
        _("dates of birth"), default=list, help_text=_("YYYY, YYYY-MM or YYYY-MM-DD.")
    )
    nationalities = models.JSONField(_("nationalities"), default=list)
    program = models.CharField(_("programme"), max_length=200, blank=True)
    category = models.CharField(_("category"), max_length=60, blank=True)
    active = models.BooleanField(_("active"), default=True)
    added_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["watch_list", "entry_id"]
        verbose_name = _("watch-list entry")
        verbose_name_plural = _("watch-list entries")
        constraints = [
            models.UniqueConstraint(fields=["watch_list", "entry_id"], name="aml_watch_entry_unique")
        ]

    def __str__(self) -> str:
        return f"{self.watch_list.code}:{self.entry_id}"


class ScreeningHit(models.Model):
    """A name that matched a list entry, why it matched, and what an officer decided about it."""

    subject_kind = models.CharField(
        _("subject"), max_length=12, help_text=_("customer, counterparty or payment")
    )
    subject_ref = models.CharField(_("reference"), max_length=128, db_index=True)
    customer = models.ForeignKey(
        "aml.Customer", on_delete=models.PROTECT, null=True, blank=True, related_name="hits"
    )
    payment = models.ForeignKey(
        "risk.StoredPayment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    branch = models.ForeignKey(
        "identity.Branch",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("branch"),
    )
    screened_name = models.CharField(_("screened name"), max_length=300)
    entry = models.ForeignKey(WatchListEntry, on_delete=models.PROTECT, related_name="hits")
    score = models.PositiveSmallIntegerField(_("score"))
    method = models.CharField(_("method"), max_length=40)
    matched_name = models.CharField(_("matched name"), max_length=300)
    explanation_zh = models.CharField(_("why (Chinese)"), max_length=1000)
    explanation_en = models.CharField(_("why (English)"), max_length=1000)
    trigger = models.CharField(_("trigger"), max_length=12, choices=ScreeningTrigger.choices)
    escalated = models.BooleanField(_("escalated"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=HitStatus.choices, default=HitStatus.OPEN)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    alert = models.ForeignKey(
        "aml.Alert", on_delete=models.PROTECT, null=True, blank=True, related_name="hits"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    branch_scope_path = "branch"

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("screening hit")
        verbose_name_plural = _("screening hits")
        constraints = [
            models.UniqueConstraint(
                fields=["subject_kind", "subject_ref", "screened_name", "entry"], name="aml_hit_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject_ref} ~ {self.entry}"
