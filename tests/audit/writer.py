"""A separate process that keeps making audited changes: ``python tests/audit/writer.py NAME COUNT [STOP]``.

Each change creates a business calendar and records its audit event in the same transaction, through
the real writer. With a STOP file path it prints "ready" once COUNT changes are committed and carries on until that
file exists. At the end it prints how many changes it committed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def main(name: str, count: int, stop: Path | None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bastion.settings")
    import django

    django.setup()
    from django.db import transaction

    from bastion.audit.actions import record_event
    from bastion.platform.models import BusinessCalendar

    done = 0
    while done < count or (stop is not None and not stop.exists()):
        with transaction.atomic():
            calendar = BusinessCalendar.objects.create(code=f"{name}-{done}", name=f"日历 {name} {done}")
            record_event(
                action="test.calendar_created", actor=None, obj=calendar, after={"code": calendar.code}
            )
        done += 1
        if done == count and stop is not None:
            print("ready", flush=True)
    print(done)
    return 0


if __name__ == "__main__":
    stop_file = Path(sys.argv[3]) if len(sys.argv) > 3 else None
    raise SystemExit(main(sys.argv[1], int(sys.argv[2]), stop_file))
