"""Tampering with the audit table directly in SQL makes ``bastion audit verify`` fail at the right seq.

Runs on SQLite and on PostgreSQL (there the append-only trigger is disabled inside the test's own
transaction, as an attacker with owner rights could do).
"""

from __future__ import annotations

import json

import pytest
from django.db import connection

from bastion.audit.chain import HASHED_FIELDS, row_hash
from bastion.audit.models import AuditEvent
from tests.audit.helpers import (
    append_events,
    forged_fields,
    insert_raw,
    json_placeholder,
    renumber_from,
    run_verify,
    tampering,
)
from tests.factories import make_branch

pytestmark = pytest.mark.django_db
TARGET = 5


@pytest.fixture
def chain(db) -> list[AuditEvent]:
    append_events(12, branch=make_branch("sh-pudong", "上海浦东支行", "上海"))
    events = list(AuditEvent.objects.order_by("seq"))
    assert len(events) >= 12 and [e.seq for e in events] == list(range(1, len(events) + 1))
    return events


def _assert_broken_at(seq: int, reason: str, *args: str) -> str:
    code, output = run_verify(*args)
    assert code == 1, output
    assert f"chain broken at seq {seq}:" in output, output
    assert reason in output, output
    return output


def test_untouched_chain_verifies(chain):
    code, output = run_verify()
    assert code == 0, output
    assert f"chain intact: {len(chain)} events, head {chain[-1].row_hash}" in output


def test_untouched_chain_verifies_across_small_batches(chain):
    code, output = run_verify("--batch-size", "2")
    assert code == 0 and f"chain intact: {len(chain)} events" in output


# Each hashed column, edited in place: the edited row itself no longer hashes to its stored hash.
TAMPERED_VALUES = {
    "occurred_at": "2020-01-01 00:00:00",
    "actor_type": "user",
    "actor_id": 999,
    "actor_label": "someone_else",
    "source_ip": "192.0.2.66",
    "request_id": "req-forged",
    "channel": "api",
    "action": "test.innocent",
    "object_type": "identity.user",
    "object_id": "999",
    "object_repr": "forged object",
    "branch_id": 999,
    "before": json.dumps({"limit": 0}),
    "after": json.dumps({"limit": 1_000_000}),
    "extra": json.dumps({"n": -1}),
    "row_hash": "e" * 64,
}


def test_every_hashed_column_is_covered_by_the_edit_tests():
    assert set(TAMPERED_VALUES) | {"seq", "prev_hash"} == set(HASHED_FIELDS) | {"row_hash"}


@pytest.mark.parametrize("column", sorted(TAMPERED_VALUES))
def test_editing_a_column_is_detected_at_that_row(chain, column):
    placeholder = json_placeholder() if column in {"before", "after", "extra"} else "%s"
    with tampering() as cursor:
        cursor.execute(
            f"UPDATE audit_auditevent SET {column} = {placeholder} WHERE seq = %s",
            [TAMPERED_VALUES[column], TARGET],
        )
        assert cursor.rowcount == 1
    _assert_broken_at(TARGET, "row hash mismatch")


def test_editing_the_prev_hash_is_detected_at_that_row(chain):
    with tampering() as cursor:
        cursor.execute("UPDATE audit_auditevent SET prev_hash = %s WHERE seq = %s", ["f" * 64, TARGET])
    _assert_broken_at(TARGET, "prev hash mismatch")


@pytest.mark.parametrize("where", ["first", "last"])
def test_editing_the_first_or_last_row_is_detected(chain, where):
    seq = 1 if where == "first" else chain[-1].seq
    with tampering() as cursor:
        cursor.execute("UPDATE audit_auditevent SET actor_label = 'x' WHERE seq = %s", [seq])
    _assert_broken_at(seq, "row hash mismatch")


def test_a_rewrite_with_recomputed_hashes_is_caught_at_the_next_row(chain):
    # The attacker knows the algorithm, edits row 5 and recomputes its hash; row 6 still links to
    # the old hash, so the break shows at 6.
    fields = {name: getattr(chain[TARGET - 1], name) for name in HASHED_FIELDS}
    fields["actor_label"] = "someone_else"
    with tampering() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET actor_label = %s, row_hash = %s WHERE seq = %s",
            ["someone_else", row_hash(fields), TARGET],
        )
    _assert_broken_at(TARGET + 1, "prev hash mismatch")


@pytest.mark.parametrize("seq", [1, TARGET])
def test_deleting_a_row_is_detected_as_a_gap(chain, seq):
    with tampering() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE seq = %s", [seq])
    output = _assert_broken_at(seq, "sequence gap")
    assert f"expected event {seq} next but found {seq + 1}" in output


