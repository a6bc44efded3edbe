from django.apps import AppConfig


class IntakeConfig(AppConfig):
    """E-mail and WeChat intake for the service desk (R3.2)."""

    name = "bastion.servicedesk.intake"
    label = "servicedesk_intake"
    verbose_name = "Service desk intake"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from bastion.servicedesk.intake import navigation, permissions  # noqa: F401  (registrations)
