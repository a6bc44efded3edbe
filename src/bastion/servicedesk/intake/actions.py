"""Every write of the intake channels: logging messages, opening or annotating orders, acknowledgements.

Orders are opened and annotated only through ``bastion.servicedesk.actions`` (which audit them); the
intake log row is written in the same transaction, so a message is either fully taken in (order,
timeline, log, attachments) or not at all and read again next time. Intake runs with no human actor:
the audit trail records the system.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from bastion.audit.actions import record_event
from bastion.identity.models import Branch, User
from bastion.platform.errors import DomainError, FieldError, NotFound, PermissionDenied
from bastion.platform.scoping import get_scoped_object, scoped
from bastion.platform.uploads import validate_upload
from bastion.servicedesk.actions import do_add_work_order_note, do_open_work_order
from bastion.servicedesk.choices import Channel, NoteSource, WorkOrderKind, WorkOrderStatus
from bastion.servicedesk.intake import routing
from bastion.servicedesk.intake.choices import Direction, IntakeChannel, Outcome
from bastion.servicedesk.intake.email import MailAttachment, ParsedMail, parse_message, strip_quoted
from bastion.servicedesk.intake.models import IntakeAttachment, IntakeMessage, WeChatReporter
from bastion.servicedesk.intake.permissions import MANAGE_INTAKE
from bastion.servicedesk.intake.wechat import WeChatMessage
from bastion.servicedesk.models import WorkOrder

logger = logging.getLogger(__name__)

ATTACHMENT_KINDS = {"pdf", "png", "jpeg", "xlsx", "csv"}
MAX_ATTACHMENTS = 20
MAX_SYMPTOMS = 20_000
_CLOSED = frozenset({WorkOrderStatus.CLOSED, WorkOrderStatus.CANCELLED})


# --- e-mail ---------------------------------------------------------------------------------------


def _title(mail: ParsedMail) -> str:
    first_line = next((line.strip() for line in mail.text.splitlines() if line.strip()), "")
    return (mail.title or first_line or _("E-mail without subject"))[:200]


def _keep_attachment(message: IntakeMessage, attachment: MailAttachment) -> IntakeAttachment:
    """Store the file when its real type is accepted, else list it with the reason (never executed)."""
    row = IntakeAttachment(
        message=message,
        filename=attachment.filename,
        content_type=attachment.content_type[:120],
        size=attachment.size,
    )
    upload = ContentFile(attachment.content, name=attachment.filename)
    try:
        row.kind = validate_upload(upload, allowed=ATTACHMENT_KINDS, field="attachment")
    except FieldError as exc:
        row.rejected_reason = exc.message[:300]
    else:
        row.file.save(attachment.filename, upload, save=False)
    row.save()
    return row


def _attachment_lines(rows: list[IntakeAttachment]) -> str:
    lines = []
    for row in rows:
        if row.kind:
            lines.append(_("Attachment kept: %(name)s") % {"name": row.filename})
        else:
            lines.append(
                _("Attachment not kept: %(name)s (%(reason)s)")
                % {"name": row.filename, "reason": row.rejected_reason}
            )
    return "\n".join(lines)


def _log_mail(
    mail: ParsedMail, *, mailbox: str, outcome: str, branch: Branch | None, detail: str = ""
) -> IntakeMessage:
    return IntakeMessage.objects.create(
        channel=IntakeChannel.EMAIL,
        direction=Direction.INBOUND,
        external_id=mail.message_id,
        branch=branch,
        outcome=outcome,
        sender=mail.sender_address[:255],
        sender_name=mail.sender_name[:200],
        recipient=",".join(mail.recipients)[:255],
        subject=mail.subject[:300],
        mailbox=mailbox[:300],
        detail=detail[:2000],
        received_at=timezone.now(),
    )


def _is_own_or_automatic(mail: ParsedMail) -> bool:
    own = settings.BASTION_INTAKE_MAIL_FROM.lower()
    local = mail.sender_address.split("@", 1)[0]
    # Bounces, vacation replies and our own acknowledgements must never open orders (mail loops).
    return mail.auto_submitted or mail.sender_address == own or local in {"mailer-daemon", "postmaster"}


def _take_mail(mail: ParsedMail, mailbox: str) -> IntakeMessage:
    if _is_own_or_automatic(mail):
        return _log_mail(mail, mailbox=mailbox, outcome=Outcome.IGNORED, branch=None, detail="automatic")
    target = routing.thread_target(mail)
    if target is not None and target.status not in _CLOSED:
        return _thread_mail(mail, mailbox, target)
    branch, reason = routing.mail_branch(mail)
    if branch is None and target is not None:
        branch, reason = target.branch, f"follow-up to {target.number}"
    if branch is None:
        return _log_mail(mail, mailbox=mailbox, outcome=Outcome.UNROUTED, branch=None, detail="no branch")
    return _open_from_mail(mail, mailbox, branch, reason, follow_up=target)


def _thread_mail(mail: ParsedMail, mailbox: str, order: WorkOrder) -> IntakeMessage:
    logged = _log_mail(mail, mailbox=mailbox, outcome=Outcome.THREADED, branch=order.branch)
    kept = [_keep_attachment(logged, a) for a in mail.attachments[:MAX_ATTACHMENTS]]
    sender = mail.sender_name or mail.sender_address
    text = "\n\n".join(
        part
        for part in (
            _("E-mail from %(sender)s: %(subject)s") % {"sender": sender, "subject": mail.subject},
            strip_quoted(mail.text)[:MAX_SYMPTOMS],
            _attachment_lines(kept),
        )
        if part
    )
    do_add_work_order_note(
        work_order_id=order.pk, text=text, source=NoteSource.EMAIL, external_ref=mail.message_id, actor=None
    )
    logged.work_order_id = order.pk
    logged.save(update_fields=["work_order_id"])
    return logged


def _open_from_mail(
    mail: ParsedMail, mailbox: str, branch: Branch, reason: str, *, follow_up: WorkOrder | None
) -> IntakeMessage:
    logged = _log_mail(mail, mailbox=mailbox, outcome=Outcome.OPENED, branch=branch, detail=reason)
    kept = [_keep_attachment(logged, a) for a in mail.attachments[:MAX_ATTACHMENTS]]
    device = routing.device_in_text(branch.pk, (mail.subject, mail.text))
    prefix = (
        _("Follow-up to the closed order %(number)s.") % {"number": follow_up.number} if follow_up else ""
    )
    symptoms = "\n\n".join(p for p in (prefix, mail.text[:MAX_SYMPTOMS], _attachment_lines(kept)) if p)
    order = do_open_work_order(
        branch_id=branch.pk,
        kind=WorkOrderKind.FAULT,
        channel=Channel.EMAIL,
        title=_title(mail),
        symptoms=symptoms or _title(mail),
        reporter_name=(mail.sender_name or mail.sender_address)[:100],
        reporter_contact=mail.sender_address,
        device_id=device.pk if device else None,
        external_ref=mail.message_id,
        actor=None,
    )
    logged.work_order_id = order.pk
    logged.save(update_fields=["work_order_id"])
    if mail.reply_to:
        _queue_acknowledgement(order, to=mail.reply_to, in_reply_to=mail.message_id)
    return logged


def do_ingest_email(*, raw: bytes, mailbox: str = "", actor: Any = None) -> IntakeMessage:
    """Take in one e-mail: open an order, thread a reply onto one, or log why not. Idempotent by Message-ID.

    A domain refusal (say, a mapped branch that no longer exists) is logged as ``failed`` with the
    reason and the message counts as read: it waits in the intake log for triage, and the same message
    delivered again is taken in afresh rather than answered from the failed row.
    """
    mail = parse_message(raw)
    existing = _existing(IntakeChannel.EMAIL, mail.message_id)
    if existing is not None and existing.outcome != Outcome.FAILED:
        return existing
    try:
        with transaction.atomic():
            if existing is not None:
                existing.delete()  # a failed attempt is replaced by this one
            return _take_mail(mail, mailbox)
    except IntegrityError:
        # Another reader took the same message in meanwhile; its row is the answer.
        again = _existing(IntakeChannel.EMAIL, mail.message_id)
        if again is None:
            raise
        return again
    except DomainError as exc:
        logger.warning("e-mail %s not taken in: %s", mail.message_id, exc.message)
        with transaction.atomic():
            return _log_mail(mail, mailbox=mailbox, outcome=Outcome.FAILED, branch=None, detail=exc.message)


def _existing(channel: str, external_id: str) -> IntakeMessage | None:
    return IntakeMessage.objects.filter(
        channel=channel, direction=Direction.INBOUND, external_id=external_id
    ).first()


# --- acknowledgements -----------------------------------------------------------------------------


def _domain() -> str:
    return settings.BASTION_INTAKE_MAIL_FROM.rpartition("@")[2] or "bastion.invalid"


def _queue_acknowledgement(order: WorkOrder, *, to: str, in_reply_to: str) -> IntakeMessage:
    """Remember the acknowledgement's Message-ID (replies to it thread) and send it after commit."""
    outbound = IntakeMessage.objects.create(
        channel=IntakeChannel.EMAIL,
        direction=Direction.OUTBOUND,
        external_id=make_msgid(idstring=f"wo{order.pk}", domain=_domain()),
        branch=order.branch,
        work_order_id=order.pk,
        outcome=Outcome.PENDING,
        sender=settings.BASTION_INTAKE_MAIL_FROM,
        recipient=to[:255],
        subject=acknowledgement_subject(order)[:300],
        detail=in_reply_to,
        received_at=timezone.now(),
    )
    from bastion.servicedesk.intake.tasks import send_acknowledgement

    transaction.on_commit(lambda: send_acknowledgement(outbound.pk))
    return outbound


