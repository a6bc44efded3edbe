from django.apps import AppConfig


class AmlConfig(AppConfig):
    """Anti-money-laundering: KYC, large-value and suspicious reports, typologies, cases, screening."""

    name = "bastion.aml"
    label = "aml"
    verbose_name = "Anti-money-laundering"

    def ready(self) -> None:
        from bastion.aml import navigation, permissions  # noqa: F401  (registrations)
