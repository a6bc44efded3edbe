"""Delivery providers behind one interface: e-mail (SMTP), SMS gateway, WeCom, DingTalk, webhook.

A provider takes an :class:`Outbound` message and either returns a short detail (delivered) or
raises :class:`DeliveryError`, saying whether trying again may help (network trouble, 5xx, 429) or
not (no address, a 4xx refusal, a channel that is not configured). HTTP providers use httpx with a
timeout, so a stuck endpoint never holds a worker for long.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import smtplib
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
from django.core.mail import EmailMessage, get_connection

from bastion.notify import config
from bastion.notify.choices import Channel


@dataclass(frozen=True)
class Outbound:
    """Everything a provider needs to send one notification."""

    notification_id: int
    kind: str
    subject: str
    body: str
    link: str  # absolute URL or ""
    recipient_name: str
    email: str
    phone: str
    object_type: str = ""
    object_id: str = ""

    def text(self) -> str:
        parts = [self.subject, self.body.strip(), self.link]
        return "\n\n".join(part for part in parts if part)


class DeliveryError(Exception):
    """A failed delivery; ``retryable`` says whether another attempt may succeed."""

    def __init__(self, message: str, *, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


class Provider(Protocol):
    channel: str

    def send(self, message: Outbound) -> str: ...


def _require(name: str) -> str:
    value = config.setting(name)
    if not value:
        raise DeliveryError(f"{name} is not configured", retryable=False)
    return value


class EmailProvider:
    """E-mail through Django's mail backend (SMTP in production; host and login from BASTION_SMTP_*)."""

    channel: str = Channel.EMAIL

    def send(self, message: Outbound) -> str:
        if not message.email:
            raise DeliveryError("the recipient has no e-mail address", retryable=False)
        connection = get_connection(
            host=config.setting("BASTION_SMTP_HOST", "localhost"),
            port=config.int_setting("BASTION_SMTP_PORT", 25),
            username=config.setting("BASTION_SMTP_USER") or None,
            password=config.setting("BASTION_SMTP_PASSWORD") or None,
            use_tls=config.bool_setting("BASTION_SMTP_STARTTLS"),
            use_ssl=config.bool_setting("BASTION_SMTP_SSL"),
            timeout=config.http_timeout(),
        )
        email = EmailMessage(
            subject=message.subject,
            body="\n\n".join(part for part in (message.body.strip(), message.link) if part),
            from_email=config.setting("BASTION_SMTP_FROM", "bastion@localhost"),
            to=[message.email],
            headers={"X-Bastion-Notification": str(message.notification_id)},
            connection=connection,
        )
        try:
            email.send(fail_silently=False)
        except OSError as exc:  # smtplib errors are OSErrors: refused, timeouts, 4xx/5xx replies
            raise DeliveryError(f"SMTP: {exc}"[:400], retryable=not _permanent_smtp(exc)) from exc
        return f"accepted for {message.email}"


def _permanent_smtp(exc: OSError) -> bool:
    """A 5xx reply (to the message or to every recipient) will not change on retry; 4xx and I/O may."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _message in exc.recipients.values())
    return int(getattr(exc, "smtp_code", 0) or 0) >= 500


def _post_json(url: str, payload: dict[str, Any], *, headers: dict[str, str] | None = None) -> httpx.Response:
    body = json.dumps(payload, ensure_ascii=False).encode()
    try:
        response = httpx.post(
            url,
            content=body,
            headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
            timeout=config.http_timeout(),
        )
    except httpx.HTTPError as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}"[:400], retryable=True) from exc
    if response.status_code == 429 or response.status_code >= 500:
        raise DeliveryError(f"HTTP {response.status_code}", retryable=True)
    if response.status_code >= 400:
        raise DeliveryError(f"HTTP {response.status_code}: {response.text[:200]}", retryable=False)
    return response


def _robot_errcode(response: httpx.Response, service: str) -> str:
    """WeCom and DingTalk answer 200 with ``{"errcode": 0, "errmsg": "ok"}``; anything else failed."""
    try:
        data = response.json()
    except ValueError as exc:
        raise DeliveryError(f"{service}: unreadable answer", retryable=True) from exc
    code = data.get("errcode")
    if code != 0:
        # -1 means the robot service is busy; everything else is a configuration or content error.
        raise DeliveryError(f"{service} errcode {code}: {data.get('errmsg', '')}"[:400], retryable=code == -1)
    return f"{service} ok"


class WeComProvider:
    """A WeCom (企业微信) group robot: ``text`` message mentioning the recipient's mobile number."""

    channel: str = Channel.WECOM

    def send(self, message: Outbound) -> str:
        url = _require("BASTION_NOTIFY_WECOM_WEBHOOK")
        payload = {
            "msgtype": "text",
            "text": {
                "content": message.text(),
                "mentioned_mobile_list": [message.phone] if message.phone else [],
            },
        }
        return _robot_errcode(_post_json(url, payload), "WeCom")


