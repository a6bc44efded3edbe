"""E-mail intake end to end: messages put into a Maildir or a real IMAP server, read by the CLI."""

from __future__ import annotations

import mailbox
from email.header import Header
from email.message import EmailMessage
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, make_msgid

import pytest
from django.core import mail as outbox
from django.core.management import CommandError, call_command
from django.test import override_settings

from bastion.servicedesk.choices import Channel, NoteSource, TimelineKind, WorkOrderStatus
from bastion.servicedesk.intake.choices import Direction, Outcome
from bastion.servicedesk.intake.email import parse_message, strip_quoted
from bastion.servicedesk.intake.models import IntakeAttachment, IntakeMessage
from bastion.servicedesk.models import WorkOrder
from tests.servicedesk.conftest import make_device

pytestmark = pytest.mark.django_db

DESK = "desk-sh@bank.example"
ROUTED = override_settings(
    BASTION_INTAKE_MAIL_BRANCHES=f"{DESK}=sh-pudong,desk-bj@bank.example=bj-haidian",
    BASTION_INTAKE_MAIL_FROM="servicedesk@bank.example",
)
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489") + b"\x00" * 64


def plain(subject: str, body: str, *, sender="张三 <zhangsan@branch.example>", to=DESK, **headers) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = headers.pop("message_id", make_msgid(domain="branch.example"))
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message.as_bytes()


def gb2312_with_attachments() -> bytes:
    """As a Chinese desktop client writes it: GB2312 text, RFC 2047 subject, two attachments."""
    message = MIMEMultipart()
    message["From"] = formataddr(("李四", "lisi@branch.example"), charset="gb2312")
    message["To"] = DESK
    message["Subject"] = Header("ATM-SH-0001 钞箱卡钞，无法取款", "gb2312")
    message["Message-ID"] = "<gb-1@branch.example>"
    message.attach(MIMEText("大堂 ATM-SH-0001 出现卡钞故障，请尽快处理。", "plain", "gb2312"))
    picture = MIMEApplication(PNG, "png", Name="现场照片.png")
    picture.replace_header("Content-Type", "image/png")
    picture.add_header("Content-Disposition", "attachment", filename=("gb2312", "", "现场照片.png"))
    message.attach(picture)
    program = MIMEApplication(b"MZ\x90\x00fake", "octet-stream")
    program.add_header("Content-Disposition", "attachment", filename="fix.exe")
    message.attach(program)
    return message.as_bytes()


def deliver(tmp_path, *messages: bytes) -> str:
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    for raw in messages:
        box.add(raw)
    return str(tmp_path / "Maildir")


def read(path: str, capture) -> str:
    from io import StringIO

    out = StringIO()
    with capture(execute=True):
        call_command("servicedesk_mail", maildir=path, stdout=out)
    return out.getvalue()


@ROUTED
def test_new_mail_opens_an_order_and_acknowledges_it(world, tmp_path, django_capture_on_commit_callbacks):
    path = deliver(tmp_path, gb2312_with_attachments())
    output = read(path, django_capture_on_commit_callbacks)
    assert "1 messages taken in" in output

    order = WorkOrder.objects.get()
    assert order.channel == Channel.EMAIL
    assert order.branch == world.branch_a
    assert order.title == "ATM-SH-0001 钞箱卡钞，无法取款"
    assert "出现卡钞故障" in order.symptoms
    assert order.reporter_name == "李四" and order.reporter_contact == "lisi@branch.example"
    assert order.external_ref == "<gb-1@branch.example>"
    assert "Attachment kept: 现场照片.png" in order.symptoms
    assert "Attachment not kept: fix.exe" in order.symptoms

    kept = IntakeAttachment.objects.get(kind="png")
    assert kept.filename == "现场照片.png" and kept.file.read() == PNG
    assert IntakeAttachment.objects.get(filename="fix.exe").file.name == ""

    assert len(outbox.outbox) == 1
    ack = outbox.outbox[0]
    assert ack.to == ["lisi@branch.example"]
    assert ack.subject.startswith(f"[{order.number}] ")
    assert order.number in ack.body
    assert ack.extra_headers["In-Reply-To"] == "<gb-1@branch.example>"
    sent = IntakeMessage.objects.get(direction=Direction.OUTBOUND)
    assert sent.outcome == Outcome.SENT and ack.extra_headers["Message-ID"] == sent.external_id


@ROUTED
def test_the_device_is_found_by_its_asset_tag(world, tmp_path, django_capture_on_commit_callbacks):
    device = make_device(world.branch_a, "ATM-SH-0001", "atm")
    make_device(world.branch_b, "ATM-BJ-0001", "atm")
    read(deliver(tmp_path, gb2312_with_attachments()), django_capture_on_commit_callbacks)
    assert WorkOrder.objects.get().device == device


