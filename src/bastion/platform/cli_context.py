"""Audit context for management commands: events they write say they came from the command line."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from bastion.platform.context import RequestContext, reset_context, set_context


@contextmanager
def command_context(command: str) -> Iterator[RequestContext]:
    """Bind a fresh request id and the ``cli`` channel while a command runs."""
    context = RequestContext(request_id=f"cli-{command}-{uuid.uuid4().hex[:12]}", channel="cli")
    token = set_context(context)
    try:
        yield context
    finally:
        reset_context(token)
