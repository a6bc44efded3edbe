"""``bastion audit verify`` and ``bastion audit checkpoint``: check the chain, print its head to anchor."""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from bastion.audit.chain import format_time
from bastion.audit.models import AuditEvent
from bastion.audit.services import Checkpoint, VerificationResult, chain_head, verify_chain

EXIT_BROKEN = 1


def _checkpoint(text: str) -> Checkpoint:
    try:
        return Checkpoint.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


class Command(BaseCommand):
    help = "Verify the audit hash chain, or print its head for anchoring outside the database."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="subcommand", required=True, metavar="{verify,checkpoint}")
        verify = commands.add_parser(
            "verify",
            help="recompute the whole chain; exit 1 naming the first bad sequence number",
        )
        verify.add_argument(
            "--from-checkpoint",
            dest="checkpoints",
            action="append",
            type=_checkpoint,
            default=[],
            metavar="SEQ:HASH",
            help="also require a previously anchored head to still be in the chain (repeatable)",
        )
        verify.add_argument("--json", action="store_true", help="print the result as JSON")
        verify.add_argument("--batch-size", type=int, default=5000, help="rows read per query")
        checkpoint = commands.add_parser("checkpoint", help="verify, then print the head seq and hash")
        checkpoint.add_argument("--json", action="store_true", help="print the checkpoint as JSON")
        checkpoint.add_argument(
            "--no-verify",
            action="store_true",
            help="print the head without verifying the chain first (never anchor such a head)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "verify":
            self._verify(options)
        else:
            self._checkpoint(options)

    def _verify(self, options: dict[str, Any]) -> None:
        if options["batch_size"] < 1:
            raise CommandError(_("--batch-size must be at least 1"))
        result = self._run_verification(options["checkpoints"], options["batch_size"])
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False))
        elif result.ok:
            self.stdout.write(self.style.SUCCESS(result.message))
            for anchored in result.checkpoints:
                self.stdout.write(
                    _("checkpoint %(seq)s present with its anchored hash") % {"seq": anchored.seq}
                )
        if not result.ok:
            raise CommandError(
                _("chain broken at seq %(seq)s: %(message)s")
                % {"seq": result.first_bad_seq, "message": result.message},
                returncode=EXIT_BROKEN,
            )

    def _checkpoint(self, options: dict[str, Any]) -> None:
        if not options["no_verify"]:
            result = self._run_verification([], 5000)
            if not result.ok:
                raise CommandError(
                    _("refusing to print a checkpoint of a broken chain: seq %(seq)s: %(message)s")
                    % {"seq": result.first_bad_seq, "message": result.message},
                    returncode=EXIT_BROKEN,
                )
        head = chain_head()
        if options["json"]:
            payload = {**head.as_dict(), "taken_at": format_time(timezone.now())}
            payload["verified"] = not options["no_verify"]
            self.stdout.write(json.dumps(payload, ensure_ascii=False))
        else:
            self.stdout.write(f"{head.seq}:{head.row_hash}")

    def _run_verification(self, checkpoints: list[Checkpoint], batch_size: int) -> VerificationResult:
        progress, on_progress = self._progress_bar()
        with progress:
            return verify_chain(checkpoints=checkpoints, batch_size=batch_size, on_progress=on_progress)

    def _progress_bar(self) -> tuple[AbstractContextManager[Any], Any]:
        """A rich progress bar on stderr when a person watches a terminal; nothing otherwise."""
        if not sys.stderr.isatty():
            return nullcontext(), None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        bar = Progress(
            _("verifying audit chain"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        task = bar.add_task("verify", total=AuditEvent.objects.count())
        return bar, lambda done: bar.update(task, completed=done)
