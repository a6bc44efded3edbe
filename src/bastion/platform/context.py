"""Per-request context (request id, source address, acting principal) for audit events and logs."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    """Where the current change comes from; ``None`` fields mean a CLI or background task."""

    request_id: str = ""
    source_ip: str = ""
    user_agent: str = ""
    channel: str = "system"  # web, api, cli, task, system


_EMPTY = RequestContext()
_current: ContextVar[RequestContext | None] = ContextVar("bastion_request_context", default=None)


def current_context() -> RequestContext:
    return _current.get() or _EMPTY


def set_context(context: RequestContext) -> object:
    """Install a context; returns a token for :func:`reset_context`."""
    return _current.set(context)


def reset_context(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]
