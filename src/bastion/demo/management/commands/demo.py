"""``bastion demo``: migrate, load the demo data, print how to log in, optionally serve."""

from __future__ import annotations

import ctypes
import importlib
import importlib.util
import os
import secrets
import signal
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from bastion.demo.organisation import build_organisation
from bastion.demo.staff import STAFF, build_staff

PR_SET_PDEATHSIG = 1
# Each domain adds its demo data in ``bastion/demo/<domain>.py`` with
# ``load(*, institution, branches, stdout) -> str`` (a one-line summary); they run in this order,
# each in its own transaction, after the organisation and the staff exist.
DOMAIN_LOADERS = ("knowledge", "devices", "servicedesk", "risk", "aml")
SHOWN_USERS = ("admin", "compliance", "engineer_sh", "manager_sh", "auditor")


class Command(BaseCommand):
    help = "Create the embedded database, load realistic demo data and print how to log in."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--serve", action="store_true", help="then serve the console on 127.0.0.1:8000")
        parser.add_argument("--bind", default="127.0.0.1:8000")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        password = self._demo_password()
        with transaction.atomic():
            institution, branches = build_organisation()
        totp_secrets = build_staff(password=password)
        for summary in _load_domains(institution, branches, self.stdout):
            self.stdout.write(summary)
        self._write_credentials(password, totp_secrets)
        self._print_login(password, totp_secrets, institution.name, len(branches))
        if options["serve"]:
            self._start_worker()
            self._start_telemetry()
            call_command("serve", bind=options["bind"])

    def _start_worker(self) -> None:
        """Run the task queue beside the web server, so schedules (expiry, heartbeats) run in the demo.

        The worker shares the terminal's process group: Ctrl-C stops it together with the server.
        """
        environment = {**os.environ, "BASTION_LOG_LEVEL": os.environ.get("BASTION_LOG_LEVEL", "WARNING")}
        subprocess.Popen(
            [sys.executable, "-m", "bastion.cli", "worker"], env=environment, preexec_fn=_exit_with_parent
        )
        self.stdout.write("Task queue worker started (it also runs the schedule).")

    def _start_telemetry(self) -> None:
        """Keep the demo fleet reporting (bastion.demo.telemetry): over MQTT through the real bridge
        when the broker answers, else straight to the evaluator. Both end with the server."""
        from bastion.demo.telemetry import broker_reachable
        from bastion.devices.bridge import BrokerAddress

        environment = {**os.environ, "BASTION_LOG_LEVEL": os.environ.get("BASTION_LOG_LEVEL", "WARNING")}
        address = BrokerAddress.from_environment()
        if broker_reachable(address):
            subprocess.Popen(
                [sys.executable, "-m", "bastion.cli", "telemetry-bridge", "--report-every", "300"],
                env=environment,
                preexec_fn=_exit_with_parent,
            )
            self.stdout.write(f"Telemetry bridge started on MQTT {address.host}:{address.port}.")
        subprocess.Popen(
            [sys.executable, "-m", "bastion.cli", "demo_telemetry"],
            env=environment,
            preexec_fn=_exit_with_parent,
        )
        self.stdout.write("Demo telemetry simulator started (every device reports every 30 s).")

    def _demo_password(self) -> str:
        path = settings.BASTION_HOME / "demo-password"
        if not path.exists():
            path.write_text(f"Demo-{secrets.token_urlsafe(9)}", encoding="utf-8")
            path.chmod(0o600)
        return path.read_text(encoding="utf-8").strip()

    def _write_credentials(self, password: str, totp_secrets: dict[str, str]) -> None:
        lines = [f"password for every demo user: {password}", ""]
        for seed in STAFF:
            secret = totp_secrets.get(seed.username, "(not enrolled: enrols at first login)")
            lines.append(
                f"{seed.username:<14} {seed.full_name:<6} {','.join(seed.roles):<28} TOTP secret {secret}"
            )
        path = settings.BASTION_HOME / "demo-credentials.txt"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        path.chmod(0o600)

    def _print_login(
        self, password: str, totp_secrets: dict[str, str], institution: str, branches: int
    ) -> None:
        home = settings.BASTION_HOME
        out = self.stdout
        out.write(
            self.style.SUCCESS(f"Demo data ready: {institution}, {branches} branches, {len(STAFF)} staff.")
        )
        out.write("")
        out.write("Console: http://127.0.0.1:8000/   API docs: http://127.0.0.1:8000/api/v1/docs")
        out.write(f"Password (every demo user): {password}")
        out.write(
            "Second factor: add the TOTP secret to an authenticator app, or print the current code with"
        )
        out.write("  .venv/bin/bastion demo_totp <username>")
        for username in SHOWN_USERS:
            out.write(f"  {username:<12} TOTP secret {totp_secrets.get(username, '-')}")
        out.write("User 'newhire' has no second factor yet and enrols with a QR code at first login.")
        out.write(f"All demo accounts: {home / 'demo-credentials.txt'}")


def _load_domains(institution: Any, branches: Any, stdout: Any) -> list[str]:
    summaries = []
    for domain in DOMAIN_LOADERS:
        name = f"bastion.demo.{domain}"
        if importlib.util.find_spec(name) is None:
            continue
        loader = importlib.import_module(name)
        with transaction.atomic():
            summaries.append(loader.load(institution=institution, branches=branches, stdout=stdout))
    return summaries


def _exit_with_parent() -> None:
    """Linux: the worker gets SIGTERM when the demo server process ends, however it ends."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass  # elsewhere Ctrl-C still reaches both, as they share the terminal's process group
