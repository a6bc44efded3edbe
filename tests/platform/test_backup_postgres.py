"""Backup and restore round trip on PostgreSQL (pg_dump from an exported snapshot, pg_restore).

Runs ``bastion`` processes against a scratch database created and dropped here; required under CI.
"""

from __future__ import annotations

import json
import os
import tarfile
from collections.abc import Iterator

import pytest

from tests.audit.cli_home import bastion, cli_home, finish, migrated_template, start_writer, wait_ready
from tests.conftest import require_service

__all__ = ["cli_home", "migrated_template"]  # fixtures used below
SERVER = "postgres://postgres@127.0.0.1:5432"


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(sql)


def _query(url: str, sql: str) -> list[tuple]:
    import psycopg

    with psycopg.connect(url) as db:
        cursor = db.execute(sql)
        return cursor.fetchall() if cursor.description else []


@pytest.fixture
def scratch_database() -> Iterator[str]:
    require_service("postgres")
    name = f"bastion_backup_test_{os.getpid()}"
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{name}"')
    try:
        yield f"{SERVER}/{name}"
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _state(url: str) -> dict:
    ((events, head_seq),) = _query(url, "SELECT count(*), max(seq) FROM audit_auditevent")
    ((calendars,),) = _query(url, "SELECT count(*) FROM platform_businesscalendar WHERE code LIKE 'bg-%'")
    ((created,),) = _query(
        url, "SELECT count(*) FROM audit_auditevent WHERE action = 'test.calendar_created'"
    )
    return {"events": events, "head_seq": head_seq, "calendars": calendars, "calendar_events": created}


def test_postgres_backup_under_writes_restores_to_a_verified_chain(scratch_database, tmp_path, cli_home):
    url, home = scratch_database, tmp_path / "home"
    migrated = bastion(home, "migrate", "--no-input", "-v0", database_url=url)
    assert migrated.returncode == 0, migrated.stderr

    stop = tmp_path / "stop-writing"
    writer = start_writer(home, "bg", 15, stop=stop, database_url=url)
    try:
        wait_ready(writer)
        archive = tmp_path / "pg.tar"
        made = bastion(home, "backup", "--output", str(archive), database_url=url)
        assert made.returncode == 0, made.stderr
    finally:
        stop.touch()
    assert finish(writer) >= 15
    with tarfile.open(archive, "r:") as tar:
        assert tar.getnames() == ["manifest.json", "database.pgdump", "archive.sha256"]
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["engine"] == "postgresql"
    head = manifest["audit_head"]
    assert _state(url)["head_seq"] > head["seq"] >= 15  # writes went on past the snapshot

    # A damaged copy is refused and the database is left exactly as it was.
    before = _state(url)
    raw = bytearray(archive.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    (tmp_path / "damaged.tar").write_bytes(bytes(raw))
    refused = bastion(home, "restore", str(tmp_path / "damaged.tar"), "--yes", database_url=url)
    assert refused.returncode == 1 and "CommandError" in refused.stderr
    assert _state(url) == before

    # After an upgrade the live schema is newer than the backup: --clean would leave the new tables
    # behind, so the restore is refused until the database is recreated.
    _query(url, "INSERT INTO django_migrations (app, name, applied) VALUES ('audit', '9999_future', now())")
    newer = bastion(home, "restore", str(archive), "--yes", database_url=url)
    assert newer.returncode == 1 and "9999_future" in newer.stderr
    _query(url, "DELETE FROM django_migrations WHERE name = '9999_future'")
    assert _state(url) == before

    restored = bastion(home, "restore", str(archive), "--yes", database_url=url)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    state = _state(url)
    # The snapshot is one instant: every calendar has exactly its audit event, and the head is the
    # manifest's plus the restore's own event.
    assert state["calendars"] == state["calendar_events"] >= 15
    assert state["head_seq"] == head["seq"] + 1
    ((prev_hash, action),) = _query(
        url, f"SELECT prev_hash, action FROM audit_auditevent WHERE seq = {head['seq'] + 1}"
    )
    assert (prev_hash, action) == (head["row_hash"], "platform.database_restored")
    verified = bastion(home, "audit", "verify", "--json", database_url=url)
    assert verified.returncode == 0 and json.loads(verified.stdout)["ok"] is True

    # The restored table is still append-only.
    import psycopg

    with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
        _query(url, "DELETE FROM audit_auditevent WHERE seq = 1 RETURNING seq")

    # An embedded (SQLite) installation refuses a PostgreSQL backup rather than mixing engines.
    wrong_engine = bastion(cli_home, "restore", str(archive), "--yes")
    assert wrong_engine.returncode == 1
    assert "postgresql" in wrong_engine.stderr and "sqlite" in wrong_engine.stderr
