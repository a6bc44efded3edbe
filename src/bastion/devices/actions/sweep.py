"""Periodic alarm housekeeping: silent devices, ended maintenance windows, flapping holds, retries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from bastion.audit.actions import record_event
from bastion.devices import handover, health
from bastion.devices.actions.alarms import FLAP_HOLD, TelemetryEvaluator, clear_alarm
from bastion.devices.choices import AlarmState, LifecycleState
from bastion.devices.models import Alarm, Device, MaintenanceWindow

# Devices report every 30-60 s; five minutes of silence is several missed reports, not jitter.
HEARTBEAT_TIMEOUT = timedelta(minutes=5)
MONITORED_STATES = (LifecycleState.IN_SERVICE, LifecycleState.MAINTENANCE)
HANDOVER_BATCH = 200


@dataclass
class SweepReport:
    heartbeat_alarms: int = 0
    unmuted: int = 0
    flap_cleared: int = 0
    handed_over: int = 0


def _depth(device: Device, parents: dict[int, int | None]) -> int:
    depth, node, seen = 0, parents.get(device.pk), set()
    while node is not None and node not in seen:
        seen.add(node)
        depth += 1
        node = parents.get(node)
    return depth


def raise_missing_heartbeats(*, evaluator: TelemetryEvaluator | None = None) -> int:
    """Raise HEARTBEAT_MISSING for monitored devices silent longer than HEARTBEAT_TIMEOUT."""
    cutoff = timezone.now() - HEARTBEAT_TIMEOUT
    standing = Alarm.objects.filter(
        device=OuterRef("pk"), fault_code=health.HEARTBEAT_MISSING, state__in=AlarmState.active()
    )
    silent = list(
        Device.objects.filter(lifecycle_state__in=MONITORED_STATES, last_seen_at__lt=cutoff)
        .exclude(Exists(standing))
        .only("pk", "last_seen_at", "upstream_id")
    )
    if not silent:
        return 0
    parents: dict[int, int | None] = dict(
        Device.objects.filter(upstream__isnull=False).values_list("pk", "upstream_id")
    )
    silent.sort(key=lambda d: _depth(d, parents))  # switches before what hangs off them
    outcome = (evaluator or TelemetryEvaluator()).raise_missing_heartbeats(silent)
    return len(outcome.raised)


def open_alarms_after_windows() -> int:
    """A muted alarm that outlives its maintenance window opens (and is handed over) after all."""
    now = timezone.now()
    count = 0
    for alarm in Alarm.objects.select_related("device").filter(state=AlarmState.MUTED):
        in_window = MaintenanceWindow.objects.filter(
            branch_id=alarm.device.branch_id, starts_at__lte=now, ends_at__gt=now
        ).filter(device__isnull=True) | MaintenanceWindow.objects.filter(
            device_id=alarm.device_id, starts_at__lte=now, ends_at__gt=now
        )
        if in_window.exists():
            continue
        with transaction.atomic():
            alarm.state = AlarmState.OPEN
            alarm.save(update_fields=["state"])
            record_event(
                action="devices.unmute_alarm",
                actor=None,
                obj=alarm,
                before={"state": AlarmState.MUTED},
                after={"state": AlarmState.OPEN},
            )
            handover.open_work_order_for_alarm(alarm)
        count += 1
    return count


def clear_settled_flapping() -> int:
    """Flapping alarms whose device stayed well for the hold period clear."""
    cutoff = timezone.now() - FLAP_HOLD
    count = 0
    for alarm in Alarm.objects.select_related("device").filter(
        state__in=AlarmState.active(), flapping=True, recovering_since__lte=cutoff
    ):
        with transaction.atomic():
            clear_alarm(alarm, now=timezone.now(), reason="recovered (flapping settled)", actor=None)
        count += 1
    return count


def retry_pending_handovers() -> int:
    """Hand over open alarms whose work order could not be opened earlier."""
    if not handover.has_work_order_opener():
        return 0
    count = 0
    pending = Alarm.objects.select_related("device").filter(state=AlarmState.OPEN, handover_pending=True)
    for alarm in pending.order_by("raised_at")[:HANDOVER_BATCH]:
        with transaction.atomic():
            if handover.open_work_order_for_alarm(alarm) is not None:
                count += 1
    return count


def sweep() -> SweepReport:
    """Everything the minute task does, in order."""
    return SweepReport(
        heartbeat_alarms=raise_missing_heartbeats(),
        unmuted=open_alarms_after_windows(),
        flap_cleared=clear_settled_flapping(),
        handed_over=retry_pending_handovers(),
    )
