"""The data directory (``./var`` or ``$BASTION_HOME``) and the secrets the embedded mode keeps in it."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def data_directory() -> Path:
    """Return the data directory, creating it with owner-only permissions if needed."""
    home = Path(os.environ.get("BASTION_HOME") or Path.cwd() / "var").resolve()
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    return home


def _read_or_create(path: Path, make: str) -> str:
    """Read a secret file, or create it atomically so two processes starting at once agree on it."""
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(make)
        handle.flush()
        os.fsync(handle.fileno())
    try:
        os.link(tmp, path)  # fails if another process won the race; then its value stands
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_text(encoding="ascii").strip()


def embedded_secret_key(home: Path) -> str:
    """The Django secret key of an embedded installation, generated on first start and kept."""
    return _read_or_create(home / "secret_key", secrets.token_urlsafe(64))


def embedded_field_keys(home: Path) -> str:
    """The personal-data encryption key ring of an embedded installation (``keyid:base64key``)."""
    import base64

    key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")
    return _read_or_create(home / "field_keys", f"k1:{key}")
