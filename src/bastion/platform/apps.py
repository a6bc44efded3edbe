from django.apps import AppConfig


class PlatformConfig(AppConfig):
    name = "bastion.platform"
    label = "platform"
    verbose_name = "Platform"

    def ready(self) -> None:
        from bastion.platform import signals

        signals.connect()
