"""``bastion risk-worker --partition N``: decide one partition's payments from NATS JetStream."""

from __future__ import annotations

import asyncio
import gc
import signal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bastion.risk import conf
from bastion.risk.stream import StreamWorker


class Command(BaseCommand):
    help = "Durable pull consumer of one payment partition (BASTION_NATS_URL, BASTION_RISK_PARTITIONS)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--partition", type=int, required=True, help="0 .. BASTION_RISK_PARTITIONS-1")
        parser.add_argument("--batch", type=int, default=500, help="payments fetched and stored together")
        parser.add_argument("--url", help="nats://host:4222 (default: BASTION_NATS_URL)")

    def handle(self, *args: Any, **options: Any) -> None:
        count = conf.partitions()
        if not 0 <= options["partition"] < count:
            raise CommandError(
                f"--partition must be between 0 and {count - 1} (BASTION_RISK_PARTITIONS={count})"
            )
        if options["batch"] < 1:
            raise CommandError("--batch must be at least 1")
        worker = StreamWorker(options["partition"], batch=options["batch"], url=options["url"])
        asyncio.run(self._run(worker))
        self.stdout.write(f"risk worker {worker.partition} stopped after {worker.decided} payments")

    async def _run(self, worker: StreamWorker) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        gc.freeze()
        self.stdout.write(f"risk worker for partition {worker.partition} of {conf.partitions()} starting")
        self.stdout.flush()
        try:
            await worker.run(stop)
        except OSError as exc:
            raise CommandError(f"cannot reach NATS at {worker.url}: {exc}") from exc
