"""Reading an inbound IMAP mailbox incrementally by UID (stdlib ``imaplib``).

The cursor remembers the last UID stored per mailbox; a pass fetches only UIDs above it with
``BODY.PEEK[]`` (fetching does not set \\Seen), hands each message to intake and, once intake has
committed it, flags it \\Seen or moves it to a done folder, then advances the cursor. When the
server's UIDVALIDITY changes the UIDs mean something else, so the cursor restarts from zero; the
Message-ID keeps the re-read from opening duplicates.
"""

from __future__ import annotations

import contextlib
import imaplib
import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from bastion.servicedesk.intake.maildir import MailboxUnavailable, PollResult
from bastion.servicedesk.intake.models import MailboxCursor

SECURITY_MODES = ("ssl", "starttls", "none")


@dataclass(frozen=True)
class ImapConfig:
    """Where the mailbox is and how to log in; the password is read from the environment only."""

    host: str
    user: str
    password: str
    port: int = 0
    security: str = "ssl"
    folder: str = "INBOX"
    done_folder: str = ""
    ca_file: str = ""
    timeout: float = 30.0

    def __post_init__(self) -> None:
        if self.security not in SECURITY_MODES:
            raise ValueError(
                f"IMAP security must be one of {', '.join(SECURITY_MODES)}, not {self.security!r}"
            )
        if not self.host or not self.user:
            raise ValueError("IMAP host and user are required")

    @property
    def effective_port(self) -> int:
        return self.port or (993 if self.security == "ssl" else 143)

    @property
    def key(self) -> str:
        return f"imap://{self.user}@{self.host}:{self.effective_port}/{self.folder}"

    @classmethod
    def from_settings(cls) -> ImapConfig:
        return cls(
            host=settings.BASTION_INTAKE_IMAP_HOST,
            port=settings.BASTION_INTAKE_IMAP_PORT,
            security=settings.BASTION_INTAKE_IMAP_SECURITY,
            user=settings.BASTION_INTAKE_IMAP_USER,
            password=settings.BASTION_INTAKE_IMAP_PASSWORD,
            folder=settings.BASTION_INTAKE_IMAP_FOLDER,
            done_folder=settings.BASTION_INTAKE_IMAP_DONE_FOLDER,
            ca_file=settings.BASTION_INTAKE_IMAP_CA_FILE,
        )


def _tls_context(config: ImapConfig) -> ssl.SSLContext:
    # Certificates and host names are always verified; a private CA is given as a file, never skipped.
    context = ssl.create_default_context(cafile=config.ca_file or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def connect(config: ImapConfig) -> imaplib.IMAP4:
    """Open and authenticate a connection; TLS unless the operator chose ``none`` explicitly."""
    try:
        if config.security == "ssl":
            conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                config.host, config.effective_port, ssl_context=_tls_context(config), timeout=config.timeout
            )
        else:
            conn = imaplib.IMAP4(config.host, config.effective_port, timeout=config.timeout)
            if config.security == "starttls":
                conn.starttls(ssl_context=_tls_context(config))
        conn.login(config.user, config.password)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise MailboxUnavailable(f"{config.key}: {exc}") from exc
    return conn


def _check(status: str, data: object, what: str) -> None:
    if status != "OK":
        raise MailboxUnavailable(f"IMAP {what} failed: {data!r}")


def _uid_validity(conn: imaplib.IMAP4) -> int | None:
    _, data = conn.response("UIDVALIDITY")
    for item in data or []:
        if isinstance(item, bytes) and item.isdigit():
            return int(item)
    return None


def _new_uids(conn: imaplib.IMAP4, after: int) -> list[int]:
    status, data = conn.uid("SEARCH", None, f"UID {after + 1}:*")  # type: ignore[arg-type]
    _check(status, data, "UID SEARCH")
    uids = [int(u) for u in (data[0] or b"").split()]
    # "n:*" always includes the highest UID, even when it is below n.
    return sorted(u for u in uids if u > after)


def _fetch(conn: imaplib.IMAP4, uid: int) -> bytes | None:
    status, data = conn.uid("FETCH", str(uid), "(BODY.PEEK[])")
    _check(status, data, "UID FETCH")
    for item in data or []:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None  # expunged by someone else meanwhile


def _mark_done(conn: imaplib.IMAP4, uid: int, config: ImapConfig, capabilities: set[str]) -> None:
    if not config.done_folder:
        status, data = conn.uid("STORE", str(uid), "+FLAGS", "(\\Seen)")
        _check(status, data, "UID STORE")
        return
    if "MOVE" in capabilities:
        status, data = conn.uid("MOVE", str(uid), _quote(config.done_folder))
        _check(status, data, "UID MOVE")
        return
    status, data = conn.uid("COPY", str(uid), _quote(config.done_folder))
    _check(status, data, "UID COPY")
    status, data = conn.uid("STORE", str(uid), "+FLAGS", "(\\Seen \\Deleted)")
    _check(status, data, "UID STORE")
    if "UIDPLUS" in capabilities:  # expunge only this message, never someone else's \Deleted ones
        conn.uid("EXPUNGE", str(uid))


def _capabilities(conn: imaplib.IMAP4) -> set[str]:
    # Asked again after login: servers (Dovecot among them) announce MOVE and UIDPLUS only then.
    status, data = conn.capability()
    _check(status, data, "CAPABILITY")
    raw = data[0] if data and isinstance(data[0], bytes) else b""
    return {c.upper() for c in raw.decode("ascii", "replace").split()}


def _cursor(config: ImapConfig, uid_validity: int | None) -> MailboxCursor:
    cursor, _ = MailboxCursor.objects.get_or_create(key=config.key)
    if uid_validity is not None and cursor.uid_validity != uid_validity:
        cursor.uid_validity = uid_validity
        cursor.last_uid = 0
        cursor.save(update_fields=["uid_validity", "last_uid"])
    return cursor


def poll_imap(
    config: ImapConfig,
    *,
    handle: Callable[[bytes, str], object],
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> PollResult:
    """Give each message above the cursor to ``handle(raw, mailbox_key)``, then mark it and advance."""
    conn = connect(config)
    result = PollResult(mailbox=config.key)
    cursor: MailboxCursor | None = None
    try:
        status, data = conn.select(_quote(config.folder))
        _check(status, data, f"SELECT {config.folder}")
        cursor = _cursor(config, _uid_validity(conn))
        capabilities = _capabilities(conn)
        uids = _new_uids(conn, cursor.last_uid)
        if limit is not None:
            uids = uids[:limit]
        for position, uid in enumerate(uids, start=1):
            raw = _fetch(conn, uid)
            if raw is None:
                result.skipped += 1
            else:
                handle(raw, config.key)
                _mark_done(conn, uid, config, capabilities)
                result.read += 1
            # Saved per message: a failure later in the pass never re-reads what is already stored.
            cursor.last_uid = uid
            cursor.save(update_fields=["last_uid"])
            if progress:
                progress(position, len(uids))
        cursor.last_polled_at = timezone.now()
        cursor.last_error = ""
        cursor.save(update_fields=["last_polled_at", "last_error"])
    except Exception as exc:
        if cursor is not None:
            cursor.last_error = str(exc)[:2000]
            cursor.save(update_fields=["last_error"])
        raise
    finally:
        _logout(conn)
    return result


def _quote(folder: str) -> str:
    return folder if re.fullmatch(r"[A-Za-z0-9._/-]+", folder) else '"' + folder.replace('"', '\\"') + '"'


def _logout(conn: imaplib.IMAP4) -> None:
    with contextlib.suppress(OSError, imaplib.IMAP4.error):  # the session is over either way
        conn.logout()
