"""WSGI entry point for gunicorn (``bastion serve``).

Payment systems' bearer calls to the decision endpoints take the gateway's lane; every other request
goes through Django's full stack (docs/decisions/0520-risk-decision-gateway.md).
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bastion.settings")
django_application = get_wsgi_application()

from bastion.risk.gateway import DecisionGateway  # noqa: E402  (needs the settings configured above)

application = DecisionGateway(django_application)
