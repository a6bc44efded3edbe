import logging

from django.apps import AppConfig

logger = logging.getLogger(__name__)


class ServiceDeskConfig(AppConfig):
    """Work orders, intake channels, SLA clocks, dispatch and satisfaction."""

    name = "bastion.servicedesk"
    label = "servicedesk"
    verbose_name = "Service desk"

    def ready(self) -> None:
        from bastion.servicedesk import navigation, permissions, tasks  # noqa: F401  (registrations)
        from bastion.servicedesk.flows import register_handover

        register_handover()
