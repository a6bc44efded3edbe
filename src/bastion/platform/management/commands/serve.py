"""``bastion serve``: the production web server (gunicorn), never Django's development server."""

from __future__ import annotations

import os
import shutil
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

from bastion.platform.metrics import MULTIPROC_ENV, multiprocess_directory, prepare_multiprocess_directory


def default_workers() -> int:
    """Two per CPU plus one, capped: each gthread worker already serves several requests at once."""
    return min(2 * (os.cpu_count() or 1) + 1, 8)


class Command(BaseCommand):
    help = (
        "Serve Bastion with gunicorn: collects static files, checks migrations, then replaces this "
        "process with the gunicorn master (JSON access log, graceful restarts, multiprocess metrics)."
    )
    requires_system_checks = "__all__"

    def add_arguments(self, parser: CommandParser) -> None:
        env = os.environ.get
        parser.add_argument(
            "--bind", default=env("BASTION_BIND", "127.0.0.1:8000"), help="host:port or unix:PATH"
        )
        parser.add_argument("--workers", type=int, default=int(env("BASTION_WEB_WORKERS", "0")) or None)
        parser.add_argument("--threads", type=int, default=int(env("BASTION_WEB_THREADS", "4")))
        parser.add_argument("--timeout", type=int, default=int(env("BASTION_WEB_TIMEOUT", "60")))
        parser.add_argument(
            "--graceful-timeout", type=int, default=int(env("BASTION_WEB_GRACEFUL_TIMEOUT", "30"))
        )
        parser.add_argument("--no-collectstatic", action="store_true", help="skip collecting static files")
        parser.add_argument(
            "--print-command", action="store_true", help="print the gunicorn command line and exit"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        workers = options["workers"] or default_workers()
        for name in ("workers", "threads", "timeout", "graceful_timeout"):
            value = workers if name == "workers" else options[name]
            if value < 1:
                raise CommandError(f"--{name.replace('_', '-')} must be at least 1")
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            "python:bastion.platform.gunicorn_conf",
            "--bind",
            options["bind"],
            "--workers",
            str(workers),
            "--threads",
            str(options["threads"]),
            "--timeout",
            str(options["timeout"]),
            "--graceful-timeout",
            str(options["graceful_timeout"]),
            "bastion.wsgi:application",
        ]
        if options["print_command"]:
            self.stdout.write(" ".join(argv))
            return
        self._refuse_unapplied_migrations()
        if not options["no_collectstatic"]:
            call_command("collectstatic", interactive=False, verbosity=0)
        environment = self._environment()
        self.stdout.write(f"Bastion: gunicorn on {options['bind']} with {workers} worker(s)")
        self.stdout.flush()
        sys.stdout.flush()
        sys.stderr.flush()
        # exec, not a child: the service manager's signals (TERM = graceful stop, HUP = reload) reach
        # the gunicorn master directly, and there is no idle parent left holding memory.
        os.execve(sys.executable, argv, environment)  # noqa: S606 - argv is built here, no shell

    def _refuse_unapplied_migrations(self) -> None:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if pending:
            raise CommandError(
                f"{len(pending)} migration(s) not applied; run `bastion migrate` before serving"
            )

    def _environment(self) -> dict[str, str]:
        environment = dict(os.environ)
        environment.setdefault("DJANGO_SETTINGS_MODULE", "bastion.settings")
        # The data directory must be the same for the workers, whatever their working directory.
        environment["BASTION_HOME"] = str(settings.BASTION_HOME)
        metrics_dir = multiprocess_directory(settings.BASTION_HOME)
        prepare_multiprocess_directory(metrics_dir)
        environment[MULTIPROC_ENV] = str(metrics_dir)
        if shutil.which("gunicorn", path=os.path.dirname(sys.executable)) is None:
            self.stderr.write("gunicorn is not installed next to this Python; run `make install`")
        return environment