def acknowledgement_subject(order: WorkOrder) -> str:
    # The tag keeps threading when a client drops In-Reply-To; [WO-n] is what intake looks for.
    with translation.override("zh-hans"):
        return f"[{order.number}] " + _("Received: %(title)s") % {"title": order.title}


def acknowledgement_body(order: WorkOrder) -> str:
    """Chinese first, then English: the reporter's language is not known from an e-mail."""
    parts = []
    for language in ("zh-hans", "en"):
        with translation.override(language):
            parts.append(
                _(
                    "Your report has been received as work order %(number)s (%(title)s).\n"
                    "Reply to this e-mail to add information; keep %(number)s in the subject."
                )
                % {"number": order.number, "title": order.title}
            )
    return "\n\n".join(parts) + "\n"


def do_send_intake_acknowledgement(*, message_id: int) -> bool:
    """Send one queued acknowledgement; True once sent. SMTP errors propagate so the task retries."""
    outbound = IntakeMessage.objects.filter(
        pk=message_id, direction=Direction.OUTBOUND, outcome__in=[Outcome.PENDING, Outcome.FAILED]
    ).first()
    if outbound is None or outbound.work_order_id is None:
        return False
    order = WorkOrder.objects.get(pk=outbound.work_order_id)
    from bastion.notify import config  # the desk's SMTP settings are the notification channel's

    email = EmailMessage(
        subject=outbound.subject,
        body=acknowledgement_body(order),
        from_email=outbound.sender,
        to=[outbound.recipient],
        headers={
            "Message-ID": outbound.external_id,
            "In-Reply-To": outbound.detail,
            "References": outbound.detail,
            "Auto-Submitted": "auto-replied",  # RFC 3834: other robots must not answer it
        },
        connection=get_connection(
            host=config.setting("BASTION_SMTP_HOST", "localhost"),
            port=config.int_setting("BASTION_SMTP_PORT", 25),
            username=config.setting("BASTION_SMTP_USER") or None,
            password=config.setting("BASTION_SMTP_PASSWORD") or None,
            use_tls=config.bool_setting("BASTION_SMTP_STARTTLS"),
            use_ssl=config.bool_setting("BASTION_SMTP_SSL"),
            timeout=config.http_timeout(),
        ),
    )
    outbound.attempts += 1
    try:
        email.send(fail_silently=False)
    except OSError:
        outbound.outcome = Outcome.FAILED
        outbound.save(update_fields=["attempts", "outcome"])
        raise
    outbound.outcome = Outcome.SENT
    outbound.save(update_fields=["attempts", "outcome"])
    return True


