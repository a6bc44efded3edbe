"""A private Dovecot IMAP server for the intake tests (Debian's ``dovecot-imapd``).

It runs from a throw-away directory with its own configuration, a self-signed certificate (so the
IMAPS and STARTTLS paths verify a real chain) and a passwd-file account; mail is put in with IMAP
APPEND, as any client would. Locally the tests skip when Dovecot is not installed; under CI=true they
fail instead (``.ci/run`` installs the package).
"""

from __future__ import annotations

import imaplib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import IN_CI

DOVECOT = "/usr/sbin/dovecot"
USER = "desk"
PASSWORD = "imap-test-password"


@dataclass(frozen=True)
class ImapServer:
    host: str
    port: int
    tls_port: int
    ca_file: str
    home: str
    user: str = USER
    password: str = PASSWORD

    def client(self) -> imaplib.IMAP4:
        conn = imaplib.IMAP4(self.host, self.port, timeout=10)
        conn.login(self.user, self.password)
        return conn

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        conn = self.client()
        try:
            status, data = conn.append(folder, None, None, raw)
            assert status == "OK", data
        finally:
            conn.logout()

    def flags(self, folder: str = "INBOX") -> dict[int, str]:
        """UID -> FLAGS string of every message in ``folder``."""
        conn = self.client()
        try:
            conn.select(folder)
            _, data = conn.uid("FETCH", "1:*", "(FLAGS)")
            result = {}
            for item in data:
                if isinstance(item, bytes) and b"UID" in item:
                    text = item.decode()
                    uid = int(text.split("UID ")[1].split()[0].rstrip(")"))
                    result[uid] = text
            return result
        finally:
            conn.logout()

    def reset(self) -> None:
        """Remove the account's mail store: the next login starts from an empty INBOX at UID 1."""
        shutil.rmtree(Path(self.home) / self.user, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _certificate(directory: Path) -> tuple[Path, Path]:
    key, cert = directory / "key.pem", directory / "cert.pem"
    subprocess.run(
        [
            "/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return key, cert


def _config(directory: Path, port: int, tls_port: int, key: Path, cert: Path) -> str:
    return f"""
protocols = imap
listen = 127.0.0.1
base_dir = {directory}/run
state_dir = {directory}/state
instance_name = bastion-intake-test-{os.getpid()}
log_path = {directory}/dovecot.log
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 100
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {directory}/passwd
}}
userdb {{
  driver = static
  args = uid=65534 gid=65534 home={directory}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
"""


def _wait_until_listening(port: int, log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)  # bounded wait for a real server to bind
    detail = log.read_text() if log.exists() else "(no log)"
    raise RuntimeError(f"dovecot did not listen on {port}: {detail}")


@pytest.fixture(scope="session")
def imap_server() -> Iterator[ImapServer]:
    if not os.path.exists(DOVECOT) or os.geteuid() != 0:
        if IN_CI:
            pytest.fail("dovecot-imapd must be installed (and the tests run as root) under CI=true")
        pytest.skip("dovecot-imapd is not installed, or the tests do not run as root")
    # Not under pytest's tmp_path: that is private to root (0700) and Dovecot's own users must read it.
    directory = Path(tempfile.mkdtemp(prefix="bastion-dovecot-"))
    directory.chmod(0o755)
    for sub in ("run", "state", "home"):
        (directory / sub).mkdir()
    shutil.chown(directory / "home", user="nobody", group="nogroup")
    (directory / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    key, cert = _certificate(directory)
    port, tls_port = _free_port(), _free_port()
    config = directory / "dovecot.conf"
    config.write_text(_config(directory, port, tls_port, key, cert))
    # The daemon forks and keeps its descriptors: capturing its output would wait for it forever.
    subprocess.run(
        [DOVECOT, "-c", str(config)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_until_listening(port, directory / "dovecot.log")
        yield ImapServer(
            host="127.0.0.1", port=port, tls_port=tls_port, ca_file=str(cert), home=str(directory / "home")
        )
    finally:
        subprocess.run(
            [DOVECOT, "-c", str(config), "stop"],
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def imap(imap_server: ImapServer) -> ImapServer:
    imap_server.reset()
    return imap_server
