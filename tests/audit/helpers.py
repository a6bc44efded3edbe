"""Building real chains and tampering with them in SQL, as an attacker with database access would."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import translation

from bastion.audit.actions import record_event
from bastion.audit.chain import HASHED_FIELDS, row_hash
from bastion.audit.models import AuditEvent
from bastion.identity.models import Branch
from bastion.platform.context import RequestContext, reset_context, set_context

JSON_COLUMNS = {"before", "after", "extra"}
ALL_COLUMNS = (*HASHED_FIELDS, "row_hash")


def append_events(count: int, *, branch: Branch | None = None) -> list[AuditEvent]:
    """Append ``count`` varied events through the real writer, each in its own transaction."""
    token = set_context(RequestContext(request_id="req-test", source_ip="10.1.2.3", channel="web"))
    try:
        events = []
        for n in range(count):
            with transaction.atomic():
                events.append(
                    record_event(
                        action=f"test.change_{n % 3}",
                        actor=None,
                        obj=branch,
                        before={"limit": n, "名称": "旧值"} if n % 2 else None,
                        after={"limit": n + 1, "ratio": 0.25, "big": 1e20, "when": None},
                        extra={"n": n, "tags": ["a", "b"]},
                    )
                )
        return events
    finally:
        reset_context(token)


def run_verify(*args: str) -> tuple[int, str]:
    """Run ``bastion audit verify`` through the real command, in English; returns (exit code, output)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        with translation.override("en"):
            call_command("audit", "verify", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue() + err.getvalue() + str(exc)
    return 0, out.getvalue() + err.getvalue()


@contextmanager
def tampering() -> Iterator[Any]:
    """A raw cursor on the test database; on PostgreSQL the append-only trigger is disabled first.

    The ALTER TABLE is part of the test's transaction, so the trigger is back when the test ends.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_append_only")
        yield cursor


def json_placeholder() -> str:
    return "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"


def insert_raw(cursor: Any, values: dict[str, Any]) -> None:
    """INSERT one audit row exactly as given, the values adapted as Django would store them."""
    row = dict(values)
    row["occurred_at"] = connection.ops.adapt_datetimefield_value(row["occurred_at"])
    for name in JSON_COLUMNS:
        row[name] = None if row[name] is None else json.dumps(row[name], ensure_ascii=False)
    columns = ", ".join(ALL_COLUMNS)
    marks = ", ".join(json_placeholder() if name in JSON_COLUMNS else "%s" for name in ALL_COLUMNS)
    cursor.execute(
        f"INSERT INTO audit_auditevent ({columns}) VALUES ({marks})",
        [row[name] for name in ALL_COLUMNS],
    )


def renumber_from(cursor: Any, seq: int, *, by: int) -> None:
    """Shift every seq >= ``seq`` by ``by``, one row at a time so the unique index never collides."""
    cursor.execute("SELECT seq FROM audit_auditevent WHERE seq >= %s ORDER BY seq DESC", [seq])
    for (current,) in cursor.fetchall():
        cursor.execute("UPDATE audit_auditevent SET seq = %s WHERE seq = %s", [current + by, current])


def forged_fields(*, seq: int, prev_hash: str, action: str = "identity.role_granted") -> dict[str, Any]:
    """A plausible forged event, hashed correctly with the public algorithm."""
    from django.utils import timezone

    fields: dict[str, Any] = {
        "seq": seq,
        "occurred_at": timezone.now(),
        "actor_type": "user",
        "actor_id": 1,
        "actor_label": "admin_hq",
        "source_ip": "10.9.9.9",
        "request_id": "forged",
        "channel": "web",
        "action": action,
        "object_type": "identity.user",
        "object_id": "7",
        "object_repr": "attacker",
        "branch_id": None,
        "before": None,
        "after": {"role": "administrator"},
        "extra": {},
        "prev_hash": prev_hash,
    }
    fields["row_hash"] = row_hash(fields)
    return fields
