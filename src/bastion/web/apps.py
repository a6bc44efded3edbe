from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "bastion.web"
    label = "web"
    verbose_name = "Console"
