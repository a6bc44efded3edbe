from django.apps import AppConfig


class PlatformConfig(AppConfig):
    name = "bastion.platform"
    label = "platform"
    verbose_name = "Platform"
