"""Gunicorn configuration for ``bastion serve`` (``-c python:bastion.platform.gunicorn_conf``).

The command line that ``bastion serve`` builds overrides bind, workers, threads and timeouts; what
stays here is what every deployment wants: JSON logs, worker recycling, and the Prometheus
multiprocess bookkeeping. See docs/decisions/0022-server-gunicorn.md.
"""

from __future__ import annotations

import gc
import os
from typing import Any

wsgi_app = "bastion.wsgi:application"
worker_class = "gthread"
# Recycle workers now and then, staggered, so a slow leak never takes the whole server down at once.
# Not often: a fresh worker pays for every page of the preloaded application it writes to (copy on
# write, a second or two of CPU on a VM), which at 2,000 requests cost the Decision API about 1 ms
# of CPU per request (docs/decisions/0520-risk-decision-gateway.md).
max_requests = 50_000
max_requests_jitter = 5_000
keepalive = 5
# Behind the reverse proxy on this host, trust its X-Forwarded-Proto (HTTPS detection, HSTS, cookies).
forwarded_allow_ips = os.environ.get("BASTION_FORWARDED_ALLOW_IPS", "127.0.0.1")
logger_class = "bastion.platform.gunicorn_logging.JsonLogger"
# One JSON line per request on stdout; server and application logs are JSON lines on stderr.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("BASTION_LOG_LEVEL", "info").lower()
proc_name = "bastion-web"
# Load the application once in the master: a broken configuration fails before any worker forks,
# and workers start (and restart after max_requests) quickly.
preload_app = True
control_socket_disable = True


def child_exit(server: Any, worker: Any) -> None:
    """A worker ended: fold its live gauges out of the multiprocess metrics."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def when_ready(server: Any) -> None:
    """Import every URL module (API routers, views) in the master once, before any worker forks.

    Django imports them on the first request otherwise: in every worker, again after each recycling
    (``max_requests``), and that first request paid seconds of CPU (more without bytecode caches).
    """
    from django.db import connections
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - the import is the point
    connections.close_all()  # nothing opened here may be shared by forked workers
    # Move everything loaded so far out of the collector's reach: collections in a worker would
    # otherwise write to these objects' headers and copy the master's pages into every worker.
    gc.freeze()
