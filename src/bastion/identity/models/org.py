"""The organisation tree: institution > branch (网点) > site, with regions and teams."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from bastion.identity.choices import InstitutionKind, SiteKind, TeamKind


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known IANA time zone."), params={"value": value})


class Institution(models.Model):
    """The regulated institution that runs Bastion (a bank, securities firm, insurer or payment firm)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    kind = models.CharField(
        _("kind"), max_length=20, choices=InstitutionKind.choices, default=InstitutionKind.BANK
    )
    calendar = models.ForeignKey(
        "platform.BusinessCalendar",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The institution's own calendar, used for regulatory deadlines."),
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Shanghai", validators=[validate_time_zone]
    )

    branch_scope_path = None  # institution rows are not branch data

    class Meta:
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")

    def __str__(self) -> str:
        return self.name


class Region(models.Model):
    """A geographic or management region grouping branches (e.g. 华东区)."""

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="regions")
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        constraints = [models.UniqueConstraint(fields=["institution", "code"], name="region_code_unique")]

    def __str__(self) -> str:
        return self.name


class Branch(models.Model):
    """A branch or outlet (网点): the unit of data scope, time zone and business calendar."""

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="branches")
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="branches"
    )
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=60)
    address = models.CharField(_("address"), max_length=300, blank=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Shanghai", validators=[validate_time_zone]
    )
    calendar = models.ForeignKey(
        "platform.BusinessCalendar",
        on_delete=models.PROTECT,
        related_name="branches",
        verbose_name=_("business calendar"),
    )
    is_head_office = models.BooleanField(_("head office"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    branch_scope_path = "pk"

    class Meta:
        ordering = ["code"]
        verbose_name = _("branch")
        verbose_name_plural = _("branches")

    def __str__(self) -> str:
        return self.name


class Site(models.Model):
    """A place inside or belonging to a branch: banking hall, self-service area, server room."""

    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="sites")
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=SiteKind.choices, default=SiteKind.LOBBY)
    address = models.CharField(_("address"), max_length=300, blank=True)

    branch_scope_path = "branch"

    class Meta:
        ordering = ["branch", "code"]
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        constraints = [models.UniqueConstraint(fields=["branch", "code"], name="site_code_unique")]

    def __str__(self) -> str:
        return f"{self.branch.name} / {self.name}"


class Team(models.Model):
    """A team: front-line support, back-end support centre, customer service, risk, AML, ..."""

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="teams")
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, null=True, blank=True, related_name="teams")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, null=True, blank=True, related_name="teams")
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=30, choices=TeamKind.choices)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="led_teams"
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="teams")

    branch_scope_path = "branch"

    class Meta:
        ordering = ["code"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name
