"""Compile the console's .po catalogues to .mo with polib, so no system gettext is needed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Compile every [<app>/]locale/*/LC_MESSAGES/*.po catalogue to .mo (pure Python, no msgfmt)."

    def handle(self, *args: Any, **options: Any) -> None:
        compiled = 0
        # The project catalogue plus one per app (``bastion/<app>/locale``), which Django finds itself.
        app_roots = sorted(Path(settings.PACKAGE_DIR).glob("*/locale"))
        for root in [*settings.LOCALE_PATHS, *app_roots]:
            for po_path in sorted(Path(root).glob("*/LC_MESSAGES/*.po")):
                try:
                    catalogue = polib.pofile(str(po_path))
                except (OSError, ValueError) as exc:
                    raise CommandError(f"{po_path}: {exc}") from exc
                catalogue.save_as_mofile(str(po_path.with_suffix(".mo")))
                compiled += 1
        self.stdout.write(f"compiled {compiled} catalogue(s)")
