"""Alarm evaluation: raise, merge, clear, flapping, maintenance windows, link-down parents, sweep."""

from __future__ import annotations

import pytest

from bastion.audit.models import AuditEvent
from bastion.devices import handover
from bastion.devices.actions.alarms import TelemetryEvaluator
from bastion.devices.actions.sweep import (
    open_alarms_after_windows,
    raise_missing_heartbeats,
    retry_pending_handovers,
    sweep,
)
from bastion.devices.choices import AlarmState, DeviceClass
from bastion.devices.metrics import TELEMETRY_REJECTED
from bastion.devices.models import Alarm, MaintenanceWindow, TelemetrySample
from tests.devices.helpers import make_device


@pytest.fixture
def opener(monkeypatch):
    """A recording work-order opener standing in for the service desk's registration."""
    monkeypatch.setattr(handover, "_work_order_opener", [])
    monkeypatch.setattr(handover, "_cleared_listeners", [])
    opened: list[handover.AlarmTicket] = []
    cleared: list[tuple[int, int | None]] = []

    def open_order(ticket):
        opened.append(ticket)
        return 1000 + len(opened)

    handover.register_work_order_opener(open_order)
    handover.register_alarm_cleared_listener(lambda ticket, wo: cleared.append((ticket.alarm_id, wo)))
    return opened, cleared


def send(evaluator, device, **payload):
    return evaluator.process([(device.pk, {"device_id": device.pk, **payload})])


def test_fault_raises_one_alarm_merges_repeats_and_clears_on_recovery(world, clock, opener):
    opened, cleared = opener
    atm = make_device(world.branch_a)
    ev = TelemetryEvaluator()
    out = send(ev, atm, card_reader="fault", cash_level=50)
    assert len(out.raised) == 1 and out.accepted == 1
    alarm = Alarm.objects.get()
    assert (alarm.fault_code, alarm.state, alarm.severity) == ("CARD_READER_FAULT", "open", "major")
    assert alarm.work_order_id == 1001 and opened[0].device_id == atm.pk
    clock.advance(seconds=30)
    for _ in range(3):
        out = send(ev, atm, card_reader="fault")
        assert out.merged == 1 and not out.raised
    alarm.refresh_from_db()
    assert alarm.occurrences == 4 and Alarm.objects.count() == 1 and len(opened) == 1
    clock.advance(seconds=30)
    out = send(ev, atm, card_reader="ok")
    alarm.refresh_from_db()
    assert out.cleared == [alarm.pk] and alarm.state == "cleared" and alarm.clear_reason == "recovered"
    assert cleared == [(alarm.pk, 1001)]
    assert AuditEvent.objects.filter(action="devices.raise_alarm", object_id=str(alarm.pk)).exists()
    assert AuditEvent.objects.filter(action="devices.clear_alarm", object_id=str(alarm.pk)).exists()
    atm.refresh_from_db()
    assert atm.last_seen_at == clock()
    # One stored sample per device per minute, however many messages.
    assert TelemetrySample.objects.filter(device=atm).count() == 2


def test_thresholds_and_device_error_codes(world, clock, opener):
    atm = make_device(world.branch_a)
    pos = make_device(world.branch_a, device_class=DeviceClass.POS)
    ev = TelemetryEvaluator()
    send(ev, atm, cash_level=5, temperature=51.2, error_codes=["E_DISPENSER_JAM"])
    send(ev, pos, cash_level=5)  # POS terminals hold no cash: no CASH_LOW
    codes = set(Alarm.objects.values_list("fault_code", flat=True))
    assert codes == {"CASH_LOW", "TEMPERATURE_HIGH", "E_DISPENSER_JAM"}
    send(ev, atm, error_codes=[])
    assert set(Alarm.objects.filter(state="open").values_list("fault_code", flat=True)) == {
        "CASH_LOW",
        "TEMPERATURE_HIGH",
    }


def test_bad_telemetry_is_rejected_and_counted(world, clock):
    atm = make_device(world.branch_a)
    ev = TelemetryEvaluator()
    before = TELEMETRY_REJECTED.labels("absurd_value")._value.get()
    out = ev.process(
        [
            (None, b"{not json"),
            (None, "[1, 2]"),
            (atm.pk, {"device_id": atm.pk, "temperature": 900}),
            (atm.pk, {"device_id": atm.pk, "cash_level": -3}),
            (None, {"device_id": 999999, "card_reader": "ok"}),
            (atm.pk, {"device_id": atm.pk + 1}),
            (atm.pk, {"device_id": atm.pk, "printer": "on fire"}),
            (atm.pk, {"device_id": atm.pk, "card_reader": "ok"}),
        ]
    )
    assert out.accepted == 1
    assert out.rejected == {"malformed": 2, "absurd_value": 2, "unknown_device": 1, "invalid_value": 2}
    assert TELEMETRY_REJECTED.labels("absurd_value")._value.get() == before + 2
    assert not Alarm.objects.exists()


