"""The ``bastion`` command: Django's management commands with Bastion's settings.

``bastion engine ...`` goes to the pure-Python risk engine without starting Django at all.
Multi-word commands read naturally (``bastion audit verify``) because each is one management command
with sub-commands.
"""

from __future__ import annotations

import ctypes
import os
import sys

# Polars' allocator (jemalloc) returns freed pages to the kernel after a short decay, so every
# table of a batch run faults its pages in again (tens of thousands of faults per million rows on
# a VM). The engine commands are short batch processes: keep freed pages for reuse. Read once,
# when Polars is first imported, so it is set before the engine is (docs/decisions/0118).
BATCH_ALLOCATOR = ("_RJEM_MALLOC_CONF", "dirty_decay_ms:-1,muzzy_decay_ms:-1")
M_ARENA_MAX = -8


def prepare_batch_process() -> None:
    """Allocator and thread settings of a batch process; call before numpy or Polars is imported.

    glibc fixes its arena limit when a second thread first allocates (numpy's BLAS threads do at
    import), so one shared arena, which lets the feature threads reuse each other's freed arrays
    instead of faulting fresh pages, must be requested first (docs/decisions/0119).
    """
    os.environ.setdefault(*BATCH_ALLOCATOR)
    if sys.platform.startswith("linux"):
        try:
            mallopt = ctypes.CDLL("libc.so.6").mallopt
        except (OSError, AttributeError):  # not glibc: nothing to tune
            return
        mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        if mallopt(M_ARENA_MAX, 1):
            os.environ.setdefault("BASTION_BATCH_THREADS", str(min(2, os.cpu_count() or 1)))


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "engine":
        prepare_batch_process()
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
