from django.apps import AppConfig


class NotifyConfig(AppConfig):
    """Notifications: in-app, e-mail over SMTP, and SMS/WeCom/DingTalk webhook providers."""

    name = "bastion.notify"
    label = "notify"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from bastion.notify import navigation, permissions  # noqa: F401  (registrations)
