"""The ``bastion`` command: Django's management commands with Bastion's settings.

``bastion engine ...`` goes to the pure-Python risk engine without starting Django at all.
Multi-word commands read naturally (``bastion audit verify``) because each is one management command
with sub-commands.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "engine":
        from bastion.engine.cli import main as engine_main

        return int(engine_main(args[1:]) or 0)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bastion.settings")
    import django
    from django.core.management import execute_from_command_line
    from django.utils import translation

    django.setup()
    translation.activate(cli_language(os.environ))
    execute_from_command_line(["bastion", *args])
    return 0


def cli_language(environ: dict[str, str] | os._Environ[str]) -> str:
    """Messages follow BASTION_LANGUAGE, else the Unix locale (LC_ALL, LC_MESSAGES, LANG): zh -> Chinese."""
    explicit = environ.get("BASTION_LANGUAGE", "").strip().lower()
    if explicit in {"zh-hans", "en"}:
        return explicit
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        if value:
            return "zh-hans" if value.lower().startswith("zh") else "en"
    return "en"


if __name__ == "__main__":
    raise SystemExit(main())
