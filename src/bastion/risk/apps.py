from django.apps import AppConfig


class RiskConfig(AppConfig):
    """Payment risk service: decisions over HTTP and NATS JetStream, rule-set versions, feature state."""

    name = "bastion.risk"
    label = "risk"
    verbose_name = "Payment risk"

    def ready(self) -> None:
        from bastion.risk import navigation, permissions  # noqa: F401  (registrations)