# --- WeChat ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeChatResult:
    """What to answer the follower, and the logged message."""

    reply: str
    message: IntakeMessage


def _reporter(openid: str) -> tuple[Branch | None, str, str]:
    bound = WeChatReporter.objects.filter(openid=openid, is_active=True).select_related("branch").first()
    if bound is not None:
        return bound.branch, bound.display_name, bound.contact or f"wechat:{openid}"
    default = settings.BASTION_WECHAT_DEFAULT_BRANCH
    branch = Branch.objects.filter(code=default, is_active=True).first() if default else None
    return branch, _("WeChat user %(suffix)s") % {"suffix": openid[-6:]}, f"wechat:{openid}"


def _wechat_text(message: WeChatMessage) -> str:
    if message.text:
        return message.text
    if message.msg_type == "image":
        return _("Picture sent over WeChat: %(url)s (media %(media)s)") % {
            "url": message.pic_url,
            "media": message.media_id,
        }
    if message.msg_type in {"voice", "video", "shortvideo"}:
        return _("%(kind)s message sent over WeChat (media %(media)s)") % {
            "kind": message.msg_type,
            "media": message.media_id,
        }
    return ""


def _log_wechat(
    message: WeChatMessage, *, outcome: str, branch: Branch | None, order_id: int | None, name: str
) -> IntakeMessage:
    return IntakeMessage.objects.create(
        channel=IntakeChannel.WECHAT,
        direction=Direction.INBOUND,
        external_id=message.dedup_key,
        branch=branch,
        work_order_id=order_id,
        outcome=outcome,
        sender=message.from_user,
        sender_name=name[:200],
        recipient=message.to_user,
        subject=(_wechat_text(message) or message.event or message.msg_type)[:120],
        received_at=timezone.now(),
    )


