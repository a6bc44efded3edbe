"""Alarm evaluation: telemetry in, alarms raised, merged, muted, suppressed and cleared (R2.5).

:class:`TelemetryEvaluator` takes batches of messages (from the MQTT bridge, the HTTP endpoint or
the heartbeat sweep) and writes only transitions: a new alarm, a clear, a reopening. Repeats of a
standing alarm are merged in memory and written once per batch (occurrences, last seen), so the
database work grows with the number of devices in trouble, not with the message rate. Raises and
clears are audited with the system as actor; merges are counted on the alarm, not audited one by one.

Rules, in order, for a fault a device shows:

* a standing alarm (open, muted or suppressed) for the same device and code: merge into it;
* cleared less than ``FLAP_WINDOW`` ago: reopen it (no second work order); the third reopening
  marks it flapping, and a flapping alarm clears only after the device stayed well ``FLAP_HOLD``;
* a connectivity fault while an upstream link or switch has a standing connectivity alarm:
  ``suppressed`` under that parent alarm (one parent alarm, not one per device);
* inside a planned maintenance window: ``muted`` (no work order; opened if it outlives the window);
* otherwise ``open``, handed over to the service desk (bastion.devices.handover) in a savepoint.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from bastion.audit.actions import record_event
from bastion.devices import handover, health
from bastion.devices.actions._common import user_of
from bastion.devices.choices import AlarmSeverity, AlarmState, DeviceClass, LifecycleState
from bastion.devices.metrics import ALARMS_CLEARED, ALARMS_RAISED, TELEMETRY_ACCEPTED, TELEMETRY_REJECTED
from bastion.devices.models import Alarm, Device, FaultCode, MaintenanceWindow, TelemetrySample

FLAP_WINDOW = timedelta(minutes=15)
FLAP_REOPENINGS = 3
FLAP_HOLD = timedelta(minutes=10)
SAMPLE_INTERVAL = timedelta(minutes=1)
TOUCH_INTERVAL = timedelta(seconds=30)
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
CACHE_SECONDS = 60.0
STANDING = AlarmState.active()


@dataclass(frozen=True)
class DeviceInfo:
    """What evaluation needs of a device, cached for a minute."""

    pk: int
    branch_id: int
    device_class: str
    upstream_id: int | None
    asset_tag: str
    name: str
    retired: bool


@dataclass
class Outcome:
    """What a batch did; the bridge logs it and the HTTP endpoint answers with it."""

    accepted: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    errors: list[dict[str, str]] = field(default_factory=list)
    raised: list[int] = field(default_factory=list)
    cleared: list[int] = field(default_factory=list)
    merged: int = 0

    def add(self, other: Outcome) -> None:
        self.accepted += other.accepted
        self.rejected.update(other.rejected)
        self.errors.extend(other.errors)
        self.raised.extend(other.raised)
        self.cleared.extend(other.cleared)
        self.merged += other.merged


@dataclass
class _Batch:
    """Per-batch state inside the transaction."""

    now: datetime
    standing: dict[tuple[int, str], Alarm]
    recent: dict[tuple[int, str], Alarm]
    windows: list[MaintenanceWindow]
    dirty: dict[int, Alarm] = field(default_factory=dict)
    added: Counter[int] = field(default_factory=Counter)  # occurrences merged per alarm id
    outcome: Outcome = field(default_factory=Outcome)


class TelemetryEvaluator:
    """Long-lived in the bridge (its caches survive batches); cheap to create per request."""

    def __init__(self) -> None:
        self._devices: dict[int, DeviceInfo] = {}
        self._devices_loaded_at: dict[int, float] = {}
        self._faults: dict[str, tuple[str, str]] = {}
        self._faults_loaded_at = 0.0
        self._last_sample: dict[int, datetime] = {}
        self._last_touch: dict[int, datetime] = {}

    # --- caches -------------------------------------------------------------------------------
    def _load_devices(self, ids: Iterable[int]) -> None:
        clock = time.monotonic()
        wanted = {i for i in ids if clock - self._devices_loaded_at.get(i, -1e9) > CACHE_SECONDS}
        while wanted:
            rows = Device.objects.filter(pk__in=wanted).values_list(
                "pk", "branch_id", "device_class", "upstream_id", "asset_tag", "name", "lifecycle_state"
            )
            for pk, branch_id, cls, upstream_id, tag, name, state in rows:
                retired = state in (LifecycleState.SCRAPPED, LifecycleState.RETIREMENT_APPROVED)
                self._devices[pk] = DeviceInfo(pk, branch_id, cls, upstream_id, tag, name, retired)
                self._devices_loaded_at[pk] = clock
            for missing in wanted - {row[0] for row in rows}:
                self._devices.pop(missing, None)
                self._devices_loaded_at.pop(missing, None)
            # Load the upstream chain too: suppression walks it.
            wanted = {
                d.upstream_id
                for d in (self._devices.get(i) for i in wanted)
                if d is not None and d.upstream_id is not None and d.upstream_id not in self._devices
            }

    def _fault(self, code: str) -> tuple[str, str]:
        """(severity, English description) from the catalogue, else the built-in rules."""
        if time.monotonic() - self._faults_loaded_at > CACHE_SECONDS:
            self._faults = {
                c: (s, en) for c, s, en in FaultCode.objects.values_list("code", "severity", "description_en")
            }
            self._faults_loaded_at = time.monotonic()
        if code in self._faults:
            return self._faults[code]
        builtin = health.BUILTIN_FAULTS.get(code)
        return (builtin[0], builtin[2]) if builtin else (AlarmSeverity.MAJOR, f"Device error {code}")

    def _ancestors(self, device: DeviceInfo) -> list[int]:
        chain: list[int] = []
        node = self._devices.get(device.upstream_id) if device.upstream_id else None
        while node is not None and node.pk not in chain:
            chain.append(node.pk)
            node = self._devices.get(node.upstream_id) if node.upstream_id else None
        return chain

    # --- entry points -------------------------------------------------------------------------
    def process(
        self, messages: Sequence[tuple[int | None, Any]], *, visible: set[int] | None = None
    ) -> Outcome:
        """Evaluate (topic device id or None, raw bytes/str or decoded dict) pairs as one batch.

        ``visible``: when given, devices outside it are rejected as unknown (the caller's scope).
        """
        outcome = Outcome()
        readings: list[tuple[int, health.Reading]] = []
        for index, (topic_device_id, raw) in enumerate(messages):
            try:
                readings.append((index, health.parse_reading(_decode(raw), topic_device_id=topic_device_id)))
            except health.BadTelemetry as exc:
                _reject(outcome, exc.reason, index, str(exc), exc.field)
        self._load_devices({r.device_id for _, r in readings})
        verdicts: list[tuple[DeviceInfo, health.Reading, health.Verdict]] = []
        for index, reading in readings:
            device = self._devices.get(reading.device_id)
            if device is None or device.retired or (visible is not None and device.pk not in visible):
                _reject(outcome, "unknown_device", index, f"unknown device {reading.device_id}", "device_id")
                continue
            verdicts.append((device, reading, health.evaluate(reading, device_class=device.device_class)))
        if verdicts:
            outcome.add(self._apply(verdicts, touch=True))
        return outcome

    def raise_missing_heartbeats(self, devices: Sequence[Device]) -> Outcome:
        """The sweep's entry: raise HEARTBEAT_MISSING for silent devices (parents before children)."""
        self._load_devices([d.pk for d in devices])
        items = []
        for device in devices:
            info = self._devices.get(device.pk)
            if info is None:
                continue
            seen = device.last_seen_at.isoformat() if device.last_seen_at else "never"
            verdict = health.Verdict(present={health.HEARTBEAT_MISSING: f"no telemetry since {seen}"})
            items.append((info, health.Reading(device_id=device.pk), verdict))
        return self._apply(items, touch=False) if items else Outcome()

    # --- the transaction ----------------------------------------------------------------------
    def _apply(
        self, items: list[tuple[DeviceInfo, health.Reading, health.Verdict]], *, touch: bool
    ) -> Outcome:
        # Network equipment first (stable, so each device keeps its message order): a link-down
        # parent exists before the dependants behind it are evaluated in the same batch.
        items.sort(key=lambda item: item[0].device_class != DeviceClass.NETWORK)
        device_ids = {info.pk for info, _, _ in items}
        for info, _, _ in items:
            device_ids.update(self._ancestors(info))
        now = timezone.now()
        with transaction.atomic():
            batch = _Batch(
                now=now,
                standing={
                    (a.device_id, a.fault_code): a
                    for a in Alarm.objects.select_for_update(of=("self",))
                    .select_related("device")
                    .filter(device_id__in=device_ids, state__in=STANDING)
                },
                recent={
                    (a.device_id, a.fault_code): a
                    for a in Alarm.objects.select_related("device")
                    .filter(
                        device_id__in=device_ids, state=AlarmState.CLEARED, cleared_at__gte=now - FLAP_WINDOW
                    )
                    .order_by("cleared_at")
                },
                windows=list(
                    MaintenanceWindow.objects.filter(
                        branch_id__in={info.branch_id for info, _, _ in items},
                        starts_at__lte=now,
                        ends_at__gt=now,
                    )
                ),
            )
            for info, _, verdict in items:
                self._apply_verdict(batch, info, verdict)
            _write_merges(batch)
            if touch:
                self._touch_devices({info.pk for info, _, _ in items}, now)
                self._store_samples(items, now)
        batch.outcome.accepted = len(items) if touch else 0
        TELEMETRY_ACCEPTED.inc(batch.outcome.accepted)
        return batch.outcome

    def _apply_verdict(self, batch: _Batch, info: DeviceInfo, verdict: health.Verdict) -> None:
        for code, detail in verdict.present.items():
            self._present(batch, info, code, detail)
        absent = set(verdict.absent)
        if verdict.error_codes_reported:
            absent.update(
                code
                for (device_id, code) in batch.standing
                if device_id == info.pk and code not in health.BUILTIN_FAULTS and code not in verdict.present
            )
        for code in absent:
            alarm = batch.standing.get((info.pk, code))
            if alarm is not None:
                self._recovered(batch, alarm)

    def _present(self, batch: _Batch, info: DeviceInfo, code: str, detail: str) -> None:
        key = (info.pk, code)
        severity, _description = self._fault(code)
        alarm = batch.standing.get(key)
        if alarm is not None:
            alarm.occurrences += 1
            batch.added[alarm.pk] += 1
            alarm.last_seen_at = batch.now
            alarm.recovering_since = None
            if AlarmSeverity.rank(severity) > AlarmSeverity.rank(alarm.severity):
                alarm.severity = severity
            batch.dirty[alarm.pk] = alarm
            batch.outcome.merged += 1
            return
        previous = batch.recent.pop(key, None)
        if previous is not None:
            self._reopen(batch, previous, detail)
        else:
            self._raise(batch, info, code, detail)

    def _initial_state(self, batch: _Batch, info: DeviceInfo, code: str) -> tuple[str, int | None]:
        if code in health.CONNECTIVITY_CODES:
            for ancestor in self._ancestors(info):  # nearest first
                for parent_code in (health.LINK_DOWN, health.HEARTBEAT_MISSING):
                    found = batch.standing.get((ancestor, parent_code))
                    if found is not None:
                        # A suppressed ancestor already hangs under the top-most down device.
                        top = found.parent_id if found.state == AlarmState.SUPPRESSED else found.pk
                        return AlarmState.SUPPRESSED, top or found.pk
        if _in_window(batch, info):
            return AlarmState.MUTED, None
        return AlarmState.OPEN, None

    def _raise(self, batch: _Batch, info: DeviceInfo, code: str, detail: str) -> None:
        severity, description = self._fault(code)
        state, parent_id = self._initial_state(batch, info, code)
        alarm = Alarm.objects.create(
            device_id=info.pk,
            fault_code=code,
            severity=severity,
            state=state,
            title=f"{description}: {info.asset_tag} {info.name}"[:200],
            detail=detail,
            raised_at=batch.now,
            last_seen_at=batch.now,
            parent_id=parent_id,
        )
        alarm.device = Device(pk=info.pk, branch_id=info.branch_id, asset_tag=info.asset_tag, name=info.name)
        batch.standing[(info.pk, code)] = alarm
        record_event(
            action="devices.raise_alarm",
            actor=None,
            obj=alarm,
            branch_id=info.branch_id,
            after={"fault_code": code, "severity": severity, "state": state, "parent_id": alarm.parent_id},
        )
        ALARMS_RAISED.labels(state).inc()
        batch.outcome.raised.append(alarm.pk)
        if state == AlarmState.OPEN:
            if (
                code in (health.LINK_DOWN, health.HEARTBEAT_MISSING)
                and info.device_class == DeviceClass.NETWORK
            ):
                self._suppress_dependants(batch, info, alarm)
            handover.open_work_order_for_alarm(alarm)

    def _suppress_dependants(self, batch: _Batch, info: DeviceInfo, parent: Alarm) -> None:
        """A link or switch went down: connectivity alarms already standing behind it follow it."""
        descendants = _descendants(info.pk)
        if not descendants:
            return
        Alarm.objects.filter(
            device_id__in=descendants,
            fault_code__in=health.CONNECTIVITY_CODES,
            state__in=(AlarmState.OPEN, AlarmState.MUTED, AlarmState.SUPPRESSED),
        ).update(state=AlarmState.SUPPRESSED, parent=parent)
        for (device_id, code), alarm in batch.standing.items():
            if device_id in descendants and code in health.CONNECTIVITY_CODES and alarm.pk != parent.pk:
                alarm.state, alarm.parent_id = AlarmState.SUPPRESSED, parent.pk

    def _reopen(self, batch: _Batch, alarm: Alarm, detail: str) -> None:
        before = {"state": alarm.state, "reopen_count": alarm.reopen_count}
        alarm.reopen_count += 1
        alarm.flapping = alarm.flapping or alarm.reopen_count >= FLAP_REOPENINGS
        alarm.state = AlarmState.OPEN
        alarm.occurrences += 1
        alarm.last_seen_at = batch.now
        alarm.cleared_at = None
        alarm.clear_reason = ""
        alarm.recovering_since = None
        alarm.detail = detail
        alarm.save()
        batch.standing[(alarm.device_id, alarm.fault_code)] = alarm
        record_event(
            action="devices.reopen_alarm",
            actor=None,
            obj=alarm,
            before=before,
            after={"state": alarm.state, "reopen_count": alarm.reopen_count, "flapping": alarm.flapping},
        )
        ALARMS_RAISED.labels("reopened").inc()
        if alarm.work_order_id is None and not alarm.handover_pending:
            handover.open_work_order_for_alarm(alarm)

    def _recovered(self, batch: _Batch, alarm: Alarm) -> None:
        if alarm.flapping:
            if alarm.recovering_since is None:
                alarm.recovering_since = batch.now
                batch.dirty[alarm.pk] = alarm
                return
            if batch.now - alarm.recovering_since < FLAP_HOLD:
                return
        for cleared in clear_alarm(alarm, now=batch.now, reason="recovered", actor=None):
            key = (cleared.device_id, cleared.fault_code)
            batch.dirty.pop(cleared.pk, None)
            batch.added.pop(cleared.pk, None)
            batch.standing.pop(key, None)
            batch.recent[key] = cleared
            batch.outcome.cleared.append(cleared.pk)

    def _touch_devices(self, device_ids: set[int], now: datetime) -> None:
        """Note the devices as seen; written at most every TOUCH_INTERVAL per device (the heartbeat
        timeout is minutes, so finer writes would only cost)."""
        stale = [pk for pk in device_ids if now - self._last_touch.get(pk, _EPOCH) >= TOUCH_INTERVAL]
        if stale:
            Device.objects.filter(pk__in=stale).update(last_seen_at=now)
            self._last_touch.update(dict.fromkeys(stale, now))

    def _store_samples(
        self, items: list[tuple[DeviceInfo, health.Reading, health.Verdict]], now: datetime
    ) -> None:
        latest: dict[int, health.Reading] = {}
        for info, reading, _ in items:
            latest[info.pk] = reading
        samples = []
        for device_id, reading in latest.items():
            last = self._last_sample.get(device_id)
            if last is not None and now - last < SAMPLE_INTERVAL:
                continue
            self._last_sample[device_id] = now
            samples.append(
                TelemetrySample(
                    device_id=device_id,
                    received_at=now,
                    cash_level=reading.cash_level,
                    temperature=reading.temperature,
                    card_reader_ok=reading.card_reader_ok,
                    printer_ok=None if reading.printer is None else reading.printer == "ok",
                    network_ok=reading.network_ok,
                    error_codes=reading.error_codes or [],
                )
            )
        TelemetrySample.objects.bulk_create(samples)


def _write_merges(batch: _Batch) -> None:
    """One statement per merged alarm, executed as a batch; occurrences are added, not overwritten,
    so a concurrent writer (the HTTP endpoint, another bridge) never loses a count."""
    if not batch.dirty:
        return
    table = Alarm._meta.db_table
    seen_field = Alarm._meta.get_field("last_seen_at")
    recovering_field = Alarm._meta.get_field("recovering_since")
    rows = [
        (
            batch.added.get(a.pk, 0),
            seen_field.get_db_prep_value(a.last_seen_at, connection),
            a.severity,
            recovering_field.get_db_prep_value(a.recovering_since, connection),
            a.pk,
        )
        for a in batch.dirty.values()
    ]
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET occurrences = occurrences + %s, last_seen_at = %s, severity = %s, "  # noqa: S608
            "recovering_since = %s WHERE id = %s",
            rows,
        )