@ROUTED
def test_a_device_of_another_branch_is_not_taken(world, tmp_path, django_capture_on_commit_callbacks):
    make_device(world.branch_b, "ATM-BJ-0001", "atm")
    read(deliver(tmp_path, plain("ATM-BJ-0001 故障", "ATM-BJ-0001 黑屏")), django_capture_on_commit_callbacks)
    order = WorkOrder.objects.get()
    assert order.branch == world.branch_a and order.device is None


@ROUTED
def test_reading_again_never_duplicates(world, tmp_path, django_capture_on_commit_callbacks):
    raw = plain("打印机卡纸", "柜台 3 号打印机卡纸", message_id="<dup@branch.example>")
    read(deliver(tmp_path, raw), django_capture_on_commit_callbacks)
    # The same message delivered again (a second copy in the mailbox, or a re-read after a crash).
    read(deliver(tmp_path, raw), django_capture_on_commit_callbacks)
    assert WorkOrder.objects.count() == 1
    assert IntakeMessage.objects.filter(direction=Direction.INBOUND).count() == 1
    assert len(outbox.outbox) == 1


@ROUTED
def test_a_reply_to_the_acknowledgement_threads_onto_the_order(
    world, tmp_path, django_capture_on_commit_callbacks
):
    read(deliver(tmp_path, plain("打印机卡纸", "柜台 3 号打印机卡纸")), django_capture_on_commit_callbacks)
    order = WorkOrder.objects.get()
    ack_id = outbox.outbox[0].extra_headers["Message-ID"]
    reply = plain(
        "回复: " + outbox.outbox[0].subject.split("] ", 1)[1],  # a client that dropped the [WO-] tag
        "已经更换纸张，仍然卡纸。\n\n在 2026年3月2日 写道：\n> 您的报修已受理",
        In_Reply_To=ack_id,
        References=ack_id,
    )
    read(deliver(tmp_path, reply), django_capture_on_commit_callbacks)
    assert WorkOrder.objects.count() == 1
    note = order.timeline.get(kind=TimelineKind.NOTE)
    assert note.source == NoteSource.EMAIL
    assert "已经更换纸张，仍然卡纸。" in note.text and "您的报修已受理" not in note.text
    assert len(outbox.outbox) == 1  # a reply is not acknowledged again


@ROUTED
def test_an_order_number_in_the_subject_threads(world, tmp_path, django_capture_on_commit_callbacks):
    read(deliver(tmp_path, plain("网络中断", "整个网点断网")), django_capture_on_commit_callbacks)
    order = WorkOrder.objects.get()
    forwarded = plain(f"Re: [{order.number}] 网络中断", "运营商说是光缆被挖断", sender="ops@carrier.example")
    read(deliver(tmp_path, forwarded), django_capture_on_commit_callbacks)
    assert WorkOrder.objects.count() == 1
    assert "光缆被挖断" in order.timeline.get(kind=TimelineKind.NOTE).text


@ROUTED
def test_a_reply_to_a_closed_order_opens_a_follow_up(world, tmp_path, django_capture_on_commit_callbacks):
    read(deliver(tmp_path, plain("网络中断", "整个网点断网")), django_capture_on_commit_callbacks)
    first = WorkOrder.objects.get()
    WorkOrder.objects.filter(pk=first.pk).update(status=WorkOrderStatus.CLOSED)
    read(
        deliver(tmp_path, plain(f"Re: [{first.number}] 网络中断", "又断了")),
        django_capture_on_commit_callbacks,
    )
    second = WorkOrder.objects.exclude(pk=first.pk).get()
    assert first.number in second.symptoms and second.branch == world.branch_a


@override_settings(BASTION_INTAKE_MAIL_BRANCHES="", BASTION_INTAKE_MAIL_DEFAULT_BRANCH="")
def test_the_senders_own_branch_routes_the_mail(world, tmp_path, django_capture_on_commit_callbacks):
    manager = world.users["branch_manager_b"]
    manager.email = "Manager.B@bank.example"
    manager.save()
    read(
        deliver(
            tmp_path,
            plain("门禁故障", "后门门禁无法刷卡", sender="manager.b@bank.example", to="desk@bank.example"),
        ),
        django_capture_on_commit_callbacks,
    )
    assert WorkOrder.objects.get().branch == world.branch_b
    assert IntakeMessage.objects.get(direction=Direction.INBOUND).detail == "sender branch_manager_b"


@override_settings(BASTION_INTAKE_MAIL_BRANCHES="", BASTION_INTAKE_MAIL_DEFAULT_BRANCH="")
def test_mail_without_a_branch_waits_for_triage(world, tmp_path, django_capture_on_commit_callbacks):
    read(
        deliver(tmp_path, plain("求助", "不知道找谁", to="desk@bank.example")),
        django_capture_on_commit_callbacks,
    )
    assert not WorkOrder.objects.exists()
    assert IntakeMessage.objects.get().outcome == Outcome.UNROUTED
    assert outbox.outbox == []