def reply_for(logged: IntakeMessage) -> str:
    """The passive reply for a logged message (also when WeChat retries it)."""
    with translation.override("zh-hans"):
        order = WorkOrder.objects.filter(pk=logged.work_order_id).first() if logged.work_order_id else None
        if logged.outcome == Outcome.OPENED and order is not None:
            return _("Received. Work order number %(number)s; an engineer will contact you.") % {
                "number": order.number
            }
        if logged.outcome == Outcome.THREADED and order is not None:
            return _("Added to work order %(number)s.") % {"number": order.number}
        if logged.outcome == Outcome.UNROUTED:
            return _("Your WeChat account is not registered with the service desk; please ask your branch.")
        if logged.outcome == Outcome.FAILED:
            return _("Your message could not be registered; please call the service desk.")
        if logged.detail == "subscribe":
            return _("Welcome. Describe a fault here (device, symptoms) and we will open a work order.")
        return ""


def _take_wechat(message: WeChatMessage) -> IntakeMessage:
    if message.msg_type == "event":
        return _log_wechat_event(message)
    text = _wechat_text(message)
    branch, name, contact = _reporter(message.from_user)
    if not text:
        return _log_wechat(message, outcome=Outcome.IGNORED, branch=branch, order_id=None, name=name)
    if branch is None:
        return _log_wechat(message, outcome=Outcome.UNROUTED, branch=None, order_id=None, name=name)
    previous = routing.last_wechat_order(message.from_user)
    if previous is not None and previous.is_open:
        do_add_work_order_note(
            work_order_id=previous.pk,
            text=text,
            source=NoteSource.WECHAT,
            external_ref=f"wechat:{message.dedup_key}",
            actor=None,
        )
        return _log_wechat(
            message, outcome=Outcome.THREADED, branch=previous.branch, order_id=previous.pk, name=name
        )
    device = routing.device_in_text(branch.pk, (text,))
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), text)
    order = do_open_work_order(
        branch_id=branch.pk,
        kind=WorkOrderKind.FAULT,
        channel=Channel.WECHAT,
        title=first_line[:60],
        symptoms=text[:MAX_SYMPTOMS],
        reporter_name=name,
        reporter_contact=contact,
        device_id=device.pk if device else None,
        external_ref=f"wechat:{message.dedup_key}",
        actor=None,
    )
    return _log_wechat(message, outcome=Outcome.OPENED, branch=branch, order_id=order.pk, name=name)


