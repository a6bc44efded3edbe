"""``bastion backup`` / ``bastion restore`` on the embedded SQLite installation, as real processes.

pytest's test database lives in memory; these tests run ``bastion`` against a file database in a
temporary BASTION_HOME, with a separate writer process committing audited changes throughout.
"""

from __future__ import annotations

import gzip
import json
import shutil
import sqlite3
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import connection
from django.utils import translation

from bastion.platform import backup
from tests.audit.cli_home import (
    bastion,
    cli_home,
    copy_home,
    finish,
    migrate_template,
    migrated_template,
    start_writer,
    wait_ready,
)

__all__ = ["cli_home", "migrated_template"]  # fixtures used below


def _manifest(archive: Path) -> dict:
    with tarfile.open(archive, "r:") as tar:
        handle = tar.extractfile("manifest.json")
        assert handle is not None
        return json.load(handle)


def _db_state(home: Path) -> dict:
    """Audit head, event count, and calendars vs their audit events, read straight from the file."""
    with sqlite3.connect(home / "bastion.sqlite3") as db:
        head = db.execute("SELECT seq, row_hash FROM audit_auditevent ORDER BY seq DESC LIMIT 1").fetchone()
        return {
            "head": {"seq": head[0], "row_hash": head[1]} if head else None,
            "events": db.execute("SELECT count(*) FROM audit_auditevent").fetchone()[0],
            "calendars": db.execute(
                "SELECT count(*) FROM platform_businesscalendar WHERE code LIKE 'bg-%'"
            ).fetchone()[0],
            "calendar_events": db.execute(
                "SELECT count(*) FROM audit_auditevent WHERE action = 'test.calendar_created'"
            ).fetchone()[0],
        }


