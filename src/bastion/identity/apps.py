from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "bastion.identity"
    label = "identity"
    verbose_name = "Identity and organisation"

    def ready(self) -> None:
        from bastion.identity import approvals, permissions, signals  # noqa: F401  (registrations)
