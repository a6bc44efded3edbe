"""``bastion demo_totp USER``: print a demo user's current TOTP code (demo installations only)."""

from __future__ import annotations

from typing import Any

import pyotp
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from bastion.identity.models import User


class Command(BaseCommand):
    help = "Print the current TOTP code of a demo user (refused in production)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("demo_totp is for demo installations only")
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user {options['username']!r}")
        if not user.mfa_enrolled:
            raise CommandError(f"{user.username} has not enrolled a second factor yet")
        totp = pyotp.TOTP(user.totp_secret)
        self.stdout.write(
            f"{totp.now()}  (valid for {totp.interval - int(__import__('time').time()) % totp.interval}s)"
        )