def _decode(raw: Any) -> Any:
    if isinstance(raw, dict):
        return raw
    try:
        return json.loads(raw)
    except (ValueError, TypeError, UnicodeDecodeError):
        raise health.BadTelemetry("malformed", "the message is not JSON") from None


def _reject(outcome: Outcome, reason: str, index: int, message: str, field_name: str) -> None:
    TELEMETRY_REJECTED.labels(reason).inc()
    outcome.rejected[reason] += 1
    if len(outcome.errors) < 100:
        outcome.errors.append(
            {"index": str(index), "reason": reason, "field": field_name, "message": message}
        )


def _in_window(batch: _Batch, info: DeviceInfo) -> bool:
    return any(
        w.branch_id == info.branch_id and (w.device_id is None or w.device_id == info.pk)
        for w in batch.windows
    )


def _descendants(device_id: int) -> set[int]:
    found: set[int] = set()
    frontier = {device_id}
    while frontier:
        frontier = set(Device.objects.filter(upstream_id__in=frontier).values_list("pk", flat=True)) - found
        found |= frontier
    return found


def clear_alarm(alarm: Alarm, *, now: datetime, reason: str, actor: Any) -> list[Alarm]:
    """Clear one standing alarm and the alarms suppressed under it; audited; listeners told.

    Returns every alarm cleared (the given one first).
    """
    before = {"state": alarm.state}
    alarm.state = AlarmState.CLEARED
    alarm.cleared_at = now
    alarm.clear_reason = reason[:200]
    alarm.recovering_since = None
    alarm.cleared_by = user_of(actor)
    alarm.save()
    record_event(
        action="devices.clear_alarm",
        actor=actor,
        obj=alarm,
        before=before,
        after={"state": alarm.state, "reason": alarm.clear_reason},
    )
    ALARMS_CLEARED.inc()
    if alarm.work_order_id is not None or alarm.handover_pending:
        handover.notify_alarm_cleared(alarm)
    cleared = [alarm]
    children = list(Alarm.objects.select_related("device").filter(parent=alarm, state=AlarmState.SUPPRESSED))
    for child in children:
        # The parent spoke for them; a device still at fault after its uplink returns raises anew.
        cleared.extend(clear_alarm(child, now=now, reason="upstream recovered", actor=actor))
    return cleared


def standing_connectivity_parents(device_ids: Iterable[int]) -> Q:
    """Filter for standing parent alarms (used by the console to show what a child hangs under)."""
    return Q(device_id__in=list(device_ids), fault_code__in=health.CONNECTIVITY_CODES, state__in=STANDING)
