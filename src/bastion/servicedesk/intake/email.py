"""Parsing inbound e-mail into what intake needs: who, what, which thread, and the attached files.

Standard library only (``email`` with ``policy.default``). Chinese mail arrives as GB2312, GBK or
GB18030 bodies and RFC 2047 encoded headers; GB2312/GBK labels are decoded as GB18030, their
superset, because senders routinely label GBK text as GB2312 and strict decoding would garble it.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message
from email.utils import getaddresses, parseaddr

# Mail clients prefix replies and forwards in many languages; none of it belongs in a title.
_REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|sv|回复|答复|转发)\s*[:：]\s*)+", re.IGNORECASE)
# "[WO-123]" (any case, optional spaces) as our acknowledgements write it.
ORDER_TAG = re.compile(r"\[\s*WO-(\d{1,12})\s*\]", re.IGNORECASE)
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_GB_LABELS = {"gb2312", "gbk", "x-gbk", "gb_2312-80", "cp936", "euc-cn", "hz-gb-2312"}
_BLOCK_TAGS = re.compile(r"<\s*(br|/p|/div|/li|/tr|/h\d)\b[^>]*>", re.IGNORECASE)
_HIDDEN = re.compile(r"<\s*(script|style|head)\b.*?<\s*/\s*\1\s*>", re.IGNORECASE | re.DOTALL)
_TAGS = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class MailAttachment:
    """One attached file as found in the message (not yet checked)."""

    filename: str
    content_type: str
    content: bytes

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass(frozen=True)
class ParsedMail:
    """The parts of an inbound message that intake acts on."""

    message_id: str
    sender_address: str
    sender_name: str
    reply_to: str
    recipients: tuple[str, ...]
    subject: str
    text: str
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    attachments: tuple[MailAttachment, ...] = field(default=())
    auto_submitted: bool = False

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """Message-IDs this one answers, nearest first (In-Reply-To, then References newest first)."""
        seen: list[str] = []
        for mid in (*self.in_reply_to, *reversed(self.references)):
            if mid not in seen:
                seen.append(mid)
        return tuple(seen)

    @property
    def order_numbers(self) -> tuple[int, ...]:
        """Work-order ids tagged in the subject as ``[WO-123]``."""
        return tuple(int(n) for n in ORDER_TAG.findall(self.subject))

    @property
    def title(self) -> str:
        """The subject without reply prefixes or order tags, for a work-order title."""
        title = ORDER_TAG.sub("", _REPLY_PREFIX.sub("", self.subject)).strip()
        return re.sub(r"\s+", " ", title)


def _message_ids(value: str | None) -> tuple[str, ...]:
    return tuple(_MESSAGE_ID.findall(value or ""))


def _decode_part(part: Message) -> str:
    """Text of one leaf part, tolerant of mislabelled or unlabelled Chinese charsets."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    label = (part.get_content_charset() or "").lower()
    candidates = []
    if label in _GB_LABELS or label == "gb18030":
        candidates.append("gb18030")
    elif label:
        candidates.append(label)
    # Unlabelled or wrongly labelled: UTF-8 first (strict), then GB18030, which most Chinese mail is.
    candidates += ["utf-8", "gb18030"]
    for encoding in candidates:
        try:
            return payload.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("utf-8", errors="replace")


def html_to_text(markup: str) -> str:
    """Readable text of an HTML body: scripts and styles dropped, block ends as line breaks."""
    text = _HIDDEN.sub("", markup)
    text = _BLOCK_TAGS.sub("\n", text)
    text = html.unescape(_TAGS.sub("", text))
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _is_attachment(part: Message) -> bool:
    disposition = (part.get_content_disposition() or "").lower()
    return (
        disposition == "attachment"
        or (disposition == "inline" and bool(part.get_filename()) and part.get_content_maintype() != "text")
        or (not disposition and part.get_content_maintype() in {"application", "image", "audio", "video"})
    )


def _walk(message: Message) -> tuple[list[str], list[str], list[MailAttachment]]:
    plain: list[str] = []
    markup: list[str] = []
    attachments: list[MailAttachment] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        if _is_attachment(part):
            content = part.get_payload(decode=True)
            attachments.append(
                MailAttachment(
                    filename=_safe_filename(part.get_filename() or "", len(attachments) + 1),
                    content_type=part.get_content_type(),
                    content=content if isinstance(content, bytes) else b"",
                )
            )
        elif part.get_content_type() == "text/plain":
            plain.append(_decode_part(part))
        elif part.get_content_type() == "text/html":
            markup.append(_decode_part(part))
    return plain, markup, attachments


def _safe_filename(name: str, position: int) -> str:
    """The name without any path, control characters or leading dots; a placeholder when empty."""
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).replace("\\", "/").rsplit("/", 1)[-1].lstrip(".").strip()
    return name[:200] or f"attachment-{position}"


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, IndexError):  # a malformed header the registry cannot parse
        value = message.get_all(name, [""])[0] if hasattr(message, "get_all") else ""
    return re.sub(r"\s+", " ", str(value or "")).strip()


def _address(message: Message, header: str) -> tuple[str, str]:
    name, address = parseaddr(_header(message, header))
    return address.strip().lower(), name.strip()


def parse_message(raw: bytes) -> ParsedMail:
    """Parse one RFC 5322 message (bytes as read from the mailbox)."""
    message = message_from_bytes(raw, policy=policy.default)
    plain, markup, attachments = _walk(message)
    text = "\n\n".join(t.strip() for t in plain if t.strip())
    if not text and markup:
        text = "\n\n".join(html_to_text(m) for m in markup)
    address, name = _address(message, "From")
    message_id = (_message_ids(_header(message, "Message-ID")) or ("",))[0]
    if not message_id:
        # Without a Message-ID the content itself identifies the message, so a re-read still matches.
        message_id = f"<sha256-{hashlib.sha256(raw).hexdigest()}@intake.bastion>"
    recipients = tuple(
        a.strip().lower()
        for _, a in getaddresses(
            [
                _header(message, h)
                for h in ("Delivered-To", "X-Original-To", "To", "Cc")
                if _header(message, h)
            ]
        )
        if a
    )
    auto = _header(message, "Auto-Submitted").lower()
    precedence = _header(message, "Precedence").lower()
    return ParsedMail(
        message_id=message_id[:255],
        sender_address=address,
        sender_name=name,
        reply_to=_address(message, "Reply-To")[0] or address,
        recipients=tuple(dict.fromkeys(recipients)),
        subject=_header(message, "Subject")[:300],
        text=text.strip(),
        in_reply_to=_message_ids(_header(message, "In-Reply-To")),
        references=_message_ids(_header(message, "References")),
        attachments=tuple(attachments),
        auto_submitted=(auto not in {"", "no"}) or precedence in {"bulk", "junk", "list", "auto_reply"},
    )


# Where a mail client starts quoting the message being answered (English, Chinese clients, Outlook).
_QUOTE_HEADER = re.compile(
    r"^\s*(On .{1,200} wrote:|在\s*.{1,200}写道[:：]|-{2,}\s*(Original Message|原始邮件)\s*-{2,}"
    r"|_{5,}|From:\s.+|发件人[:：].+)\s*$",
    re.IGNORECASE,
)


def strip_quoted(text: str) -> str:
    """The new part of a reply: stops at the quoted original, drops '>' lines."""
    kept: list[str] = []
    for line in text.splitlines():
        if _QUOTE_HEADER.match(line):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
    result = "\n".join(kept).strip()
    return result or text.strip()
