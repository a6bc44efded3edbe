"""Background tasks of the devices app (Huey): the alarm sweep and maintenance plans."""

from __future__ import annotations

from dataclasses import asdict

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from bastion.devices.actions import sweep as alarm_sweep


@db_periodic_task(crontab(minute="*"))
def sweep_alarms() -> dict[str, int]:
    """Every minute: missing heartbeats, ended maintenance windows, flapping holds, hand-over retries."""
    return asdict(alarm_sweep.sweep())


@db_periodic_task(crontab(minute="*/15"))
def open_due_maintenance() -> dict[str, int]:
    """Every quarter hour: device plans for new devices, one work order per due maintenance occurrence."""
    from bastion.devices.actions.maintenance import open_due_work_orders

    return asdict(open_due_work_orders())
