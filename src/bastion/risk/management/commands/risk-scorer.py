"""``bastion risk-scorer``: the single owner of the feature state behind the Decision API."""

from __future__ import annotations

import gc
import signal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bastion.risk import conf
from bastion.risk.scorer import PartitionOwner
from bastion.risk.transport import ScorerServer, parse_address


class Command(BaseCommand):
    help = "Score payments for the web processes on BASTION_RISK_SCORER (default unix:$BASTION_HOME/risk-scorer.sock)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--address", help="unix:/path or tcp:host:port (default: BASTION_RISK_SCORER)")
        parser.add_argument("--max-batch", type=int, default=512, help="payments per group commit")

    def handle(self, *args: Any, **options: Any) -> None:
        address = options["address"] or conf.scorer_address()
        if address == "inline":
            raise CommandError("BASTION_RISK_SCORER=inline needs no scorer process; give --address")
        try:
            parse_address(address)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options["max_batch"] < 1:
            raise CommandError("--max-batch must be at least 1")
        owner = PartitionOwner()
        owner.load()
        # The state is long-lived and acyclic: keep the cyclic collector from walking it again.
        gc.collect()
        gc.freeze()
        try:
            server = ScorerServer(owner, address, max_batch=options["max_batch"])
        except OSError as exc:
            raise CommandError(f"cannot listen on {address}: {exc}") from exc
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: server.stop.set())
        self.stdout.write(
            f"risk scorer listening on {address} (partitions 0-{owner.count - 1}, rule set v{owner.ruleset_number})"
        )
        self.stdout.flush()
        server.serve()
        self.stdout.write(f"risk scorer stopped after {server.decided} payments")