def _verify_json(home: Path) -> dict:
    result = bastion(home, "audit", "verify", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def under_writes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:
    """A backup taken while a separate process keeps committing audited changes (made once)."""
    root = tmp_path_factory.mktemp("backup-under-writes")
    home = copy_home(migrate_template(root), root / "home")
    stop = root / "stop-writing"
    writer = start_writer(home, "bg", 15, stop=stop)
    try:
        wait_ready(writer)
        archive = root / "nightly.tar"
        made = bastion(home, "backup", "--output", str(archive))
        assert made.returncode == 0, made.stderr
    finally:
        stop.touch()
    assert finish(writer) >= 15
    return home, archive, _manifest(archive)


@pytest.fixture
def backed_up(under_writes, tmp_path) -> tuple[Path, Path, dict]:
    """The module's backup with a private copy of the installation it came from."""
    home, archive, manifest = under_writes
    return copy_home(home, tmp_path / "home"), archive, manifest


def test_manifest_describes_the_backup(backed_up):
    home, archive, manifest = backed_up
    assert manifest["format"] == "bastion-backup" and manifest["engine"] == "sqlite"
    assert manifest["bastion_version"] and manifest["created_at"].endswith("Z")
    assert manifest["dump"]["name"] == "database.sqlite3.gz" and len(manifest["dump"]["sha256"]) == 64
    assert "audit.0002_append_only_trigger" in manifest["migrations"]
    assert [k["id"] for k in manifest["field_keys"]] == ["k1"]
    assert manifest["audit_head"]["seq"] >= 15
    assert archive.stat().st_mode & 0o077 == 0  # owner-only: it holds every customer's data
    with tarfile.open(archive, "r:") as tar:
        assert tar.getnames() == ["manifest.json", "database.sqlite3.gz", "archive.sha256"]
    # Writes went on past the snapshot, and the backup itself was logged as a sensitive read.
    state = _db_state(home)
    assert state["head"]["seq"] > manifest["audit_head"]["seq"]
    with sqlite3.connect(home / "bastion.sqlite3") as db:
        logged = db.execute(
            "SELECT extra FROM audit_auditevent WHERE action = 'read.database_backup'"
        ).fetchall()
    assert len(logged) == 1 and json.loads(logged[0][0])["file"] == "nightly.tar"


def test_backup_under_writes_restores_in_place_to_a_verified_chain(backed_up):
    home, archive, manifest = backed_up
    restored = bastion(home, "restore", str(archive), "--yes")
    assert restored.returncode == 0, restored.stdout + restored.stderr
    state = _db_state(home)
    # Every calendar in the snapshot has exactly its audit event: data and chain are of one instant.
    assert state["calendars"] == state["calendar_events"] >= 15
    verified = _verify_json(home)
    # The restore appended its own event after checking the head against the manifest.
    assert verified["head_seq"] == manifest["audit_head"]["seq"] + 1
    with sqlite3.connect(home / "bastion.sqlite3") as db:
        newest = db.execute(
            "SELECT seq, prev_hash, action FROM audit_auditevent ORDER BY seq DESC LIMIT 1"
        ).fetchone()
    head = manifest["audit_head"]
    assert newest == (head["seq"] + 1, head["row_hash"], "platform.database_restored")
    assert len(list((home / "backups").glob("pre-restore-*.sqlite3"))) == 1


def test_restore_on_a_new_machine_needs_the_keys(backed_up, tmp_path):
    home, archive, manifest = backed_up
    fresh = tmp_path / "new-machine"
    fresh.mkdir()
    refused = bastion(fresh, "restore", str(archive), "--yes")
    assert refused.returncode == 1
    assert "k1" in refused.stderr and "--accept-key-mismatch" in refused.stderr
    assert not (fresh / "bastion.sqlite3").exists()
    shutil.copy(home / "field_keys", fresh / "field_keys")
    restored = bastion(fresh, "restore", str(archive), "--yes")
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert _verify_json(fresh)["head_seq"] == manifest["audit_head"]["seq"] + 1


# --- Damaged and altered files ---------------------------------------------------------------------


def _repack(
    archive: Path, target: Path, *, edit_manifest: Callable | None = None, edit_dump: Callable | None = None
):
    """Rebuild a fully consistent archive around an edited manifest or dump, as a skilled forger would."""
    work = target.parent / f"{target.name}.work"
    work.mkdir()
    with tarfile.open(archive, "r:") as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        dump = work / "database.sqlite3.gz"
        dump.write_bytes(tar.extractfile("database.sqlite3.gz").read())
    if edit_dump:
        plain = work / "database.sqlite3"
        with gzip.open(dump) as zipped:
            plain.write_bytes(zipped.read())
        edit_dump(plain)
        dump.unlink()
        backup._gzip_file(plain, dump)
    if edit_manifest:
        manifest = edit_manifest(manifest)
    backup._write_archive(target, manifest, dump)


def _rewrite_an_audit_row(database: Path) -> None:
    with sqlite3.connect(database) as db:
        db.execute("UPDATE audit_auditevent SET actor_label = 'someone_else' WHERE seq = 3")


def _forge_head(manifest: dict) -> dict:
    return {**manifest, "audit_head": {"seq": manifest["audit_head"]["seq"] - 1, "row_hash": "0" * 64}}


def _refusal(path: Path) -> str:
    """Why ``bastion restore`` would refuse the file, in English; fails if it would not."""
    with (
        translation.override("en"),
        pytest.raises(backup.BackupError) as refused,
        backup.opened_backup(path) as opened,
    ):
        backup.check_restorable(opened)
    return str(refused.value)


def test_every_flipped_byte_and_every_truncation_is_refused(under_writes, tmp_path, settings):
    # In-process, so that hundreds of damaged copies can be tried; the CLI path is tested below.
    _, archive, _ = under_writes
    raw = archive.read_bytes()
    with tarfile.open(archive, "r:") as tar:
        boundaries = [p for m in tar.getmembers() for p in (m.offset, m.offset + 148, m.offset_data)]
    positions = sorted({0, 1, len(raw) - 1, *boundaries, *range(0, len(raw), max(1, len(raw) // 250))})
    damaged = tmp_path / "damaged.tar"
    for at in positions:
        flipped = bytearray(raw)
        flipped[at] ^= 0x01
        damaged.write_bytes(bytes(flipped))
        assert _refusal(damaged).startswith("Backup refused: "), at
    for length in (0, 100, 512, len(raw) // 3, len(raw) // 2, len(raw) - 1024, len(raw) - 1):
        damaged.write_bytes(raw[:length])
        assert _refusal(damaged).startswith("Backup refused: "), length
    damaged.write_bytes(raw + b"\0" * tarfile.RECORDSIZE)
    assert "wrong length" in _refusal(damaged)


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="checks a SQLite backup against the configured database"
)
def test_consistently_repacked_forgeries_are_refused(under_writes, tmp_path, settings):
    home, archive, _ = under_writes
    settings.BASTION_FIELD_KEYS = (home / "field_keys").read_text().strip()  # the keys of that machine
    edited = tmp_path / "edited-dump.tar"
    _repack(archive, edited, edit_dump=_rewrite_an_audit_row)
    assert "checksum in the manifest" in _refusal(edited)
    forged = tmp_path / "forged-head.tar"
    _repack(archive, forged, edit_manifest=_forge_head)
    assert "audit head inside the dump differs" in _refusal(forged)
    newer = tmp_path / "newer.tar"
    _repack(
        archive, newer, edit_manifest=lambda m: {**m, "migrations": [*m["migrations"], "audit.9999_future"]}
    )
    assert "newer Bastion" in _refusal(newer)


def test_damaged_backups_are_refused_by_the_cli_before_the_database_is_touched(backed_up, tmp_path):
    home, archive, _ = backed_up
    before = _db_state(home)
    raw = archive.read_bytes()
    flipped = bytearray(raw)
    flipped[len(raw) // 2] ^= 0x40
    variants = {"flipped.tar": bytes(flipped), "truncated.tar": raw[: len(raw) // 2]}
    for name, data in variants.items():
        (tmp_path / name).write_bytes(data)
        result = bastion(home, "restore", str(tmp_path / name), "--yes")
        assert result.returncode == 1, (name, result.stdout, result.stderr)
        assert "CommandError" in result.stderr and not result.stdout, name
    assert _db_state(home) == before
    assert not list((home / "backups").glob("pre-restore-*")), "nothing was replaced"
    unconfirmed = bastion(home, "restore", str(archive))  # stdin is not a terminal
    assert unconfirmed.returncode == 1 and "--yes" in unconfirmed.stderr
    assert _db_state(home) == before


def test_backup_never_overwrites_and_needs_an_existing_directory(cli_home, tmp_path):
    existing = tmp_path / "exists.tar"
    existing.write_bytes(b"keep me")
    refused = bastion(cli_home, "backup", "--output", str(existing))
    assert refused.returncode == 1 and existing.read_bytes() == b"keep me"
    nowhere = bastion(cli_home, "backup", "--output", str(tmp_path / "missing" / "x.tar"))
    assert nowhere.returncode == 1
    default = bastion(cli_home, "backup")
    assert default.returncode == 0, default.stderr
    made = list((cli_home / "backups").glob("bastion-backup-sqlite-*.tar"))
    assert len(made) == 1 and str(made[0]) in default.stdout
    assert not list((cli_home / "backups").glob(".*")), "no partial or temporary files left behind"
