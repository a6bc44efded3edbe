from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    """Articles, diagnosis cards and the emergency handling manual, with Chinese and English search."""

    name = "bastion.knowledge"
    label = "knowledge"
    verbose_name = "Knowledge base"

    def ready(self) -> None:
        from bastion.knowledge import navigation, permissions  # noqa: F401  (registrations)
