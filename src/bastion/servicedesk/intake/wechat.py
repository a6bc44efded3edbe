"""The WeChat Official Account message protocol: signatures, inbound XML, the passive reply.

WeChat signs each callback with ``sha1`` over the lexically sorted token, timestamp and nonce, sent as
query parameters; messages are XML with CDATA sections. The XML is parsed with ``defusedxml``
(entity expansion and external entities refused), and only the fields the desk uses are read.
Safe-mode (AES) message encryption is not implemented: the account runs in plaintext or compatible
mode (decision 0317).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.etree.ElementTree import Element

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

MAX_BODY_BYTES = 64 * 1024
MESSAGE_TYPES = frozenset({"text", "image", "voice", "video", "shortvideo", "location", "link", "event"})


class WeChatProtocolError(ValueError):
    """The request is not a well-formed WeChat callback."""


def signature(*, token: str, timestamp: str, nonce: str) -> str:
    """WeChat's callback signature: sha1 of the sorted, concatenated token, timestamp and nonce."""
    joined = "".join(sorted([token, timestamp, nonce])).encode("utf-8")
    # SHA-1 is fixed by WeChat's protocol, not chosen here.
    return hashlib.sha1(joined).hexdigest()  # noqa: S324


def signature_valid(*, token: str, timestamp: str, nonce: str, given: str) -> bool:
    if not (token and timestamp and nonce and given):
        return False
    expected = signature(token=token, timestamp=timestamp, nonce=nonce)
    return hmac.compare_digest(expected, given.strip().lower())


def timestamp_fresh(timestamp: str, *, now: datetime, max_skew_seconds: int) -> bool:
    """A replayed callback carries an old timestamp; one from the future is as suspect."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    return abs(now.timestamp() - sent) <= max_skew_seconds


@dataclass(frozen=True)
class WeChatMessage:
    """One inbound message or event, as read from the XML body."""

    to_user: str  # the Official Account's own id (gh_...)
    from_user: str  # the follower's OpenID
    created: datetime
    msg_type: str
    msg_id: str = ""
    content: str = ""
    pic_url: str = ""
    media_id: str = ""
    format: str = ""
    recognition: str = ""
    event: str = ""
    event_key: str = ""
    location: str = ""
    url: str = ""
    title: str = ""

    @property
    def dedup_key(self) -> str:
        """MsgId when WeChat gives one; events have none, so sender and creation time stand in."""
        if self.msg_id:
            return self.msg_id
        return f"{self.from_user}:{int(self.created.timestamp())}:{self.event or self.msg_type}"

    @property
    def text(self) -> str:
        """What the follower said, as text: typed content, voice recognition, or a description."""
        if self.msg_type == "text":
            return self.content.strip()
        if self.msg_type == "voice":
            return self.recognition.strip()
        if self.msg_type == "link":
            return f"{self.title} {self.url}".strip()
        if self.msg_type == "location":
            return self.location
        return ""


def _text(root: Element, name: str) -> str:
    node = root.find(name)
    return (node.text or "").strip() if node is not None else ""


def parse_message(body: bytes) -> WeChatMessage:
    """Parse a callback body; raise :class:`WeChatProtocolError` on anything but a WeChat message."""
    if len(body) > MAX_BODY_BYTES:
        raise WeChatProtocolError("body too large")
    try:
        root = ElementTree.fromstring(body, forbid_dtd=True)
    except (ElementTree.ParseError, DefusedXmlException, ValueError) as exc:
        raise WeChatProtocolError(f"not XML: {exc}") from None
    if root.tag != "xml":
        raise WeChatProtocolError("root element is not <xml>")
    msg_type = _text(root, "MsgType").lower()
    from_user, to_user = _text(root, "FromUserName"), _text(root, "ToUserName")
    if msg_type not in MESSAGE_TYPES or not from_user or not to_user:
        raise WeChatProtocolError("missing ToUserName, FromUserName or a known MsgType")
    try:
        created = datetime.fromtimestamp(int(_text(root, "CreateTime")), tz=UTC)
    except (ValueError, OverflowError, OSError):
        raise WeChatProtocolError("CreateTime is not a Unix time") from None
    label = _text(root, "Label")
    x, y = _text(root, "Location_X"), _text(root, "Location_Y")
    return WeChatMessage(
        to_user=to_user[:64],
        from_user=from_user[:64],
        created=created,
        msg_type=msg_type,
        msg_id=_text(root, "MsgId")[:64],
        content=_text(root, "Content")[:4000],
        pic_url=_text(root, "PicUrl")[:500],
        media_id=_text(root, "MediaId")[:200],
        format=_text(root, "Format")[:20],
        recognition=_text(root, "Recognition")[:4000],
        event=_text(root, "Event").lower()[:40],
        event_key=_text(root, "EventKey")[:200],
        location=f"{label} ({x}, {y})".strip() if (x or label) else "",
        url=_text(root, "Url")[:500],
        title=_text(root, "Title")[:200],
    )


def _cdata(value: str) -> str:
    # "]]>" cannot appear inside CDATA; split it across two sections.
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_reply(*, message: WeChatMessage, content: str, now: datetime) -> str:
    """The passive reply: a text message back to the sender, addressed as WeChat requires."""
    return (
        "<xml>"
        f"<ToUserName>{_cdata(message.from_user)}</ToUserName>"
        f"<FromUserName>{_cdata(message.to_user)}</FromUserName>"
        f"<CreateTime>{int(now.timestamp())}</CreateTime>"
        "<MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{_cdata(content)}</Content>"
        "</xml>"
    )
