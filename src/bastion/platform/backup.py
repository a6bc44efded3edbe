"""Consistent online backups and verified restores of the database (``bastion backup`` / ``restore``).

A backup is one ``.tar`` archive holding ``manifest.json``, the database dump and ``archive.sha256``
(a checksum of the whole file). The dump is a page-exact copy of the SQLite database (gzip-compressed)
made with SQLite's backup API (a consistent snapshot even while other
processes write, thanks to WAL), or a ``pg_dump --format=custom`` taken from an exported snapshot so
that the audit head recorded in the manifest is exactly the one inside the dump. The manifest carries
the dump's SHA-256, the audit chain head, the applied migrations and fingerprints of the personal-data
keys. A restore checks all of that before it touches the live database, then verifies the audit
chain of what it restored against the manifest. See docs/decisions/0011-backup-format.md.
"""

from __future__ import annotations

import getpass
import gzip
import hashlib
import hmac
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import django
from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

FORMAT = "bastion-backup"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
CHECKSUM_NAME = "archive.sha256"
# What the archive stores: SQLite's file gzip-compressed; pg_dump's custom format compresses itself.
DUMP_NAMES = {"sqlite": "database.sqlite3.gz", "postgresql": "database.pgdump"}
_CHUNK = 1024 * 1024
_HEAD_SQL = "SELECT seq, row_hash FROM audit_auditevent ORDER BY seq DESC LIMIT 1"
_MIGRATIONS_SQL = "SELECT app, name FROM django_migrations ORDER BY app, name"
GENESIS = {"seq": 0, "row_hash": "0" * 64}


class BackupError(Exception):
    """A backup could not be made, or a backup file is refused; the message says why."""


@dataclass(frozen=True)
class BackupResult:
    """A finished backup: where it is, the archive's own SHA-256 and its manifest."""

    path: Path
    sha256: str
    size: int
    manifest: dict[str, Any]


@dataclass(frozen=True)
class RestoreResult:
    """What a restore did and what the verification of the restored chain found."""

    manifest: dict[str, Any]
    chain_ok: bool
    chain_message: str
    restored_head: dict[str, Any]
    head_matches: bool
    safety_copy: Path | None
    pending_migrations: list[str]

    @property
    def ok(self) -> bool:
        return self.chain_ok and self.head_matches


# --- Helpers --------------------------------------------------------------------------------------


def _engine(using: str) -> str:
    vendor = connections[using].vendor
    if vendor not in DUMP_NAMES:
        raise BackupError(_("Backups support SQLite and PostgreSQL, not %(vendor)s.") % {"vendor": vendor})
    return vendor


def _sqlite_path(using: str) -> Path:
    name = str(connections[using].settings_dict["NAME"])
    if name == ":memory:" or "mode=memory" in name:
        raise BackupError(_("An in-memory database cannot be backed up or restored."))
    return Path(name)


