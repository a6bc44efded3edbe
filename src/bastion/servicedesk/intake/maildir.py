"""Reading an inbound Maildir (stdlib ``mailbox``): each unseen message once, flagged seen after storing.

The MTA (Postfix, fetchmail, a Dovecot LDA) delivers into ``new/``; a message is moved to ``cur/``
with the ``S`` flag only after intake has committed it, so a crash in between re-reads it on the next
run and the Message-ID makes that harmless.
"""

from __future__ import annotations

import mailbox
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


class MailboxUnavailable(OSError):
    """The mailbox cannot be opened or read."""


@dataclass
class PollResult:
    """What one pass over a mailbox did."""

    mailbox: str
    read: int = 0
    skipped: int = 0


def _unseen_keys(box: mailbox.Maildir) -> list[str]:
    keys = []
    for key in box.iterkeys():
        message = box.get_message(key)
        if "S" not in message.get_flags():
            keys.append(key)
    # Delivery order: Maildir names start with the delivery time in seconds.
    return sorted(keys)


def poll_maildir(
    path: str | Path,
    *,
    handle: Callable[[bytes, str], object],
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> PollResult:
    """Give every unseen message to ``handle(raw, mailbox_key)``, then flag it seen in ``cur/``."""
    root = Path(path)
    if not (root / "new").is_dir() or not (root / "cur").is_dir():
        raise MailboxUnavailable(f"{root} is not a Maildir (no new/ and cur/)")
    key_name = f"maildir://{root.resolve()}"
    box = mailbox.Maildir(root, factory=None, create=False)
    result = PollResult(mailbox=key_name)
    keys = _unseen_keys(box)
    if limit is not None:
        keys = keys[:limit]
    for position, key in enumerate(keys, start=1):
        try:
            raw = box.get_bytes(key)
        except KeyError:  # another reader took it meanwhile
            result.skipped += 1
            continue
        handle(raw, key_name)
        message = box.get_message(key)
        message.set_subdir("cur")
        message.add_flag("S")
        box[key] = message
        result.read += 1
        if progress:
            progress(position, len(keys))
    return result
