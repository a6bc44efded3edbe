"""Concurrent appenders keep one gap-free chain (PostgreSQL advisory lock; SQLite IMMEDIATE).

Every writer appends through the real ``record_event`` in its own transaction, in parallel threads
with their own database connections. Without serialisation two writers would read the same head and
one would fail on the unique ``seq`` (or fork the chain), so "every write succeeded and the chain
verifies" is the property.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from bastion.audit.actions import record_event
from bastion.audit.models import AuditEvent
from bastion.audit.services import verify_chain

WRITERS = 6
EVENTS_EACH = 15


def _writer(n: int, start: threading.Barrier, failures: list[BaseException]) -> None:
    try:
        start.wait()
        for i in range(EVENTS_EACH):
            with transaction.atomic():
                record_event(action="test.concurrent", actor=None, extra={"writer": n, "i": i})
    except BaseException as exc:  # reported to the main thread, which fails the test
        failures.append(exc)
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_parallel_writers_keep_a_gap_free_chain():
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip(
            "threads on the in-memory test database; SQLite: test_cli.py runs writer processes and threads on a file database"
        )
    start = threading.Barrier(WRITERS)
    failures: list[BaseException] = []
    threads = [threading.Thread(target=_writer, args=(n, start, failures)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    assert AuditEvent.objects.filter(action="test.concurrent").count() == WRITERS * EVENTS_EACH
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    result = verify_chain()
    assert result.ok, result.message
    # Each writer's own events stay in its order: the chain follows commit order.
    for n in range(WRITERS):
        mine = AuditEvent.objects.filter(extra__writer=n).order_by("seq").values_list("extra__i", flat=True)
        assert list(mine) == list(range(EVENTS_EACH))
