from django.apps import AppConfig


class DevicesConfig(AppConfig):
    """Device registry, lifecycle, maintenance, telemetry, alarms and remote diagnostics."""

    name = "bastion.devices"
    label = "devices"
    verbose_name = "Devices and alarms"

    def ready(self) -> None:
        from bastion.devices import approvals, navigation, permissions  # noqa: F401  (registrations)
