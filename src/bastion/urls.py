"""Top-level URL map: the console, the API under /api/v1/, health and metrics."""

from django.urls import include, path

from bastion.api import api
from bastion.platform import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics, name="metrics"),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("devices/", include("bastion.devices.urls")),
    path("servicedesk/", include("bastion.servicedesk.urls")),
    path("knowledge/", include("bastion.knowledge.urls")),
    path("notifications/", include("bastion.notify.urls")),
    path("risk/", include("bastion.risk.urls")),
    path("aml/", include("bastion.aml.urls")),
    path("", include("bastion.web.urls")),
]
