"""Platform background tasks: the worker's heartbeat, so monitoring can tell a stalled scheduler."""

from __future__ import annotations

from django.core.cache import cache
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

HEARTBEAT_KEY = "bastion:worker:heartbeat"


@db_periodic_task(crontab(minute="*"))
def record_worker_heartbeat() -> str:
    """Every minute the scheduling worker notes the time; /readyz reports how old that note is."""
    beat = timezone.now().isoformat()
    cache.set(HEARTBEAT_KEY, beat, timeout=None)
    return beat