def _file_digest(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _key_fingerprints() -> list[dict[str, str]]:
    """Key ids with a one-way fingerprint of each key: enough to match keys, useless to attackers."""
    from bastion.platform.crypto import key_ring

    return [
        {"id": kid, "fingerprint": hmac.new(key, b"bastion-key-fingerprint", hashlib.sha256).hexdigest()[:32]}
        for kid, key in key_ring().keys
    ]


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid:{os.getuid()}"


def _utc_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _pg_environment(using: str) -> dict[str, str]:
    """libpq settings from DATABASES, passed in the environment so no password shows in ``ps``."""
    db = settings.DATABASES[using]
    env = dict(os.environ)
    for variable, value in {
        "PGHOST": db.get("HOST"),
        "PGPORT": db.get("PORT"),
        "PGUSER": db.get("USER"),
        "PGPASSWORD": db.get("PASSWORD"),
        "PGDATABASE": db.get("NAME"),
    }.items():
        if value:
            env[variable] = str(value)
    for option in ("sslmode", "sslrootcert", "sslcert", "sslkey"):
        if db.get("OPTIONS", {}).get(option):
            env[f"PG{option.upper()}"] = str(db["OPTIONS"][option])
    return env


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(_("%(tool)s is not installed or not on PATH.") % {"tool": name})
    return path


def _run_pg_tool(args: list[str], *, using: str, extra_env: dict[str, str] | None = None) -> str:
    env = {**_pg_environment(using), **(extra_env or {})}
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        raise BackupError(_("%(tool)s failed: %(error)s") % {"tool": Path(args[0]).name, "error": tail})
    return done.stdout


# --- Backup ---------------------------------------------------------------------------------------


def _dump_sqlite(using: str, target: Path) -> tuple[dict[str, Any], list[str]]:
    """Copy the live database with SQLite's backup API in one step: a consistent snapshot.

    Copying in one step (``pages=-1``) reads under a single read transaction; in WAL mode writers
    carry on meanwhile, and a step-wise copy would restart whenever another process wrote.
    """
    source_path = _sqlite_path(using)
    if not source_path.exists():
        raise BackupError(_("The database file %(path)s does not exist.") % {"path": source_path})
    with (
        closing(sqlite3.connect(source_path, timeout=60)) as source,
        closing(sqlite3.connect(target)) as copy,
    ):
        source.backup(copy, pages=-1)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        check = copy.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise BackupError(_("The live database fails its integrity check: %(check)s") % {"check": check})
        head = copy.execute(_HEAD_SQL).fetchone()
        migrations = [f"{app}.{name}" for app, name in copy.execute(_MIGRATIONS_SQL)]
    return ({"seq": head[0], "row_hash": head[1]} if head else dict(GENESIS)), migrations


def _dump_postgres(using: str, target: Path) -> tuple[dict[str, Any], list[str]]:
    """pg_dump from a snapshot exported by our own REPEATABLE READ transaction.

    The audit head and the migrations are read in that same transaction, so they describe exactly
    the data in the dump, however many writes happen meanwhile.
    """
    pg_dump = _pg_tool("pg_dump")
    connection = connections[using]
    if connection.in_atomic_block:
        raise BackupError(_("A backup cannot run inside another transaction."))
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        cursor.execute(_HEAD_SQL)
        head = cursor.fetchone()
        cursor.execute(_MIGRATIONS_SQL)
        migrations = [f"{app}.{name}" for app, name in cursor.fetchall()]
        _run_pg_tool(
            [pg_dump, "--format=custom", "--no-password", f"--snapshot={snapshot}", f"--file={target}"],
            using=using,
        )
    return ({"seq": head[0], "row_hash": head[1]} if head else dict(GENESIS)), migrations


def _target_path(output: Path | None, engine: str, now: datetime) -> Path:
    name = f"bastion-backup-{engine}-{_utc_stamp(now)}.tar"
    if output is None:
        directory = Path(settings.BASTION_HOME) / "backups"
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        return directory / name
    output = output.expanduser().resolve()
    if output.is_dir():
        return output / name
    if output.exists():
        raise BackupError(_("%(path)s already exists; a backup never overwrites a file.") % {"path": output})
    if not output.parent.is_dir():
        raise BackupError(_("The directory %(path)s does not exist.") % {"path": output.parent})
    return output


class _DigestingWriter:
    """A file wrapper that hashes every byte written through it."""

    def __init__(self, raw: Any) -> None:
        self.raw, self.digest, self.written = raw, hashlib.sha256(), 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.written += len(data)
        return int(self.raw.write(data))

    def tell(self) -> int:
        return self.written


def _member(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime, info.type = size, 0o600, 0, tarfile.REGTYPE
    return info


def _write_archive(target: Path, manifest: dict[str, Any], dump: Path) -> None:
    """Write manifest, dump and the whole-file checksum; rename into place only when complete.

    The last member, ``archive.sha256``, holds the SHA-256 of every byte before its data (its own
    header included); everything after it is zero padding. So any changed byte anywhere is caught.
    """
    partial = target.with_name(f".{target.name}.partial")
    try:
        with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as raw:
            out = _DigestingWriter(raw)
            with tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT) as archive:  # type: ignore[call-overload]
                manifest_bytes = json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8")
                archive.addfile(_member(MANIFEST_NAME, len(manifest_bytes)), io.BytesIO(manifest_bytes))
                with dump.open("rb") as handle:
                    archive.addfile(_member(manifest["dump"]["name"], dump.stat().st_size), handle)
                trailer = _member(CHECKSUM_NAME, 65)
                covered = out.digest.copy()
                covered.update(trailer.tobuf(archive.format, archive.encoding, archive.errors))
                archive.addfile(trailer, io.BytesIO(f"{covered.hexdigest()}\n".encode("ascii")))
            raw.flush()
            os.fsync(raw.fileno())
        if target.exists():
            raise BackupError(
                _("%(path)s already exists; a backup never overwrites a file.") % {"path": target}
            )
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def _gzip_file(source: Path, target: Path) -> None:
    with (
        source.open("rb") as plain,
        target.open("xb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=0) as zipped,
    ):
        shutil.copyfileobj(plain, zipped, _CHUNK)


def create_backup(*, output: Path | None = None, using: str = "default") -> BackupResult:
    """Make a consistent online backup archive; logs the backup as a sensitive read."""
    engine = _engine(using)
    now = timezone.now()
    target = _target_path(output, engine, now)
    with tempfile.TemporaryDirectory(prefix=".bastion-backup-", dir=target.parent) as work:
        dump = Path(work) / DUMP_NAMES[engine]
        if engine == "sqlite":
            copy = Path(work) / "database.sqlite3"
            head, migrations = _dump_sqlite(using, copy)
            _gzip_file(copy, dump)
            copy.unlink()
        else:
            head, migrations = _dump_postgres(using, dump)
        digest, size = _file_digest(dump)
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": now.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "engine": engine,
            "bastion_version": metadata.version("bastion"),
            "django_version": django.get_version(),
            "database": Path(str(settings.DATABASES[using]["NAME"])).name,
            "dump": {"name": DUMP_NAMES[engine], "size": size, "sha256": digest},
            "audit_head": head,
            "migrations": migrations,
            "field_keys": _key_fingerprints(),
        }
        _write_archive(target, manifest, dump)
    archive_digest, archive_size = _file_digest(target)
    _log_backup(target, archive_digest, manifest)
    return BackupResult(target, archive_digest, archive_size, manifest)


def _log_backup(target: Path, archive_digest: str, manifest: dict[str, Any]) -> None:
    from bastion.audit.actions import record_sensitive_read

    record_sensitive_read(
        actor=None,
        what="database_backup",
        extra={
            "file": target.name,
            "sha256": archive_digest,
            "audit_head": manifest["audit_head"],
            "os_user": _os_user(),
        },
    )


# --- Reading and checking a backup ----------------------------------------------------------------


@dataclass(frozen=True)
class OpenedBackup:
    """A backup whose archive, manifest and dump checksum have been verified; the dump is on disk."""

    path: Path
    manifest: dict[str, Any]
    dump: Path


_REQUIRED_MANIFEST = {
    "format": str,
    "format_version": int,
    "created_at": str,
    "engine": str,
    "bastion_version": str,
    "dump": dict,
    "audit_head": dict,
    "migrations": list,
    "field_keys": list,
}


def _check_manifest(manifest: Any) -> dict[str, Any]:
    if not isinstance(manifest, dict):
        raise BackupError(_("The manifest is not a JSON object."))
    for key, kind in _REQUIRED_MANIFEST.items():
        if not isinstance(manifest.get(key), kind):
            raise BackupError(_("The manifest lacks a valid %(field)s.") % {"field": key})
    if manifest["format"] != FORMAT or manifest["format_version"] != FORMAT_VERSION:
        raise BackupError(_("This is not a Bastion backup of a format this version reads."))
    engine, dump = manifest["engine"], manifest["dump"]
    if engine not in DUMP_NAMES or dump.get("name") != DUMP_NAMES[engine]:
        raise BackupError(_("The manifest names an unknown engine or dump."))
    if not isinstance(dump.get("size"), int) or not isinstance(dump.get("sha256"), str):
        raise BackupError(_("The manifest lacks the dump's size or checksum."))
    head = manifest["audit_head"]
    if not isinstance(head.get("seq"), int) or not isinstance(head.get("row_hash"), str):
        raise BackupError(_("The manifest lacks the audit head."))
    return manifest


def _check_whole_file(path: Path, members: list[tarfile.TarInfo]) -> None:
    """The trailer's SHA-256 covers every byte before its data; only the tar padding may follow.

    The file must also be exactly as long as tar writes it, so a cut-off end is refused too.
    """
    trailer = members[-1]
    if trailer.name != CHECKSUM_NAME or trailer.size != 65:
        raise BackupError(_("The archive lacks its checksum; it is truncated or not a Bastion backup."))
    end_of_archive = trailer.offset_data + tarfile.BLOCKSIZE + 2 * tarfile.BLOCKSIZE
    expected_size = -(-end_of_archive // tarfile.RECORDSIZE) * tarfile.RECORDSIZE
    if path.stat().st_size != expected_size:
        raise BackupError(_("The archive has the wrong length: it is truncated or has bytes appended."))
    digest, remaining = hashlib.sha256(), trailer.offset_data
    with path.open("rb") as handle:
        while remaining and (chunk := handle.read(min(_CHUNK, remaining))):
            digest.update(chunk)
            remaining -= len(chunk)
        recorded = handle.read(65)
        padding = handle.read()  # bounded by the exact length checked above
    if remaining or recorded != f"{digest.hexdigest()}\n".encode("ascii") or padding.strip(b"\0"):
        raise BackupError(_("The archive's checksum does not match: the file is damaged or was altered."))


def _extract_checked(archive: tarfile.TarFile, manifest: dict[str, Any], work: Path) -> Path:
    """Copy the dump out, refusing it unless size and SHA-256 match the manifest; unzip SQLite's."""
    source = archive.extractfile(manifest["dump"]["name"])
    if source is None:
        raise BackupError(_("The dump in the archive is not a regular file."))
    stored = work / manifest["dump"]["name"]
    digest, size = hashlib.sha256(), 0
    with source, stored.open("xb") as out:
        while chunk := source.read(_CHUNK):
            size += len(chunk)
            digest.update(chunk)
            out.write(chunk)
    if size != manifest["dump"]["size"] or digest.hexdigest() != manifest["dump"]["sha256"]:
        raise BackupError(_("The database dump does not match the checksum in the manifest."))
    if not stored.name.endswith(".gz"):
        return stored
    plain = work / stored.name.removesuffix(".gz")
    with gzip.open(stored, "rb") as unzipped, plain.open("xb") as out:
        shutil.copyfileobj(unzipped, out, _CHUNK)
    stored.unlink()
    return plain


def _read_archive(path: Path, work: Path) -> OpenedBackup:
    with tarfile.open(path, mode="r:") as archive:
        members = archive.getmembers()
        names = [m.name for m in members]
        if len(names) != 3 or names[0] != MANIFEST_NAME or not all(m.isreg() for m in members):
            raise BackupError(_("The archive does not hold a manifest, a dump and a checksum."))
        _check_whole_file(path, members)
        manifest_file = archive.extractfile(MANIFEST_NAME)
        assert manifest_file is not None  # a regular member, checked above
        try:
            manifest = _check_manifest(json.loads(manifest_file.read().decode("utf-8")))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BackupError(_("The manifest is not valid JSON.")) from exc
        if manifest["dump"]["name"] != names[1]:
            raise BackupError(_("The archive lacks the dump its manifest names."))
        dump = _extract_checked(archive, manifest, work)
    return OpenedBackup(path, manifest, dump)


@contextmanager
def opened_backup(path: Path, *, using: str = "default") -> Iterator[OpenedBackup]:
    """Open and verify a backup without touching the database; raises BackupError if it is refused.

    The dump is extracted next to the data directory (same file system as an SQLite database) and
    removed afterwards.
    """
    path = path.expanduser().resolve()
    if not path.is_file():
        raise BackupError(_("%(path)s is not a file.") % {"path": path})
    with tempfile.TemporaryDirectory(prefix=".bastion-restore-", dir=settings.BASTION_HOME) as work:
        try:
            backup = _read_archive(path, Path(work))
        except BackupError as exc:
            raise BackupError(_("Backup refused: %(reason)s") % {"reason": exc}) from exc
        except (tarfile.TarError, EOFError, OSError, zlib.error, KeyError, ValueError) as exc:
            raise BackupError(
                _("Backup refused: the file is damaged or truncated (%(error)s).") % {"error": exc}
            ) from exc
        yield backup


def _known_migrations() -> set[str]:
    from django.db.migrations.loader import MigrationLoader

    return {f"{app}.{name}" for app, name in MigrationLoader(None, ignore_no_migrations=True).disk_migrations}


def unknown_migrations(manifest: dict[str, Any]) -> list[str]:
    """Migrations applied in the backup that this code does not have (the backup is from newer code)."""
    return sorted(set(manifest["migrations"]) - _known_migrations())


def missing_keys(manifest: dict[str, Any]) -> list[str]:
    """Key ids of the backup that the configured key ring lacks (or holds with different material)."""
    current = {(k["id"], k["fingerprint"]) for k in _key_fingerprints()}
    return [k["id"] for k in manifest["field_keys"] if (k.get("id"), k.get("fingerprint")) not in current]


def check_restorable(
    backup: OpenedBackup, *, using: str = "default", allow_key_mismatch: bool = False
) -> None:
    """Every check that can run before the live database is touched; raises BackupError."""
    manifest = backup.manifest
    engine = _engine(using)
    if manifest["engine"] != engine:
        raise BackupError(
            _("This backup is of a %(backup)s database; the configured database is %(live)s.")
            % {"backup": manifest["engine"], "live": engine}
        )
    newer = unknown_migrations(manifest)
    if newer:
        raise BackupError(
            _("This backup comes from a newer Bastion (unknown migrations: %(names)s); upgrade first.")
            % {"names": ", ".join(newer[:5])}
        )
    absent = missing_keys(manifest)
    if absent and not allow_key_mismatch:
        raise BackupError(
            _(
                "The personal-data keys %(ids)s of this backup are not in the configured key ring, so "
                "encrypted fields would be unreadable. Install the keys (BASTION_FIELD_KEYS or the "
                "data directory's field_keys) or pass --accept-key-mismatch."
            )
            % {"ids": ", ".join(absent)}
        )
    if engine == "sqlite":
        _precheck_sqlite(backup)
    else:
        _precheck_postgres(backup, using)


def _precheck_postgres(backup: OpenedBackup, using: str) -> None:
    """The dump must be readable, and the live schema no newer than the backup's.

    ``pg_restore --clean`` drops only what the dump contains: tables from later migrations would
    survive next to a ``django_migrations`` that says they were never created.
    """
    _run_pg_tool([_pg_tool("pg_restore"), "--list", str(backup.dump)], using=using)
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT to_regclass('django_migrations') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return
        cursor.execute(_MIGRATIONS_SQL)
        live = {f"{app}.{name}" for app, name in cursor.fetchall()}
    newer = sorted(live - set(backup.manifest["migrations"]))
    if newer:
        raise BackupError(
            _(
                "The database has migrations the backup predates (%(names)s); restore an older backup "
                "into an empty database: drop and create it, then restore."
            )
            % {"names": ", ".join(newer[:5])}
        )


def _precheck_sqlite(backup: OpenedBackup) -> None:
    try:
        with closing(sqlite3.connect(f"file:{backup.dump}?mode=ro", uri=True)) as candidate:
            check = candidate.execute("PRAGMA integrity_check").fetchone()[0]
            head = candidate.execute(_HEAD_SQL).fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(
            _("The dump is not a readable SQLite database: %(error)s") % {"error": exc}
        ) from exc
    if check != "ok":
        raise BackupError(_("The dump fails SQLite's integrity check: %(check)s") % {"check": check})
    found = {"seq": head[0], "row_hash": head[1]} if head else dict(GENESIS)
    if found != backup.manifest["audit_head"]:
        raise BackupError(_("The audit head inside the dump differs from the manifest's."))


# --- Restore --------------------------------------------------------------------------------------


def _restore_sqlite(backup: OpenedBackup, using: str) -> Path | None:
    """Write the backup into the live database with SQLite's backup API, as one transaction.

    The live file keeps its identity (no rename under the feet of a process that still has it open,
    no stale ``-wal`` file replayed onto new content); the previous content is kept as a safety copy.
    """
    live = _sqlite_path(using)
    safety: Path | None = None
    connections.close_all()
    if live.exists():
        directory = Path(settings.BASTION_HOME) / "backups"
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        safety = directory / f"pre-restore-{_utc_stamp(timezone.now())}.sqlite3"
        with closing(sqlite3.connect(live, timeout=60)) as current, closing(sqlite3.connect(safety)) as keep:
            current.backup(keep, pages=-1)
            keep.execute("PRAGMA journal_mode=DELETE")
        os.chmod(safety, 0o600)
    with (
        closing(sqlite3.connect(f"file:{backup.dump}?mode=ro", uri=True)) as candidate,
        closing(sqlite3.connect(live, timeout=60)) as target,
    ):
        candidate.backup(target, pages=-1)
        target.execute("PRAGMA journal_mode=WAL")
    return safety


def _restore_postgres(backup: OpenedBackup, using: str) -> None:
    """pg_restore in one transaction: the database ends up wholly restored or wholly unchanged."""
    connections.close_all()
    _run_pg_tool(
        [
            _pg_tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
            f"--dbname={settings.DATABASES[using]['NAME']}",
            str(backup.dump),
        ],
        using=using,
        # Fail rather than wait for ever behind a running web or worker process's locks.
        extra_env={"PGOPTIONS": "-c lock_timeout=60s"},
    )


def _pending_migrations(manifest: dict[str, Any]) -> list[str]:
    return sorted(_known_migrations() - set(manifest["migrations"]))


def restore_backup(backup: OpenedBackup, *, using: str = "default") -> RestoreResult:
    """Replace the live database with a checked backup, then verify the restored audit chain."""
    from bastion.audit.actions import record_event
    from bastion.audit.services import chain_head, verify_chain

    safety = _restore_sqlite(backup, using) if backup.manifest["engine"] == "sqlite" else None
    if backup.manifest["engine"] == "postgresql":
        _restore_postgres(backup, using)
    connections.close_all()
    verification = verify_chain(using=using)
    head = chain_head(using=using)
    restored = {"seq": head.seq, "row_hash": head.row_hash}
    result = RestoreResult(
        manifest=backup.manifest,
        chain_ok=verification.ok,
        chain_message=verification.message,
        restored_head=restored,
        head_matches=restored == backup.manifest["audit_head"],
        safety_copy=safety,
        pending_migrations=_pending_migrations(backup.manifest),
    )
    if result.ok:
        with transaction.atomic(using=using):
            record_event(
                action="platform.database_restored",
                actor=None,
                extra={
                    "file": backup.path.name,
                    "backup_created_at": backup.manifest["created_at"],
                    "dump_sha256": backup.manifest["dump"]["sha256"],
                    "audit_head": restored,
                    "os_user": _os_user(),
                },
            )
    return result
