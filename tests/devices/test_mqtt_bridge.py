"""Integration with the real Mosquitto broker on 127.0.0.1:1883 (R2.5 "what must hold")."""

from __future__ import annotations

import json
import uuid

import paho.mqtt.client as mqtt
import pytest

from bastion.devices import handover
from bastion.devices.bridge import BrokerAddress, TelemetryBridge, topic_for
from bastion.devices.choices import DeviceClass
from bastion.devices.models import Alarm, MaintenanceWindow
from tests.conftest import require_service
from tests.devices.helpers import make_device


@pytest.fixture
def mqtt_pair(monkeypatch):
    """A bridge on a private topic prefix (parallel runs share the broker) and a publisher."""
    require_service("mqtt")
    monkeypatch.setattr(handover, "_work_order_opener", [])
    opened: list[handover.AlarmTicket] = []
    handover.register_work_order_opener(lambda t: opened.append(t) or len(opened))
    prefix = f"test-{uuid.uuid4().hex[:10]}/bastion"
    bridge = TelemetryBridge(BrokerAddress.from_url("mqtt://127.0.0.1:1883"), prefix=prefix, batch_wait=0.02)
    bridge.start()
    publisher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"pub-{uuid.uuid4().hex[:8]}")
    publisher.connect("127.0.0.1", 1883)
    publisher.loop_start()

    def publish(device, payload, *, raw: bytes | None = None, topic: str | None = None):
        body = raw if raw is not None else json.dumps({"device_id": device.pk, **payload}).encode()
        publisher.publish(topic or topic_for(device.pk, prefix=prefix), body, qos=1).wait_for_publish(5)

    yield bridge, publish, opened, prefix
    publisher.loop_stop()
    publisher.disconnect()
    bridge.stop()


def test_telemetry_through_the_broker(world, clock, mqtt_pair):
    bridge, publish, opened, _prefix = mqtt_pair
    atm = make_device(world.branch_a)
    switch = make_device(world.branch_a, device_class=DeviceClass.NETWORK, name="接入交换机")
    behind = [make_device(world.branch_a, upstream=switch) for _ in range(3)]
    quiet = make_device(world.branch_a, device_class=DeviceClass.KIOSK)

    # Telemetry in, alarm raised.
    publish(atm, {"card_reader": "fault", "cash_level": 60})
    out = bridge.drain(expect=1)
    alarm = Alarm.objects.get(device=atm)
    assert out.accepted == 1 and alarm.state == "open" and alarm.fault_code == "CARD_READER_FAULT"
    assert [t.alarm_id for t in opened] == [alarm.pk]

    # Duplicate merged.
    clock.advance(seconds=20)
    publish(atm, {"card_reader": "fault"})
    publish(atm, {"card_reader": "fault"})
    assert bridge.drain(expect=2).merged == 2
    alarm.refresh_from_db()
    assert alarm.occurrences == 3 and Alarm.objects.filter(device=atm).count() == 1 and len(opened) == 1

    # Recovery clears it.
    publish(atm, {"card_reader": "ok"})
    bridge.drain(expect=1)
    alarm.refresh_from_db()
    assert alarm.state == "cleared"

    # Link down: one parent alarm, the devices behind it suppressed under it.
    publish(switch, {"network": "down"})
    for device in behind:
        publish(device, {"network": "down"})
    bridge.drain(expect=4)
    parent = Alarm.objects.get(device=switch)
    assert parent.fault_code == "LINK_DOWN" and parent.state == "open"
    assert Alarm.objects.filter(parent=parent, state="suppressed").count() == 3
    assert Alarm.objects.filter(state="open").count() == 1
    assert [t.fault_code for t in opened] == ["CARD_READER_FAULT", "LINK_DOWN"]

    # Maintenance window mutes.
    MaintenanceWindow.objects.create(
        branch=world.branch_a,
        device=quiet,
        starts_at=clock(),
        ends_at=clock().replace(hour=5),
        reason="季度维护",
    )
    publish(quiet, {"printer": "fault"})
    bridge.drain(expect=1)
    assert Alarm.objects.get(device=quiet).state == "muted" and len(opened) == 2


def test_bad_telemetry_is_counted_and_the_bridge_carries_on(world, clock, mqtt_pair):
    bridge, publish, _opened, prefix = mqtt_pair
    atm = make_device(world.branch_a)
    publish(atm, {}, raw=b"\xff\xfe not json")
    publish(atm, {"temperature": 1e9})
    publish(atm, {}, topic=f"{prefix}/devices/abc/telemetry")
    publish(
        atm,
        {},
        raw=json.dumps({"device_id": atm.pk + 1000}).encode(),
        topic=topic_for(atm.pk + 1000, prefix=prefix),
    )
    publish(atm, {"card_reader": "fault"})
    out = bridge.drain(expect=5)
    assert out.rejected == {"malformed": 1, "absurd_value": 1, "bad_topic": 1, "unknown_device": 1}
    assert out.accepted == 1 and len(out.raised) == 1


def test_an_evaluation_error_never_stops_the_bridge(world, monkeypatch):
    bridge = TelemetryBridge(BrokerAddress.from_url("mqtt://127.0.0.1:1883"))

    def broken(messages):
        raise RuntimeError("database went away")

    monkeypatch.setattr(bridge.evaluator, "process", broken)
    out = bridge.process_batch(
        [("bastion/devices/1/telemetry", b"{}"), ("bastion/devices/2/telemetry", b"{}")]
    )
    assert out.rejected == {"evaluation_error": 2}
    monkeypatch.undo()
    atm = make_device(world.branch_a)
    out = bridge.process_batch([(topic_for(atm.pk), json.dumps({"device_id": atm.pk}).encode())])
    assert out.accepted == 1


def test_broker_url_parsing():
    address = BrokerAddress.from_url("mqtts://bridge:s%40cret@mq.bank.local")
    assert (address.host, address.port, address.username, address.password, address.tls) == (
        "mq.bank.local",
        8883,
        "bridge",
        "s@cret",
        True,
    )
    with pytest.raises(ValueError):
        BrokerAddress.from_url("http://mq.bank.local")
