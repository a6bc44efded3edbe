"""``bastion aml-train-model``: train a fraud-model version and print its held-out evaluation.

``--synthetic N`` trains on N generated payments with the generator's labels, split by time, so
the evaluation can be reproduced on any machine: the same seed and options print the same metrics
and the same model digest. Without it, the stored payments and their confirmed outcomes are used.
``--no-store`` evaluates only; otherwise the version is stored as "trained", awaiting a second
person's approval.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bastion.platform.cli_context import command_context
from bastion.platform.errors import DomainError

SYNTHETIC_START = dt.date(2026, 1, 5)
SYNTHETIC_DAYS = 30
SHOWN = ("test_rows", "test_positives", "base_rate", "threshold", "precision", "recall", "f1", "pr_auc",
         "roc_auc", "true_positives", "false_positives", "false_negatives", "true_negatives",
         "train_rows", "train_positives", "model_sha256")  # fmt: skip


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(_("Give a date as YYYY-MM-DD.")) from None


class Command(BaseCommand):
    help = (
        "Train a fraud-model version (LightGBM on the engine's features) and print its evaluation on a "
        "held-out period. --synthetic N trains on generated payments, reproducibly."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--synthetic", type=int, metavar="N", help="train on N generated payments")
        parser.add_argument("--seed", type=int, default=0, help="random seed (data and trees)")
        parser.add_argument("--train-from", dest="train_start", help="first training day, YYYY-MM-DD")
        parser.add_argument("--train-to", dest="train_end", help="last training day")
        parser.add_argument("--test-from", dest="test_start", help="first held-out day (after --train-to)")
        parser.add_argument("--test-to", dest="test_end", help="last held-out day")
        parser.add_argument("--trees", type=int, help="boosting rounds (default 150)")
        parser.add_argument("--threshold", type=float, help="probability from which points count (0.5)")
        parser.add_argument("--max-points", type=int, help="points at probability 1 (40)")
        parser.add_argument("--as", dest="username", help="record the version as trained by this user")
        parser.add_argument("--note", default="", help="a note kept with the version")
        parser.add_argument("--no-store", action="store_true", help="evaluate only; store no version")
        parser.add_argument("--json", action="store_true", help="print the evaluation as one JSON line")

    def handle(self, *args: Any, **options: Any) -> None:
        from bastion.aml.fraud.dataset import Periods, synthetic_periods

        console = Console(file=self.stdout._out, width=120, highlight=False)  # type: ignore[arg-type]
        synthetic = options["synthetic"] is not None
        bounds = [options[k] for k in ("train_start", "train_end", "test_start", "test_end")]
        if all(bounds):
            periods = Periods(*(_day(b) for b in bounds))
        elif synthetic and not any(bounds):
            periods = synthetic_periods(start=SYNTHETIC_START, days=SYNTHETIC_DAYS)
        else:
            raise CommandError(_("Give all four of --train-from, --train-to, --test-from and --test-to."))
        settings = {
            key: options[name]
            for key, name in (
                ("num_boost_round", "trees"),
                ("threshold", "threshold"),
                ("max_points", "max_points"),
            )
            if options[name] is not None
        }
        with command_context("aml-train-model"):
            try:
                metrics, timing, number = self._run(console, periods, synthetic, settings, options)
            except DomainError as exc:
                details = [m for ms in exc.fields.values() for m in ms if m != exc.message]
                raise CommandError(" ".join([exc.message, *details])) from exc
        if options["json"]:
            self.stdout.write(json.dumps({k: metrics.get(k) for k in SHOWN}, sort_keys=True))
            return
        self._print(console, metrics, timing, number)

    def _run(
        self,
        console: Console,
        periods: Any,
        synthetic: bool,
        settings: dict[str, Any],
        options: dict[str, Any],
    ) -> tuple[dict[str, Any], dict[str, float], int | None]:
        from bastion.aml.actions.fraud import _options, do_train_fraud_model
        from bastion.aml.services.fraud import fit_model
        from bastion.identity.models import User
        from bastion.risk.actions.decisions import do_ensure_active_ruleset

        actor = None
        if options["username"]:
            actor = User.objects.filter(username=options["username"]).first()
            if actor is None:
                raise CommandError(_("No user %(name)s.") % {"name": options["username"]})
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, disable=options["json"]) as progress:
            tasks: dict[str, Any] = {}
            labels = {"validate": _("Validating payments"), "features": _("Computing features"),
                      "rules": _("Applying rules"), "train": _("Training trees"), "evaluate": _("Evaluating")}  # fmt: skip

            def report(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = progress.add_task(labels.get(stage, stage), total=total)
                progress.update(tasks[stage], completed=done, total=total)

            common = {"synthetic": synthetic, "synthetic_rows": options["synthetic"] or 0,
                      "seed": options["seed"], "progress": report}  # fmt: skip
            if options["no_store"]:
                fitted = fit_model(periods=periods, options=_options(settings),
                                   ruleset=do_ensure_active_ruleset(), **common)  # fmt: skip
                return fitted.result.metrics, fitted.timing, None
            version = do_train_fraud_model(
                train_start=periods.train_start, train_end=periods.train_end, test_start=periods.test_start,
                test_end=periods.test_end, options=settings, note=options["note"], actor=actor, **common,
            )  # fmt: skip
            metrics = dict(version.metrics)
            return metrics, metrics.pop("timing", {}), version.number

    def _print(
        self, console: Console, metrics: dict[str, Any], timing: dict[str, float], number: int | None
    ) -> None:
        table = Table(title=_("Held-out evaluation"), show_header=True)
        table.add_column(_("Measure"))
        table.add_column(_("Value"), justify="right")
        for key in SHOWN:
            value = metrics.get(key)
            table.add_row(key, "—" if value is None else str(value))
        console.print(table)
        top = Table(title=_("Top features by gain"))
        top.add_column(_("Feature"))
        top.add_column(_("Gain"), justify="right")
        top.add_column(_("Splits"), justify="right")
        for item in metrics.get("importances", [])[:10]:
            top.add_row(item["feature"], f"{item['gain']:.1f}", str(item["splits"]))
        console.print(top)
        console.print(
            _("Prepared in %(prepare).1f s, trained and evaluated in %(train).1f s.")
            % {"prepare": timing.get("prepare_s", 0.0), "train": timing.get("train_s", 0.0)}
        )
        if number is not None:
            console.print(
                _(
                    "Stored as version %(number)d (trained): a second person approves it, then it can be put in use."
                )
                % {"number": number}
            )
