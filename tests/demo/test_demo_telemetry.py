"""The demo's telemetry simulator over the real MQTT broker, read by the real bridge."""

from __future__ import annotations

import uuid

import pytest

from bastion.demo import telemetry
from bastion.devices import handover
from bastion.devices.actions.alarms import TelemetryEvaluator
from bastion.devices.bridge import BrokerAddress, TelemetryBridge
from bastion.devices.choices import AlarmState, DeviceClass
from bastion.devices.models import Alarm, Device
from tests.conftest import require_service
from tests.devices.helpers import make_device


@pytest.fixture
def bridge(monkeypatch):
    require_service("mqtt")
    monkeypatch.setattr(handover, "_work_order_opener", [])
    prefix = f"test-{uuid.uuid4().hex[:10]}/bastion"
    bridge = TelemetryBridge(BrokerAddress.from_url("mqtt://127.0.0.1:1883"), prefix=prefix, batch_wait=0.02)
    bridge.start()
    yield bridge, prefix
    bridge.stop()


def test_simulated_fleet_reports_over_mqtt_and_keeps_standing_faults(world, bridge):
    bridge, prefix = bridge
    switch = make_device(world.branch_a, device_class=DeviceClass.NETWORK, name="自助区交换机")
    atms = [make_device(world.branch_a, upstream=switch) for _ in range(4)]
    make_device(world.branch_a, device_class=DeviceClass.SMART_COUNTER, name="智能柜台")
    make_device(world.branch_b, device_class=DeviceClass.POS, name="柜面 POS")
    TelemetryEvaluator().process([(atms[0].pk, {"device_id": atms[0].pk, "card_reader": "fault"})])
    standing = Alarm.objects.get(device=atms[0])
    rounds = iter([False, False, True])
    lines: list[str] = []

    sent = telemetry.run(
        interval=0,
        address=BrokerAddress.from_url("mqtt://127.0.0.1:1883"),
        stop=lambda: next(rounds),
        report=lines.append,
        prefix=prefix,
        sleep=lambda seconds: None,
    )
    fleet = Device.objects.count()
    assert sent == 2 * fleet and len(lines) == 2
    outcome = bridge.drain(expect=sent, timeout=20)
    assert outcome.accepted == sent and not outcome.rejected
    assert Device.objects.filter(last_seen_at__isnull=True).count() == 0
    standing.refresh_from_db()
    assert standing.state == AlarmState.OPEN and standing.occurrences >= 3  # still reported, merged
