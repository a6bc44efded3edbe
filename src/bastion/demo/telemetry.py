"""Demo telemetry simulator: keeps the demo fleet reporting while ``bastion demo --serve`` runs.

Every ``interval`` seconds each device in service sends one message like a real one: cash falls
between refills, cabinets warm up in the afternoon, and now and then a device has a short fault
(card reader, printer, a jammed dispenser) that clears itself a few rounds later, so alarms are
raised, merged and cleared in front of the user. Faults that stand when it starts (the demo's
alarms, the down switch) keep being reported, so they stay until someone works on them.

With a reachable MQTT broker (``BASTION_MQTT_URL``, default mqtt://127.0.0.1:1883) the messages go
over MQTT to ``bastion telemetry-bridge``, which the demo starts beside it; without one they go
straight to the telemetry evaluator, the same code the bridge calls. Demo only: a real fleet
reports by itself.
"""

from __future__ import annotations

import json
import math
import random
import socket
import time
from collections.abc import Callable
from typing import Any

from bastion.devices.bridge import BrokerAddress, topic_for
from bastion.devices.choices import AlarmState, DeviceClass, LifecycleState
from bastion.devices.models import Alarm, Device

TRANSIENT_FAULTS: dict[str, list[dict[str, Any]]] = {
    DeviceClass.ATM: [{"card_reader": "fault"}, {"printer": "fault"}, {"error_codes": ["E_DISPENSER_JAM"]}],
    DeviceClass.CASH_RECYCLER: [{"error_codes": ["E_DEPOSIT_JAM"]}, {"printer": "paper_low"}],
    DeviceClass.SMART_COUNTER: [{"error_codes": ["E_TOUCHSCREEN_FAULT"]}, {"printer": "fault"}],
    DeviceClass.KIOSK: [{"printer": "fault"}],
}
FAULT_CHANCE = 1 / 1500  # per device and round: a few new faults an hour across the demo fleet
CASH_REFILL_BELOW = 15  # the cash-in-transit round refills before the CASH_LOW threshold


def broker_reachable(address: BrokerAddress, *, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((address.host, address.port), timeout=timeout):
            return True
    except OSError:
        return False


class FleetSimulator:
    """The state of every simulated device, and one round of messages from it."""

    def __init__(self, *, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.cash: dict[int, int] = {}
        self.transient: dict[int, tuple[dict[str, Any], int]] = {}
        self.devices: list[Device] = []
        # Faults standing at the start keep being reported, until someone clears them by hand.
        self.standing: set[tuple[int, str]] = _active()
        self.reload()

    def reload(self) -> None:
        """Pick up the fleet, and forget standing faults cleared meanwhile (every few minutes)."""
        self.devices = list(
            Device.objects.filter(lifecycle_state=LifecycleState.IN_SERVICE).only("pk", "device_class")
        )
        self.standing &= _active()

    def round(self, now: float) -> list[tuple[int, dict[str, Any]]]:
        return [(d.pk, self._message(d, now)) for d in self.devices]

    def _message(self, device: Device, now: float) -> dict[str, Any]:
        rng = self.rng
        kind = device.device_class
        payload: dict[str, Any] = {"device_id": device.pk, "network": "ok"}
        if kind in (DeviceClass.ATM, DeviceClass.CASH_RECYCLER):
            level = self.cash.get(device.pk, rng.randint(40, 95)) - rng.choice((0, 0, 1))
            self.cash[device.pk] = 100 if level < CASH_REFILL_BELOW else level
            payload.update(cash_level=self.cash[device.pk], card_reader="ok", printer="ok")
        elif kind in (DeviceClass.SMART_COUNTER, DeviceClass.KIOSK):
            payload.update(printer="ok")
        if kind not in (DeviceClass.POS, DeviceClass.NETWORK):
            hour = (now / 3600 + 8) % 24  # China time
            payload["temperature"] = round(31 + 3 * _afternoon(hour) + rng.uniform(-0.5, 0.5), 1)
        fault, rounds_left = self.transient.get(device.pk, ({}, 0))
        if rounds_left:
            self.transient[device.pk] = (fault, rounds_left - 1)
            payload.update(fault)
        elif device.pk in self.transient:
            del self.transient[device.pk]  # recovered: this message clears the alarm
        elif kind in TRANSIENT_FAULTS and rng.random() < FAULT_CHANCE:
            self.transient[device.pk] = (rng.choice(TRANSIENT_FAULTS[kind]), rng.randint(3, 12))
        for device_id, code in self.standing:
            if device_id == device.pk:
                payload.update(_payload_for(code))
        return payload


def _active() -> set[tuple[int, str]]:
    return set(Alarm.objects.filter(state__in=AlarmState.active()).values_list("device_id", "fault_code"))


def _afternoon(hour: float) -> float:
    return math.sin((hour - 9) / 24 * 2 * math.pi)


def _payload_for(code: str) -> dict[str, Any]:
    """The reading that keeps a standing fault standing."""
    readings: dict[str, dict[str, Any]] = {
        "CARD_READER_FAULT": {"card_reader": "fault"},
        "PRINTER_FAULT": {"printer": "fault"},
        "PRINTER_PAPER_LOW": {"printer": "paper_low"},
        "CASH_LOW": {"cash_level": 6},
        "TEMPERATURE_HIGH": {"temperature": 47.5},
        "LINK_DOWN": {"network": "down"},
        "NETWORK_DOWN": {"network": "down"},
        "HEARTBEAT_MISSING": {},
    }
    return readings.get(code, {"error_codes": [code]} if code.startswith("E_") else {})


def run(
    *,
    interval: float,
    address: BrokerAddress | None,
    stop: Callable[[], bool],
    report: Callable[[str], None],
    prefix: str = "bastion",
    sleep: Callable[[float], Any] = time.sleep,
) -> int:
    """Send rounds until ``stop()``; over MQTT when ``address`` is given. Returns messages sent."""
    simulator = FleetSimulator()
    publish = _mqtt_publisher(address, prefix) if address is not None else _direct_publisher()
    sent, last_reload = 0, time.monotonic()
    while not stop():
        started = time.monotonic()
        if started - last_reload > 300:
            simulator.reload()
            last_reload = started
        messages = simulator.round(time.time())
        publish(messages)
        sent += len(messages)
        report(f"{time.strftime('%H:%M:%S')} sent {len(messages)} telemetry messages ({sent} in all)")
        sleep(max(0.0, interval - (time.monotonic() - started)))
    return sent


def _mqtt_publisher(
    address: BrokerAddress, prefix: str
) -> Callable[[list[tuple[int, dict[str, Any]]]], None]:
    import paho.mqtt.client as mqtt

    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2, client_id=f"bastion-demo-fleet-{time.time_ns() % 10**6}"
    )
    if address.username:
        client.username_pw_set(address.username, address.password)
    if address.tls:
        client.tls_set()
    client.connect(address.host, address.port)
    client.loop_start()

    def publish(messages: list[tuple[int, dict[str, Any]]]) -> None:
        for device_id, payload in messages:
            client.publish(topic_for(device_id, prefix=prefix), json.dumps(payload), qos=1)

    return publish


def _direct_publisher() -> Callable[[list[tuple[int, dict[str, Any]]]], None]:
    from bastion.devices.actions.alarms import TelemetryEvaluator

    evaluator = TelemetryEvaluator()

    def publish(messages: list[tuple[int, dict[str, Any]]]) -> None:
        evaluator.process([(device_id, payload) for device_id, payload in messages])

    return publish
