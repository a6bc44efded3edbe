"""Queued intake work: periodic mailbox reading, acknowledgement retries and the unqueued sweep."""

from __future__ import annotations

import mailbox
import smtplib

import pytest
from django.core import mail as outbox
from django.test import override_settings

from bastion.servicedesk.intake.actions import do_ingest_email, do_send_intake_acknowledgement
from bastion.servicedesk.intake.choices import Direction, Outcome
from bastion.servicedesk.intake.models import IntakeMessage
from bastion.servicedesk.intake.tasks import poll_intake_mailboxes, send_unqueued_acknowledgements
from bastion.servicedesk.models import WorkOrder
from tests.servicedesk.intake.test_email_intake import DESK, ROUTED, plain

pytestmark = pytest.mark.django_db


@ROUTED
def test_the_periodic_task_reads_the_configured_maildir_on_its_minutes(world, tmp_path, clock):
    box = mailbox.Maildir(tmp_path / "in", create=True)
    box.add(plain("ATM 黑屏", "大堂 ATM 黑屏"))
    with override_settings(BASTION_INTAKE_MAILDIR=str(tmp_path / "in"), BASTION_INTAKE_MAIL_POLL_MINUTES=5):
        clock.current = clock.current.replace(minute=3)
        assert poll_intake_mailboxes.call_local() == 0  # not a multiple of five
        clock.current = clock.current.replace(minute=5)
        assert poll_intake_mailboxes.call_local() == 1
    assert WorkOrder.objects.count() == 1
    with override_settings(BASTION_INTAKE_MAILDIR=str(tmp_path / "in"), BASTION_INTAKE_MAIL_POLL_MINUTES=0):
        box.add(plain("又一封", "内容"))
        assert poll_intake_mailboxes.call_local() == 0  # switched off


def _queued_ack(world) -> IntakeMessage:
    # Opened without running on-commit callbacks: the acknowledgement is queued but never sent.
    do_ingest_email(raw=plain("打印机卡纸", "卡纸", to=DESK))
    return IntakeMessage.objects.get(direction=Direction.OUTBOUND)


@ROUTED
def test_a_failed_send_is_recorded_and_raised_for_the_retrying_task(world, monkeypatch):
    ack = _queued_ack(world)

    def refuse(self, fail_silently=False):
        raise smtplib.SMTPServerDisconnected("connection lost")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    with pytest.raises(OSError):
        do_send_intake_acknowledgement(message_id=ack.pk)
    ack.refresh_from_db()
    assert ack.outcome == Outcome.FAILED and ack.attempts == 1
    monkeypatch.undo()
    assert do_send_intake_acknowledgement(message_id=ack.pk) is True
    ack.refresh_from_db()
    assert ack.outcome == Outcome.SENT and ack.attempts == 2
    assert do_send_intake_acknowledgement(message_id=ack.pk) is False  # never twice
    assert len(outbox.outbox) == 1


@ROUTED
def test_the_sweep_sends_acknowledgements_whose_queueing_was_lost(world, clock):
    ack = _queued_ack(world)
    assert send_unqueued_acknowledgements.call_local() == 0  # too young: the queue may still have it
    clock.advance(minutes=6)
    assert send_unqueued_acknowledgements.call_local() == 1
    ack.refresh_from_db()
    assert ack.outcome == Outcome.SENT and len(outbox.outbox) == 1
    clock.advance(minutes=6)
    assert send_unqueued_acknowledgements.call_local() == 0
