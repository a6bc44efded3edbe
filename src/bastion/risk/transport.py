"""How web processes reach the single owner of the feature state (docs/decisions/0501).

The scorer listens on a Unix socket (or TCP) with ``multiprocessing.connection`` from the standard
library: length-prefixed frames and an HMAC challenge on connect (the key derives from the secret
key both sides share). Frames are JSON, never pickle. Requests from every connection go into one
queue; the scoring thread drains what is waiting (up to ``max_batch`` payments), decides and stores
them in one transaction (group commit), then answers each caller. Retrying after a lost connection
is safe: submissions are idempotent by payment id.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from multiprocessing.connection import Client, Connection, Listener
from pathlib import Path
from typing import Any

from django.db import close_old_connections

from bastion.platform.errors import DomainError
from bastion.risk import conf
from bastion.risk.scorer import PartitionOwner, Submission

logger = logging.getLogger(__name__)


class ScorerUnavailable(DomainError):
    """The scoring process cannot be reached; nothing was decided (the caller may retry)."""

    status = 503
    code = "scorer_unavailable"


def parse_address(address: str) -> tuple[Any, str]:
    """``unix:/path`` -> (path, "AF_UNIX"); ``tcp:host:port`` -> ((host, port), "AF_INET")."""
    kind, _, rest = address.partition(":")
    if kind == "unix" and rest:
        return rest, "AF_UNIX"
    if kind == "tcp":
        host, _, port = rest.rpartition(":")
        if host and port.isdigit():
            return (host, int(port)), "AF_INET"
    raise ValueError(f"BASTION_RISK_SCORER must be inline, unix:/path or tcp:host:port, not {address!r}")


# --- the caller's side -------------------------------------------------------------------------------
_inline_lock = threading.Lock()
_inline_owner: PartitionOwner | None = None
_local = threading.local()


def submit(items: Sequence[Submission]) -> list[dict[str, Any]]:
    """Hand payments to their owner and return the outcomes once they are durable."""
    address = conf.scorer_address()
    if address == "inline":
        return _submit_inline(items)
    return _submit_remote(address, items)


def _submit_inline(items: Sequence[Submission]) -> list[dict[str, Any]]:
    global _inline_owner
    with _inline_lock:
        if _inline_owner is None:
            owner = PartitionOwner()
            owner.load()
            _inline_owner = owner
        return _inline_owner.submit(items)


def reset_inline() -> None:
    """Forget the in-process owner (tests that roll the database back start from a clean state)."""
    global _inline_owner
    with _inline_lock:
        _inline_owner = None


def _connection(address: str) -> Connection:
    conn: Connection | None = getattr(_local, "conn", None)
    if conn is None or getattr(_local, "address", None) != address:
        target, family = parse_address(address)
        conn = Client(target, family=family, authkey=conf.scorer_authkey())
        _local.conn, _local.address = conn, address
    return conn


def _submit_remote(address: str, items: Sequence[Submission]) -> list[dict[str, Any]]:
    request = json.dumps([item.to_wire() for item in items], default=str).encode()
    for attempt in (1, 2):
        try:
            conn = _connection(address)
            conn.send_bytes(request)
            reply = json.loads(conn.recv_bytes())
        except (OSError, EOFError) as exc:
            _local.conn = None
            if attempt == 2:
                raise ScorerUnavailable(f"the risk scorer at {address} cannot be reached: {exc}") from exc
            continue  # one reconnect: a scorer restart drops connections; resending is idempotent
        if isinstance(reply, dict) and "error" in reply:
            raise ScorerUnavailable(f"the risk scorer failed: {reply['error']}")
        return list(reply)
    raise AssertionError("unreachable")


# --- the scorer's side -------------------------------------------------------------------------------
class _Request:
    __slots__ = ("future", "items")

    def __init__(self, items: list[Submission]) -> None:
        self.items = items
        self.future: Future[list[dict[str, Any]]] = Future()


class ScorerServer:
    """Accepts connections; one scoring thread owns the state and the database writes."""

    def __init__(self, owner: PartitionOwner, address: str, *, max_batch: int = 512) -> None:
        self.owner = owner
        self.address = address
        self.max_batch = max_batch
        self.linger = conf.group_commit_seconds()
        self.requests: queue.Queue[_Request] = queue.Queue()
        self.stop = threading.Event()
        self.decided = 0
        target, family = parse_address(address)
        if family == "AF_UNIX":
            Path(target).unlink(missing_ok=True)  # a socket left by a killed scorer
        self.listener = Listener(target, family=family, authkey=conf.scorer_authkey(), backlog=128)

    def serve(self) -> None:
        threading.Thread(target=self._accept, name="risk-accept", daemon=True).start()
        try:
            self._score_loop()
        finally:
            self.listener.close()
            self.owner.snapshot(force=True)

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn = self.listener.accept()
            except (OSError, EOFError) as exc:  # failed handshake, or the listener closed
                if self.stop.is_set():
                    return
                logger.warning("risk scorer refused a connection: %s", exc)
                continue
            threading.Thread(target=self._serve_connection, args=(conn,), daemon=True).start()

    def _serve_connection(self, conn: Connection) -> None:
        with conn:
            while not self.stop.is_set():
                try:
                    data = json.loads(conn.recv_bytes())
                except (OSError, EOFError):
                    return
                except ValueError:
                    conn.send_bytes(json.dumps({"error": "request is not JSON"}).encode())
                    continue
                request = _Request([Submission.from_wire(d) for d in data])
                self.requests.put(request)
                try:
                    reply: Any = request.future.result()
                except Exception as exc:  # the owner failed: tell the caller, who may retry
                    reply = {"error": str(exc)}
                try:
                    conn.send_bytes(json.dumps(reply, ensure_ascii=False).encode())
                except OSError:
                    return

    def _score_loop(self) -> None:
        while not self.stop.is_set():
            try:
                first = self.requests.get(timeout=0.5)
            except queue.Empty:
                self._idle()
                continue
            batch = [first]
            size = len(first.items)
            # Group commit: wait up to ``linger`` for more callers, as PostgreSQL's commit_delay does.
            # Each batch costs a transaction and a synced commit whatever its size, so under load a
            # millisecond spent here makes batches larger and the CPU per payment smaller
            # (docs/decisions/0520).
            deadline = time.monotonic() + self.linger
            while size < self.max_batch:
                try:
                    more = self.requests.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                batch.append(more)
                size += len(more.items)
            self._decide(batch)

    def _decide(self, batch: list[_Request]) -> None:
        items = [item for request in batch for item in request.items]
        try:
            outcomes = self.owner.submit(items)
        except Exception as exc:
            logger.exception("risk scorer batch failed")
            close_old_connections()
            for request in batch:
                request.future.set_exception(exc)
            return
        self.decided += len(items)
        start = 0
        for request in batch:
            request.future.set_result(outcomes[start : start + len(request.items)])
            start += len(request.items)
        self.owner.snapshot()

    def _idle(self) -> None:
        try:
            self.owner.snapshot()
        except Exception:
            logger.exception("risk snapshot failed")
            close_old_connections()


def wait_for_scorer(address: str, timeout: float = 30.0) -> None:
    """Block until the scorer accepts connections (for scripts and tests)."""
    deadline = time.monotonic() + timeout
    target, family = parse_address(address)
    while True:
        try:
            Client(target, family=family, authkey=conf.scorer_authkey()).close()
            return
        except (OSError, EOFError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