def test_deleting_the_newest_rows_is_caught_by_an_anchored_checkpoint(chain):
    anchored = f"{chain[-1].seq}:{chain[-1].row_hash}"
    with tampering() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE seq >= %s", [chain[-2].seq])
    # The shorter chain is consistent in itself: that is what anchoring outside the database is for.
    assert run_verify()[0] == 0
    output = _assert_broken_at(chain[-1].seq, "beyond the chain head", "--from-checkpoint", anchored)
    assert f"head {chain[-3].seq}" in output


def test_a_full_rewrite_from_some_row_is_caught_by_an_anchored_checkpoint(chain):
    anchored = f"{chain[-1].seq}:{chain[-1].row_hash}"
    prev = chain[TARGET - 2].row_hash
    with tampering() as cursor:
        for event in chain[TARGET - 1 :]:
            fields = {name: getattr(event, name) for name in HASHED_FIELDS}
            fields["prev_hash"] = prev
            if event.seq == TARGET:
                fields["object_repr"] = "rewritten"
            prev = row_hash(fields)
            cursor.execute(
                "UPDATE audit_auditevent SET object_repr = %s, prev_hash = %s, row_hash = %s WHERE seq = %s",
                [fields["object_repr"], fields["prev_hash"], prev, event.seq],
            )
    assert run_verify()[0] == 0
    _assert_broken_at(chain[-1].seq, "checkpoint mismatch", "--from-checkpoint", anchored)


def test_a_naive_forged_row_appended_at_the_end_is_detected(chain):
    forged = forged_fields(seq=chain[-1].seq + 1, prev_hash="a" * 64)
    with tampering() as cursor:
        insert_raw(cursor, forged)
    _assert_broken_at(chain[-1].seq + 1, "prev hash mismatch")


def test_a_forged_row_with_a_wrong_hash_inserted_in_the_middle_is_detected_at_it(chain):
    forged = forged_fields(seq=TARGET, prev_hash=chain[TARGET - 2].row_hash)
    forged["row_hash"] = "b" * 64
    with tampering() as cursor:
        renumber_from(cursor, TARGET, by=1)
        insert_raw(cursor, forged)
    _assert_broken_at(TARGET, "row hash mismatch")


def test_a_well_forged_row_inserted_in_the_middle_breaks_the_next_link(chain):
    # Correctly hashed and linked to its predecessor: the row after it gives it away.
    forged = forged_fields(seq=TARGET, prev_hash=chain[TARGET - 2].row_hash)
    with tampering() as cursor:
        renumber_from(cursor, TARGET, by=1)
        insert_raw(cursor, forged)
    _assert_broken_at(TARGET + 1, "prev hash mismatch")


@pytest.mark.parametrize(("first", "second"), [(4, 9), (6, 7), (1, 2)])
@pytest.mark.parametrize("batch_size", ["5000", "3"])
def test_swapping_two_rows_is_detected_at_the_earlier(chain, first, second, batch_size):
    with tampering() as cursor:
        cursor.execute("UPDATE audit_auditevent SET seq = -1 WHERE seq = %s", [first])
        cursor.execute("UPDATE audit_auditevent SET seq = %s WHERE seq = %s", [first, second])
        cursor.execute("UPDATE audit_auditevent SET seq = %s WHERE seq = -1", [second])
    _assert_broken_at(first, "prev hash mismatch", "--batch-size", batch_size)


def test_renumbering_a_row_is_detected(chain):
    with tampering() as cursor:
        cursor.execute("UPDATE audit_auditevent SET seq = 1000 WHERE seq = %s", [TARGET])
    _assert_broken_at(TARGET, "sequence gap")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite cannot drop an inline UNIQUE")
@pytest.mark.parametrize("batch_size", ["5000", str(TARGET)])
def test_a_duplicated_sequence_number_is_detected(chain, batch_size):
    with tampering() as cursor:
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'audit_auditevent'::regclass AND contype = 'u'"
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'ALTER TABLE audit_auditevent DROP CONSTRAINT "{name}"')
        copy = {name: getattr(chain[TARGET - 1], name) for name in (*HASHED_FIELDS, "row_hash")}
        insert_raw(cursor, copy)
    _assert_broken_at(TARGET, "appears twice", "--batch-size", batch_size)


def test_json_output_names_the_problem(chain):
    with tampering() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE seq = %s", [TARGET])
    code, output = run_verify("--json")
    assert code == 1
    result = json.loads(output.splitlines()[0])
    assert result["ok"] is False
    assert result["first_bad_seq"] == TARGET
    assert result["problem"] == "sequence_gap"
    assert result["events"] == TARGET - 1