def test_flapping_reopens_the_same_alarm_and_holds_the_clear(world, clock, opener):
    opened, _ = opener
    atm = make_device(world.branch_a)
    ev = TelemetryEvaluator()
    for _ in range(4):
        send(ev, atm, printer="fault")
        clock.advance(minutes=1)
        send(ev, atm, printer="ok")
        clock.advance(minutes=1)
    alarm = Alarm.objects.get(fault_code="PRINTER_FAULT")
    assert alarm.reopen_count == 3 and alarm.flapping
    assert len([t for t in opened if t.fault_code == "PRINTER_FAULT"]) == 1
    # Flapping: the last "ok" started the hold instead of clearing.
    assert alarm.state == "open" and alarm.recovering_since is not None
    clock.advance(minutes=11)
    assert sweep().flap_cleared == 1
    alarm.refresh_from_db()
    assert alarm.state == "cleared"


def test_maintenance_window_mutes_and_opens_after_it_ends(world, clock, opener):
    opened, _ = opener
    atm = make_device(world.branch_a)
    MaintenanceWindow.objects.create(
        branch=world.branch_a, device=atm, starts_at=clock(), ends_at=clock().replace(hour=4), reason="换钞箱"
    )
    ev = TelemetryEvaluator()
    send(ev, atm, card_reader="fault")
    alarm = Alarm.objects.get()
    assert alarm.state == "muted" and alarm.work_order_id is None and not opened
    clock.advance(hours=3)
    assert open_alarms_after_windows() == 1
    alarm.refresh_from_db()
    assert alarm.state == "open" and alarm.work_order_id is not None and len(opened) == 1


def test_link_down_gives_one_parent_alarm(world, clock, opener):
    opened, _ = opener
    switch = make_device(world.branch_a, device_class=DeviceClass.NETWORK, name="核心交换机")
    behind = [make_device(world.branch_a, upstream=switch) for _ in range(3)]
    ev = TelemetryEvaluator()
    ev.process([(d.pk, {"device_id": d.pk, "network": "down"}) for d in [*behind, switch]])
    parent = Alarm.objects.get(device=switch)
    assert parent.fault_code == "LINK_DOWN" and parent.state == "open"
    children = Alarm.objects.exclude(pk=parent.pk)
    assert children.count() == 3
    assert set(children.values_list("state", "parent_id")) == {("suppressed", parent.pk)}
    assert [t.fault_code for t in opened] == ["LINK_DOWN"]
    # The link returns: the parent and its children clear.
    send(ev, switch, network="ok")
    assert set(Alarm.objects.values_list("state", flat=True)) == {"cleared"}


def test_missing_heartbeat_sweep_parent_first(world, clock, opener):
    opened, _ = opener
    switch = make_device(world.branch_a, device_class=DeviceClass.NETWORK)
    atm = make_device(world.branch_a, upstream=switch)
    lonely = make_device(world.branch_b)
    ev = TelemetryEvaluator()
    ev.process([(d.pk, {"device_id": d.pk}) for d in (switch, atm, lonely)])
    clock.advance(minutes=6)
    assert raise_missing_heartbeats() == 3
    assert Alarm.objects.get(device=atm).state == "suppressed"
    assert {t.device_id for t in opened} == {switch.pk, lonely.pk}
    assert raise_missing_heartbeats() == 0  # no duplicates
    send(ev, lonely)
    assert Alarm.objects.get(device=lonely).state == AlarmState.CLEARED


def test_failed_handover_is_retried(world, clock, monkeypatch):
    monkeypatch.setattr(handover, "_work_order_opener", [])
    calls = []

    def flaky(ticket):
        calls.append(ticket)
        if len(calls) == 1:
            raise RuntimeError("service desk unavailable")
        return 77

    handover.register_work_order_opener(flaky)
    atm = make_device(world.branch_a)
    send(TelemetryEvaluator(), atm, card_reader="fault")
    alarm = Alarm.objects.get()
    assert alarm.handover_pending and alarm.work_order_id is None
    assert retry_pending_handovers() == 1
    alarm.refresh_from_db()
    assert alarm.work_order_id == 77 and not alarm.handover_pending
