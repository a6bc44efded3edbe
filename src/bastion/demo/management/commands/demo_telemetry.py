"""``bastion demo_telemetry``: the demo fleet's telemetry simulator (see bastion.demo.telemetry)."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from bastion.demo import telemetry
from bastion.devices.bridge import BrokerAddress


class Command(BaseCommand):
    help = (
        "Simulate the demo fleet's telemetry: over MQTT to `bastion telemetry-bridge` when the broker "
        "(BASTION_MQTT_URL) answers, else straight to the telemetry evaluator. Demo only."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=30.0, help="seconds between rounds")
        parser.add_argument("--direct", action="store_true", help="skip MQTT, call the evaluator")
        parser.add_argument("--rounds", type=int, default=0, help="stop after this many rounds (0: never)")

    def handle(self, *args: Any, **options: Any) -> None:
        address: BrokerAddress | None = BrokerAddress.from_environment()
        if options["direct"] or (address is not None and not telemetry.broker_reachable(address)):
            address = None
        self.stdout.write(
            f"demo telemetry over MQTT to {address.host}:{address.port}"
            if address
            else "demo telemetry straight to the evaluator (no MQTT broker)"
        )
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        rounds = [0]

        def finished() -> bool:
            rounds[0] += 1
            return stop.is_set() or bool(options["rounds"] and rounds[0] > options["rounds"])

        telemetry.run(
            interval=options["interval"],
            address=address,
            stop=finished,
            report=lambda line: self.stdout.write(line) if options["verbosity"] > 1 else None,
            sleep=stop.wait,
        )
