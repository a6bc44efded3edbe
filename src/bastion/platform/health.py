"""Liveness, readiness (database and task queue) and Prometheus metrics."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from bastion.platform.metrics import latest


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up; says nothing about its dependencies."""
    return JsonResponse({"status": "ok"})


def _database_ready() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means not ready
        return f"error: {type(exc).__name__}"
    return "ok"


def _queue_ready() -> str:
    from huey.contrib.djhuey import HUEY

    try:
        HUEY.storage.queue_size()
    except Exception as exc:  # any storage error means not ready
        return f"error: {type(exc).__name__}"
    return "ok"


def _last_worker_heartbeat() -> str | None:
    from django.core.cache import cache

    from bastion.platform.tasks import HEARTBEAT_KEY

    try:
        return cache.get(HEARTBEAT_KEY)
    except Exception:  # the cache being down is not this endpoint's verdict to give
        return None


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready when the database and the task queue both answer; 503 otherwise.

    The worker's last heartbeat is reported for monitoring but does not decide readiness: a web node
    can serve while the scheduler restarts.
    """
    checks = {"database": _database_ready(), "task_queue": _queue_ready()}
    ready = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {
            "status": "ok" if ready else "unavailable",
            "checks": checks,
            "worker_heartbeat": _last_worker_heartbeat(),
        },
        status=200 if ready else 503,
    )


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus exposition, summed over every worker process of this server."""
    return HttpResponse(latest(), content_type=CONTENT_TYPE_LATEST)
