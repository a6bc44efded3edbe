"""``bastion audit`` as an operator runs it: separate processes on a file-based installation."""

from __future__ import annotations

import json
import sqlite3

from tests.audit.cli_home import bastion, finish, start_writer

WRITERS = 4
EVENTS_EACH = 25


def test_parallel_writer_processes_and_threads_keep_a_gap_free_chain_on_sqlite(cli_home):
    # Several processes (like gunicorn workers), one of them with several threads, append at once
    # through IMMEDIATE transactions on the file database. (pytest's in-memory SQLite database
    # cannot take threads: its shared cache answers "table is locked" instead of waiting.)
    writers = [start_writer(cli_home, f"w{n}", EVENTS_EACH) for n in range(WRITERS - 1)]
    writers.append(start_writer(cli_home, "wt", EVENTS_EACH, threads=3))
    total = (WRITERS - 1) * EVENTS_EACH + 3 * EVENTS_EACH
    assert sum(finish(w) for w in writers) == total
    with sqlite3.connect(cli_home / "bastion.sqlite3") as db:
        seqs = [row[0] for row in db.execute("SELECT seq FROM audit_auditevent ORDER BY seq")]
        calendars = db.execute("SELECT count(*) FROM platform_businesscalendar WHERE code LIKE 'w%'")
        assert calendars.fetchone()[0] == total
    assert seqs == list(range(1, len(seqs) + 1))
    assert len(seqs) >= total
    verified = bastion(cli_home, "audit", "verify", "--json")
    assert verified.returncode == 0, verified.stderr
    result = json.loads(verified.stdout)
    assert result["ok"] is True and result["events"] == result["head_seq"] == len(seqs)


def test_checkpoint_then_verify_against_it_and_a_tampered_file_fails(cli_home):
    assert finish(start_writer(cli_home, "c", 5)) == 5
    checkpoint = bastion(cli_home, "audit", "checkpoint", "--json")
    assert checkpoint.returncode == 0, checkpoint.stderr
    as_json = json.loads(checkpoint.stdout)
    assert as_json["seq"] == 5 and as_json["verified"] is True
    anchor = as_json["checkpoint"]
    assert anchor == f"5:{as_json['row_hash']}"
    assert finish(start_writer(cli_home, "d", 3)) == 3
    later = bastion(cli_home, "audit", "verify", "--from-checkpoint", anchor)
    assert later.returncode == 0, later.stderr
    # The operator's language is the installation's (zh-Hans by default): check the numbers only.
    head_hash = json.loads(bastion(cli_home, "audit", "checkpoint", "--json").stdout)["row_hash"]
    assert " 8 " in later.stdout and head_hash in later.stdout

    with sqlite3.connect(cli_home / "bastion.sqlite3") as db:
        db.execute("UPDATE audit_auditevent SET object_repr = 'changed' WHERE seq = 3")
    broken = bastion(cli_home, "audit", "verify", "--json")
    assert broken.returncode == 1
    failure = json.loads(broken.stdout)
    assert (failure["first_bad_seq"], failure["problem"]) == (3, "row_hash_mismatch")
    refused = bastion(cli_home, "audit", "checkpoint")
    assert refused.returncode == 1 and refused.stdout == "" and "3" in refused.stderr


def test_bad_checkpoint_argument_is_a_usage_error(cli_home):
    result = bastion(cli_home, "audit", "verify", "--from-checkpoint", "five:xyz")
    assert result.returncode == 2
    assert "--from-checkpoint" in result.stderr
