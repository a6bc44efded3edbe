"""``bastion worker``: the Huey consumer, which also runs the periodic (crontab) tasks.

There is no separate scheduler process: the consumer with periodic tasks enabled *is* the scheduler.
Run exactly one ``bastion worker`` with periodic tasks (the default) and any further ones with
``--no-periodic``, or every schedule fires once per worker. See docs/decisions/0023-task-queue-huey.md.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Run the task-queue consumer (Huey): background tasks and, unless --no-periodic, schedules."

    def add_arguments(self, parser: CommandParser) -> None:
        env = os.environ.get
        parser.add_argument("--workers", type=int, default=int(env("BASTION_WORKER_THREADS", "4")))
        parser.add_argument(
            "--worker-type", choices=["thread", "process"], default=env("BASTION_WORKER_TYPE", "thread")
        )
        periodic = parser.add_mutually_exclusive_group()
        periodic.add_argument(
            "--periodic",
            dest="periodic",
            action="store_true",
            default=True,
            help="also enqueue periodic (crontab) tasks: this worker is the scheduler (default)",
        )
        periodic.add_argument(
            "--no-periodic",
            dest="periodic",
            action="store_false",
            help="only consume; use for every worker beyond the one that schedules",
        )
        parser.add_argument(
            "--shutdown-timeout",
            type=float,
            default=float(env("BASTION_WORKER_SHUTDOWN_TIMEOUT", "60")),
            help="seconds a graceful stop (SIGTERM or SIGINT) waits for running tasks",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["workers"] < 1:
            raise CommandError("--workers must be at least 1")
        if settings.HUEY.get("immediate"):
            raise CommandError(
                "the task queue runs in immediate mode here (tests); there is nothing to consume"
            )
        queue = settings.HUEY.get("huey_class", "")
        self.stdout.write(
            f"Bastion worker: {queue} queue {settings.HUEY.get('name')!r}, {options['workers']} "
            f"{options['worker_type']} worker(s), periodic tasks {'on' if options['periodic'] else 'off'}"
        )
        call_command(
            "run_huey",
            workers=options["workers"],
            worker_type=options["worker_type"],
            periodic=options["periodic"],
            # TERM is what systemd and Kubernetes send: finish running tasks instead of dropping them.
            graceful_signal="TERM",
            shutdown_timeout=options["shutdown_timeout"],
        )