def _log_wechat_event(message: WeChatMessage) -> IntakeMessage:
    logged = _log_wechat(message, outcome=Outcome.IGNORED, branch=None, order_id=None, name="")
    logged.detail = message.event
    logged.save(update_fields=["detail"])
    return logged


def do_ingest_wechat_message(*, message: WeChatMessage, actor: Any = None) -> WeChatResult:
    """Take in one callback message; a repeat of the same MsgId (WeChat retries) answers the same."""
    existing = _existing(IntakeChannel.WECHAT, message.dedup_key)
    if existing is None:
        try:
            with transaction.atomic():
                existing = _take_wechat(message)
        except IntegrityError:
            existing = _existing(IntakeChannel.WECHAT, message.dedup_key)
            if existing is None:
                raise
        except DomainError as exc:
            # WeChat must still get an answer in time; the refusal waits in the log for triage.
            logger.warning("wechat message %s not taken in: %s", message.dedup_key, exc.message)
            with transaction.atomic():
                existing = _log_wechat(message, outcome=Outcome.FAILED, branch=None, order_id=None, name="")
                existing.detail = exc.message[:2000]
                existing.save(update_fields=["detail"])
    return WeChatResult(reply=reply_for(existing), message=existing)


def do_bind_wechat_reporter(
    *,
    openid: str,
    display_name: str,
    branch_id: int,
    contact: str = "",
    user_id: int | None = None,
    actor: Any,
) -> WeChatReporter:
    """Register (or update) which branch and person a follower's OpenID reports for. Audited."""
    openid, display_name = openid.strip(), display_name.strip()
    if not openid or len(openid) > 64:
        raise FieldError("openid", _("An OpenID of at most 64 characters is required."))
    if not display_name:
        raise FieldError("display_name", _("A name is required."))
    if actor is not None and not actor.has_permission(MANAGE_INTAKE):
        raise PermissionDenied(_("You lack the permission %(code)s.") % {"code": MANAGE_INTAKE})
    branches = Branch.objects.filter(is_active=True)
    try:
        branch = (
            get_scoped_object(branches, actor, pk=branch_id)
            if actor is not None
            else branches.get(pk=branch_id)
        )
    except (NotFound, Branch.DoesNotExist):
        raise FieldError("branch_id", _("Unknown branch.")) from None
    users = User.objects.filter(is_active=True)
    user = (
        (scoped(users, actor) if actor is not None else users).filter(pk=user_id).first() if user_id else None
    )
    if user_id and user is None:
        raise FieldError("user_id", _("Unknown user."))
    with transaction.atomic():
        reporter = WeChatReporter.objects.select_for_update().filter(openid=openid).first()
        before = _reporter_dict(reporter) if reporter else None
        reporter = reporter or WeChatReporter(openid=openid)
        reporter.display_name, reporter.contact = display_name[:100], contact.strip()[:100]
        reporter.branch, reporter.user, reporter.is_active = branch, user, True
        reporter.save()
        record_event(
            action="servicedesk.wechat_reporter_bound",
            actor=actor,
            obj=reporter,
            before=before,
            after=_reporter_dict(reporter),
        )
    return reporter


def _reporter_dict(reporter: WeChatReporter) -> dict[str, Any]:
    return {
        "branch_id": reporter.branch_id,
        "display_name": reporter.display_name,
        "user_id": reporter.user_id,
        "is_active": reporter.is_active,
    }
