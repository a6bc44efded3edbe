"""``bastion telemetry-bridge``: read device telemetry from MQTT and evaluate alarms until stopped."""

from __future__ import annotations

import signal
import threading
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bastion.devices.bridge import BrokerAddress, TelemetryBridge


class Command(BaseCommand):
    help = "Subscribe to bastion/devices/+/telemetry and evaluate device health (BASTION_MQTT_URL)."
    # A long-running reader of the broker: URL and template checks are the web server's business.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", help="mqtt://user:password@host:1883 (default: BASTION_MQTT_URL)")
        parser.add_argument("--batch-size", type=int, default=1000)
        parser.add_argument("--prefix", default="bastion", help="topic prefix: PREFIX/devices/{id}/telemetry")
        parser.add_argument("--report-every", type=float, default=30.0, help="seconds between status lines")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            address = (
                BrokerAddress.from_url(options["url"]) if options["url"] else BrokerAddress.from_environment()
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        bridge = TelemetryBridge(address, batch_size=options["batch_size"], prefix=options["prefix"])
        try:
            bridge.start()
        except (OSError, ConnectionError) as exc:
            raise CommandError(
                f"cannot reach the MQTT broker at {address.host}:{address.port}: {exc}"
            ) from exc
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        self.stdout.write(f"telemetry bridge subscribed on {address.host}:{address.port}")
        worker = threading.Thread(target=bridge.run, args=(stop,), name="telemetry-evaluator", daemon=True)
        worker.start()
        last = 0
        while not stop.wait(options["report_every"]):
            totals = bridge.totals
            rate = (totals.accepted - last) / options["report_every"]
            last = totals.accepted
            self.stdout.write(
                f"{time.strftime('%H:%M:%S')} accepted {totals.accepted} ({rate:.0f}/s), "
                f"rejected {sum(totals.rejected.values())}, alarms raised {len(totals.raised)}, "
                f"cleared {len(totals.cleared)}"
            )
        worker.join(timeout=5)
        bridge.stop()
        self.stdout.write("telemetry bridge stopped")
