"""The device registry (R2.1) and the fault-code catalogue."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from bastion.devices.choices import AlarmSeverity, DeviceClass, LifecycleState, OperationalStatus


class Device(models.Model):
    """A device at a branch that field support looks after: ATM, POS, smart counter, kiosk, server..."""

    branch = models.ForeignKey(
        "identity.Branch", on_delete=models.PROTECT, related_name="devices", verbose_name=_("branch")
    )
    site = models.ForeignKey(
        "identity.Site",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="devices",
        verbose_name=_("site"),
    )
    asset_tag = models.CharField(_("asset tag"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    device_class = models.CharField(_("device class"), max_length=20, choices=DeviceClass.choices)
    vendor = models.CharField(_("vendor"), max_length=80)
    model = models.CharField(_("model"), max_length=80)
    serial_number = models.CharField(_("serial number"), max_length=80)
    location = models.CharField(_("location"), max_length=200, blank=True)
    install_date = models.DateField(_("install date"), null=True, blank=True)
    warranty_until = models.DateField(_("warranty until"), null=True, blank=True)
    end_of_support = models.DateField(_("end of support"), null=True, blank=True)
    software_version = models.CharField(_("software version"), max_length=60, blank=True)
    lifecycle_state = models.CharField(
        _("lifecycle state"),
        max_length=24,
        choices=LifecycleState.choices,
        default=LifecycleState.REQUESTED,
    )
    operational_status = models.CharField(
        _("operational status"),
        max_length=20,
        choices=OperationalStatus.choices,
        default=OperationalStatus.UNKNOWN,
    )
    # The switch or link this device hangs off: when it is down, its dependants raise no alarms of
    # their own (one parent alarm instead of a storm).
    upstream = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dependants",
        verbose_name=_("network dependency"),
    )
    # Any telemetry message counts as a heartbeat; the periodic sweep raises HEARTBEAT_MISSING.
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    branch_scope_path = "branch"

    class Meta:
        ordering = ["branch_id", "asset_tag"]
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        constraints = [
            models.UniqueConstraint(fields=["vendor", "serial_number"], name="device_unique_vendor_serial"),
        ]
        indexes = [models.Index(fields=["branch", "device_class"], name="device_branch_class")]

    def __str__(self) -> str:
        return f"{self.asset_tag} {self.name}"

    @property
    def status_colour(self) -> str:
        return OperationalStatus.colour(self.operational_status)

    @property
    def lifecycle_colour(self) -> str:
        return LifecycleState.colour(self.lifecycle_state)

    @property
    def is_self_service(self) -> bool:
        return self.device_class in DeviceClass.self_service()


class FaultCode(models.Model):
    """A catalogued fault: what a code means, for which device class, and how severe it is.

    Telemetry error codes, health rules and diagnosis cards all speak these codes; an error code a
    device reports that is not catalogued still raises an alarm (severity ``major``), so nothing is
    lost while the catalogue catches up.
    """

    code = models.CharField(_("code"), max_length=40, unique=True)
    device_class = models.CharField(
        _("device class"), max_length=20, choices=DeviceClass.choices, blank=True, help_text=_("Empty: any.")
    )
    severity = models.CharField(_("severity"), max_length=10, choices=AlarmSeverity.choices)
    description_zh = models.CharField(_("description (Chinese)"), max_length=200)
    description_en = models.CharField(_("description (English)"), max_length=200)
    # Faults that stop customers using the device set it out of service while the alarm stands.
    stops_service = models.BooleanField(_("stops service"), default=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("fault code")
        verbose_name_plural = _("fault codes")

    def __str__(self) -> str:
        return self.code

    def description(self, language: str | None = None) -> str:
        from django.utils.translation import get_language

        lang = (language or get_language() or "zh-hans").lower()
        return self.description_zh if lang.startswith("zh") else self.description_en
