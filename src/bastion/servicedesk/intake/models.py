"""State of the intake channels: mailbox cursors, the message log and WeChat reporter bindings.

Work orders are referred to by plain integer ids (as ``Alarm.work_order_id`` is): intake state must
not tie its migrations to the work-order table's, and a message is logged even when no order exists
for it (unrouted, ignored).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from bastion.platform.crypto import EncryptedTextField, blind_index
from bastion.servicedesk.intake.choices import Direction, IntakeChannel, Outcome


def sender_key(sender: str) -> str:
    """The keyed hash that finds a sender's messages without decrypting the log."""
    basis = sender.strip().lower()
    return blind_index(basis, context="servicedesk.intake.sender") if basis else ""


class MailboxCursor(models.Model):
    """How far an IMAP mailbox has been read: the last UID stored, valid while UIDVALIDITY holds."""

    key = models.CharField(_("mailbox"), max_length=300, unique=True)
    uid_validity = models.BigIntegerField(_("UIDVALIDITY"), null=True, blank=True)
    last_uid = models.BigIntegerField(_("last UID read"), default=0)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    branch_scope_path = None  # operational state of a channel, not branch data

    class Meta:
        ordering = ["key"]
        verbose_name = _("mailbox cursor")
        verbose_name_plural = _("mailbox cursors")

    def __str__(self) -> str:
        return f"{self.key} @ {self.last_uid}"


class IntakeMessage(models.Model):
    """One message in or out of a channel; its external id makes intake idempotent and threads replies.

    Inbound: the e-mail Message-ID or the WeChat MsgId. Outbound: the Message-ID of the
    acknowledgement we sent, so a reply's In-Reply-To finds the order again.
    """

    channel = models.CharField(_("channel"), max_length=10, choices=IntakeChannel.choices)
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    external_id = models.CharField(_("external id"), max_length=255)
    branch = models.ForeignKey(
        "identity.Branch",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("branch"),
    )
    work_order_id = models.BigIntegerField(_("work order"), null=True, blank=True, db_index=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    # Personal data: the address or OpenID is stored encrypted and found by its keyed hash.
    sender = EncryptedTextField(_("sender"), blank=True, default="")
    sender_key = models.CharField(max_length=64, blank=True, editable=False)
    sender_name = models.CharField(_("sender name"), max_length=200, blank=True)
    recipient = models.CharField(_("recipient"), max_length=255, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    mailbox = models.CharField(_("mailbox"), max_length=300, blank=True)
    detail = models.TextField(_("detail"), blank=True)
    received_at = models.DateTimeField(_("received"))
    attempts = models.PositiveSmallIntegerField(_("send attempts"), default=0)

    branch_scope_path = "branch"

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("intake message")
        verbose_name_plural = _("intake messages")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "direction", "external_id"], name="intake_message_unique_external_id"
            ),
        ]
        indexes = [
            models.Index(fields=["channel", "sender_key", "-received_at"], name="intake_msg_sender_key"),
        ]

    def __str__(self) -> str:
        return f"{self.channel}/{self.direction} {self.external_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.sender_key = sender_key(self.sender)
        if kwargs.get("update_fields") is not None and "sender" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "sender_key"}
        super().save(*args, **kwargs)

    @property
    def outcome_colour(self) -> str:
        return Outcome.colour(self.outcome)


class IntakeAttachment(models.Model):
    """A file that came with an inbound e-mail: kept when its real type is accepted, else only listed."""

    message = models.ForeignKey(
        IntakeMessage, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("message")
    )
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("declared type"), max_length=120)
    size = models.PositiveBigIntegerField(_("size"))
    kind = models.CharField(_("checked type"), max_length=10, blank=True)
    file = models.FileField(_("file"), upload_to="servicedesk/intake/%Y/%m/", blank=True)
    rejected_reason = models.CharField(_("why it was not kept"), max_length=300, blank=True)

    branch_scope_path = "message__branch"

    class Meta:
        ordering = ["message_id", "pk"]
        verbose_name = _("intake attachment")
        verbose_name_plural = _("intake attachments")

    def __str__(self) -> str:
        return self.filename


class WeChatReporter(models.Model):
    """An Official Account follower (OpenID) known to the desk: who they are and for which branch."""

    openid = models.CharField(_("OpenID"), max_length=64, unique=True)
    display_name = models.CharField(_("name"), max_length=100)
    contact = EncryptedTextField(_("contact"), blank=True, default="")
    branch = models.ForeignKey(
        "identity.Branch", on_delete=models.PROTECT, related_name="+", verbose_name=_("branch")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff user"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    branch_scope_path = "branch"

    class Meta:
        ordering = ["branch_id", "display_name"]
        verbose_name = _("WeChat reporter")
        verbose_name_plural = _("WeChat reporters")

    def __str__(self) -> str:
        return f"{self.display_name} ({self.openid[-6:]})"
