"""On PostgreSQL the database itself refuses UPDATE and DELETE on the audit table."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from tests.audit.helpers import append_events

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only"),
]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditevent SET actor_label = 'someone_else' WHERE seq = 2",
        "UPDATE audit_auditevent SET seq = seq + 100",
        "DELETE FROM audit_auditevent WHERE seq = 2",
        "DELETE FROM audit_auditevent",
    ],
)
def test_trigger_refuses_changes_to_written_events(statement):
    append_events(3)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), max(seq) FROM audit_auditevent")
        assert cursor.fetchone() == (3, 3)


def test_the_orm_cannot_delete_or_update_events_either():
    from bastion.audit.models import AuditEvent

    append_events(2)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(seq=1).update(action="x")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(seq=2).delete()
    assert AuditEvent.objects.count() == 2
