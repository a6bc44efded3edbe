"""A separate process that keeps making audited changes.

``python tests/audit/writer.py NAME COUNT [--stop PATH] [--threads N]``

Each change creates a business calendar and records its audit event in the same transaction, through
the real writer. With ``--stop`` it prints "ready" once COUNT changes are committed and carries on
until that file exists. With ``--threads`` N threads (each with its own database connection) write
COUNT changes each, at once. At the end it prints how many changes it committed.
"""

from __future__ import annotations

import argparse
import os
import threading
from pathlib import Path


def _write(name: str, count: int, stop: Path | None) -> int:
    from django.db import connections, transaction

    from bastion.audit.actions import record_event
    from bastion.platform.models import BusinessCalendar

    done = 0
    try:
        while done < count or (stop is not None and not stop.exists()):
            with transaction.atomic():
                calendar = BusinessCalendar.objects.create(code=f"{name}-{done}", name=f"日历 {name} {done}")
                record_event(
                    action="test.calendar_created", actor=None, obj=calendar, after={"code": calendar.code}
                )
            done += 1
            if done == count and stop is not None:
                print("ready", flush=True)
    finally:
        connections.close_all()
    return done


def _write_in_threads(name: str, count: int, threads: int) -> int:
    start = threading.Barrier(threads)
    results: list[int] = []
    failures: list[BaseException] = []

    def run(n: int) -> None:
        try:
            start.wait()
            results.append(_write(f"{name}{n}", count, None))
        except BaseException as exc:
            failures.append(exc)

    workers = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if failures:
        raise failures[0]
    return sum(results)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("name")
    parser.add_argument("count", type=int)
    parser.add_argument("--stop", type=Path)
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bastion.settings")
    import django

    django.setup()
    if args.threads:
        print(_write_in_threads(args.name, args.count, args.threads))
    else:
        print(_write(args.name, args.count, args.stop))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