@ROUTED
def test_automatic_replies_are_ignored(world, tmp_path, django_capture_on_commit_callbacks):
    vacation = plain("自动回复: 休假中", "我正在休假", Auto_Submitted="auto-replied")
    bounce = plain("Undelivered Mail", "failed", sender="MAILER-DAEMON@bank.example")
    read(deliver(tmp_path, vacation, bounce), django_capture_on_commit_callbacks)
    assert not WorkOrder.objects.exists()
    assert set(IntakeMessage.objects.values_list("outcome", flat=True)) == {Outcome.IGNORED}


def test_html_only_and_gbk_mislabelled_bodies_are_read():
    html = (
        f"From: a@b.example\r\nSubject: {Header('企业微信', 'gbk').encode()}\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/html; charset=gb2312\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    ).encode() + "<html><style>p{}</style><body><p>网点&nbsp;ATM 故障</p><p>镕</p></body></html>".encode(
        "gbk"
    )
    parsed = parse_message(html)
    assert parsed.subject == "企业微信"
    assert parsed.text == "网点 ATM 故障\n镕"  # 镕 is GBK only: decoded as GB18030 despite the label
    assert parsed.message_id.startswith("<sha256-")


def test_quoted_text_is_cut_from_replies():
    assert strip_quoted("新的信息\n-----原始邮件-----\n发件人: x") == "新的信息"
    assert strip_quoted("ok\n> quoted\nmore") == "ok\nmore"


def test_the_command_refuses_missing_input(tmp_path):
    with pytest.raises(CommandError):
        call_command("servicedesk_mail")
    with pytest.raises(CommandError, match="cannot be read"):
        call_command("servicedesk_mail", maildir=str(tmp_path / "nothing"))
    with override_settings(BASTION_INTAKE_IMAP_HOST=""), pytest.raises(CommandError, match="IMAP_HOST"):
        call_command("servicedesk_mail", imap=True)


@ROUTED
def test_imap_mailbox_end_to_end(world, imap, django_capture_on_commit_callbacks):
    imap.append(gb2312_with_attachments())
    imap.append(plain("打印机卡纸", "柜台 3 号打印机卡纸"))
    settings = override_settings(
        BASTION_INTAKE_IMAP_HOST="localhost",
        BASTION_INTAKE_IMAP_PORT=imap.port,
        BASTION_INTAKE_IMAP_SECURITY="starttls",
        BASTION_INTAKE_IMAP_CA_FILE=imap.ca_file,
        BASTION_INTAKE_IMAP_USER=imap.user,
        BASTION_INTAKE_IMAP_PASSWORD=imap.password,
    )
    with settings, django_capture_on_commit_callbacks(execute=True):
        call_command("servicedesk_mail", imap=True)
        call_command("servicedesk_mail", imap=True)  # nothing new the second time
    assert WorkOrder.objects.filter(channel=Channel.EMAIL).count() == 2
    assert all("\\Seen" in flags for flags in imap.flags().values())
    assert len(outbox.outbox) == 2


@ROUTED
def test_the_senders_address_is_stored_encrypted(world, tmp_path, django_capture_on_commit_callbacks):
    from django.db import connection

    read(deliver(tmp_path, plain("打印机卡纸", "卡纸")), django_capture_on_commit_callbacks)
    with connection.cursor() as cursor:
        cursor.execute("SELECT sender FROM servicedesk_intake_intakemessage WHERE direction = 'in'")
        (stored,) = cursor.fetchone()
    assert "zhangsan" not in stored
    assert IntakeMessage.objects.get(direction=Direction.INBOUND).sender == "zhangsan@branch.example"


@ROUTED
def test_a_refused_message_is_logged_failed_and_taken_in_when_delivered_again(world, monkeypatch):
    from bastion.platform.errors import FieldError
    from bastion.servicedesk.intake import actions
    from bastion.servicedesk.intake.actions import do_ingest_email

    original = actions.do_open_work_order

    def refuse(**kwargs):
        raise FieldError("branch_id", "Unknown branch.")

    raw = plain("打印机卡纸", "卡纸", message_id="<refused@branch.example>")
    monkeypatch.setattr(actions, "do_open_work_order", refuse)
    failed = do_ingest_email(raw=raw, mailbox="test")
    assert failed.outcome == Outcome.FAILED and failed.detail == "Unknown branch."
    assert not WorkOrder.objects.exists() and not IntakeMessage.objects.filter(direction=Direction.OUTBOUND)
    monkeypatch.setattr(actions, "do_open_work_order", original)
    again = do_ingest_email(raw=raw, mailbox="test")
    assert again.outcome == Outcome.OPENED and WorkOrder.objects.count() == 1
    assert IntakeMessage.objects.filter(direction=Direction.INBOUND).count() == 1
