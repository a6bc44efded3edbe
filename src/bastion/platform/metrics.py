"""Prometheus metrics that add up across gunicorn workers (multiprocess mode).

``bastion serve`` points ``PROMETHEUS_MULTIPROC_DIR`` at ``$BASTION_HOME/metrics`` before any worker
imports ``prometheus_client``; each worker then writes its samples to memory-mapped files there and
``/metrics`` sums them. Without that variable (tests, ``runserver``) the process registry is used.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from django.http import HttpRequest, HttpResponse
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

REQUESTS = Counter("bastion_http_requests_total", "HTTP requests served", ["method", "route", "status"])
LATENCY = Histogram(
    "bastion_http_request_duration_seconds",
    "Time from the request entering Django to the response leaving it",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)


def multiprocess_directory(home: Path) -> Path:
    return home / "metrics"


def prepare_multiprocess_directory(directory: Path) -> None:
    """Create the directory and drop samples of processes from an earlier run."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    for stale in directory.glob("*.db"):
        stale.unlink(missing_ok=True)


def latest() -> bytes:
    """The exposition text: every worker's samples in multiprocess mode, else this process's."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def _route(request: HttpRequest) -> str:
    # The URL pattern, not the path: one label value per endpoint, however many ids are requested.
    match = getattr(request, "resolver_match", None)
    return match.route if match is not None and match.route else "unmatched"


class MetricsMiddleware:
    """Count every request and time it, labelled by method, route pattern and status."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        method = request.method if request.method in _METHODS else "other"
        route = _route(request)
        LATENCY.labels(method, route).observe(time.perf_counter() - started)
        REQUESTS.labels(method, route, str(response.status_code)).inc()
        return response