def dingtalk_signed_url(url: str, secret: str, *, timestamp_ms: int | None = None) -> str:
    """The robot URL with ``timestamp`` and ``sign`` = base64(HMAC-SHA256(secret, "ts\\nsecret"))."""
    timestamp = str(timestamp_ms if timestamp_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest).decode())
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}timestamp={timestamp}&sign={sign}"


class DingTalkProvider:
    """A DingTalk (钉钉) group robot with the signed-timestamp security setting."""

    channel: str = Channel.DINGTALK

    def send(self, message: Outbound) -> str:
        url = _require("BASTION_NOTIFY_DINGTALK_WEBHOOK")
        secret = config.setting("BASTION_NOTIFY_DINGTALK_SECRET")
        if secret:
            url = dingtalk_signed_url(url, secret)
        payload = {
            "msgtype": "text",
            "text": {"content": message.text()},
            "at": {"atMobiles": [message.phone] if message.phone else [], "isAtAll": False},
        }
        return _robot_errcode(_post_json(url, payload), "DingTalk")


def _signature_headers(body: dict[str, Any], secret: str) -> dict[str, str]:
    timestamp = str(int(time.time()))
    raw = json.dumps(body, ensure_ascii=False).encode()
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    return {"X-Bastion-Timestamp": timestamp, "X-Bastion-Signature": f"sha256={digest}"}


class SmsProvider:
    """An SMS gateway reached over HTTP: ``{"to", "text", "reference"}`` with a bearer token."""

    channel: str = Channel.SMS

    def send(self, message: Outbound) -> str:
        url = _require("BASTION_NOTIFY_SMS_URL")
        if not message.phone:
            raise DeliveryError("the recipient has no mobile number", retryable=False)
        token = config.setting("BASTION_NOTIFY_SMS_TOKEN")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        # SMS is short and costly: subject and link only, the body stays in the console.
        text = " ".join(part for part in (message.subject, message.link) if part)[:300]
        payload = {"to": message.phone, "text": text, "reference": str(message.notification_id)}
        response = _post_json(url, payload, headers=headers)
        return f"SMS gateway HTTP {response.status_code}"


class WebhookProvider:
    """A generic JSON webhook, signed with HMAC-SHA256 over ``timestamp.body`` when a secret is set."""

    channel: str = Channel.WEBHOOK

    def send(self, message: Outbound) -> str:
        url = _require("BASTION_NOTIFY_WEBHOOK_URL")
        payload = {
            "id": message.notification_id,
            "kind": message.kind,
            "subject": message.subject,
            "body": message.body,
            "link": message.link,
            "recipient": message.recipient_name,
            "object": {"type": message.object_type, "id": message.object_id},
        }
        secret = config.setting("BASTION_NOTIFY_WEBHOOK_SECRET")
        headers = _signature_headers(payload, secret) if secret else {}
        response = _post_json(url, payload, headers=headers)
        return f"webhook HTTP {response.status_code}"


PROVIDERS: dict[str, Provider] = {
    provider.channel: provider
    for provider in (EmailProvider(), SmsProvider(), WeComProvider(), DingTalkProvider(), WebhookProvider())
}


def provider_for(channel: str) -> Provider:
    try:
        return PROVIDERS[channel]
    except KeyError as exc:
        raise DeliveryError(f"no provider for channel {channel}", retryable=False) from exc
