"""do_notify: rows per recipient and channel, delivery only after commit, retries with backoff."""

from __future__ import annotations

import email
import hashlib
import hmac
import json
import urllib.parse
from email import policy

import pytest
from django.core import mail
from django.db import transaction
from django.test import override_settings

from bastion.identity.models import Branch
from bastion.notify import services
from bastion.notify.actions import do_notify, do_set_preference
from bastion.notify.choices import Channel
from bastion.notify.models import Notification
from bastion.notify.providers import dingtalk_signed_url
from bastion.notify.tasks import retry_due_notifications
from bastion.platform.errors import FieldError
from tests.notify.sinks import http_sink, smtp_sink

pytestmark = pytest.mark.django_db


@pytest.fixture
def engineer(world):
    user = world.users["onsite_engineer"]
    user.email = "zhang.wei@bank.example"
    user.phone = "13800138000"
    user.save()
    return user


def test_default_channels_are_in_app_and_email_sent_after_commit(
    engineer, django_capture_on_commit_callbacks
):
    branch = Branch.objects.first()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        rows = do_notify(
            recipients=[engineer],
            kind="servicedesk.assigned",
            subject="工单 WO-1 已派给您",
            body="上海浦东支行 ATM 卡钞",
            link="/servicedesk/orders/1/",
            obj=branch,
        )
        # Inside the transaction: nothing has left yet.
        assert mail.outbox == []
    assert len(callbacks) == 1
    assert sorted(r.channel for r in rows) == ["email", "in_app"]
    assert {r.object_type for r in rows} == {"identity.branch"}
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["zhang.wei@bank.example"]
    assert "http://127.0.0.1:8000/servicedesk/orders/1/" in mail.outbox[0].body
    sent = Notification.objects.get(channel=Channel.EMAIL)
    assert sent.status == "sent" and sent.attempts == 1
    assert [a.outcome for a in sent.delivery_attempts.all()] == ["sent"]
    assert services.unread_count(user=engineer) == 1


def test_nothing_is_sent_when_the_transaction_rolls_back(engineer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        do_notify(recipients=[engineer], kind="k", subject="s", body="b")
        raise RuntimeError("the caller's change fails")
    assert mail.outbox == []
    assert not Notification.objects.exists()


def test_preferences_choose_channels_per_kind(engineer, django_capture_on_commit_callbacks):
    do_set_preference(user=engineer, kind="*", channels=["in_app"], actor=engineer)
    do_set_preference(user=engineer, kind="sla.breach", channels=["in_app", "email"], actor=engineer)
    with django_capture_on_commit_callbacks(execute=True):
        quiet = do_notify(recipients=[engineer], kind="sla.warning", subject="s", body="")
        loud = do_notify(recipients=[engineer], kind="sla.breach", subject="s", body="")
    assert [r.channel for r in quiet] == ["in_app"]
    assert sorted(r.channel for r in loud) == ["email", "in_app"]
    assert len(mail.outbox) == 1


def test_inactive_recipients_and_bad_input(engineer, world):
    engineer.is_active = False
    engineer.save()
    assert do_notify(recipients=[engineer], kind="k", subject="s", body="", channels=["in_app"]) == []
    with pytest.raises(FieldError) as caught:
        do_notify(recipients=[world.users["auditor"]], kind="k", subject="s", body="", channels=["pigeon"])
    assert "channels" in caught.value.fields
    with pytest.raises(FieldError):
        do_notify(recipients=[world.users["auditor"]], kind="k", subject=" ", body="")


def test_missing_address_fails_for_good_without_retry(world, django_capture_on_commit_callbacks):
    user = world.users["auditor"]
    user.email = ""
    user.save()
    with django_capture_on_commit_callbacks(execute=True):
        (row,) = do_notify(recipients=[user], kind="k", subject="s", body="", channels=["email"])
    row.refresh_from_db()
    assert row.status == "failed" and row.next_attempt_at is None
    assert "no e-mail address" in row.last_error


def test_webhook_retries_with_backoff_then_succeeds(engineer, clock, django_capture_on_commit_callbacks):
    with (
        http_sink(ok_body={"accepted": True}) as sink,
        override_settings(BASTION_NOTIFY_WEBHOOK_URL=sink.url, BASTION_NOTIFY_WEBHOOK_SECRET="s3cret"),
    ):
        sink.replies = [(503, {"error": "busy"}), (500, {"error": "down"})]
        with django_capture_on_commit_callbacks(execute=True):
            (row,) = do_notify(
                recipients=[engineer], kind="alarm", subject="ATM 离线", body="", channels=["webhook"]
            )
        row.refresh_from_db()
        assert row.status == "pending" and row.attempts == 1
        first_due = row.next_attempt_at
        assert (first_due - clock()).total_seconds() == 60
        assert retry_due_notifications.call_local() == 0  # not due yet
        clock.advance(seconds=61)
        retry_due_notifications.call_local()
        row.refresh_from_db()
        assert row.status == "pending" and row.attempts == 2
        assert (row.next_attempt_at - clock()).total_seconds() == 300
        clock.advance(minutes=5, seconds=1)
        retry_due_notifications.call_local()
        row.refresh_from_db()
        assert row.status == "sent" and row.attempts == 3
        assert [a.outcome for a in row.delivery_attempts.all()] == ["retry", "retry", "sent"]
        last = sink.requests[-1]
        assert last["json"]["subject"] == "ATM 离线" and last["json"]["id"] == row.pk
        timestamp = last["headers"]["X-Bastion-Timestamp"]
        expected = hmac.new(b"s3cret", timestamp.encode() + b"." + last["raw"], hashlib.sha256).hexdigest()
        assert last["headers"]["X-Bastion-Signature"] == f"sha256={expected}"


def test_retries_stop_at_the_attempt_budget(engineer, clock, django_capture_on_commit_callbacks):
    with (
        http_sink() as sink,
        override_settings(BASTION_NOTIFY_WEBHOOK_URL=sink.url, BASTION_NOTIFY_MAX_ATTEMPTS=2),
    ):
        sink.replies = [(502, {}), (502, {}), (502, {})]
        with django_capture_on_commit_callbacks(execute=True):
            (row,) = do_notify(
                recipients=[engineer], kind="alarm", subject="s", body="", channels=["webhook"]
            )
        clock.advance(minutes=2)
        retry_due_notifications.call_local()
        row.refresh_from_db()
        assert row.status == "failed" and row.attempts == 2
        assert [a.outcome for a in row.delivery_attempts.all()] == ["retry", "failed"]
        clock.advance(hours=2)
        assert retry_due_notifications.call_local() == 0
        assert len(sink.requests) == 2


def test_a_client_error_is_not_retried(engineer, django_capture_on_commit_callbacks):
    with http_sink() as sink, override_settings(BASTION_NOTIFY_WEBHOOK_URL=sink.url):
        sink.replies = [(400, {"error": "bad"})]
        with django_capture_on_commit_callbacks(execute=True):
            (row,) = do_notify(recipients=[engineer], kind="k", subject="s", body="", channels=["webhook"])
    row.refresh_from_db()
    assert row.status == "failed" and "HTTP 400" in row.last_error


def test_wecom_robot_message_mentions_the_mobile(engineer, django_capture_on_commit_callbacks):
    with (
        http_sink() as sink,
        override_settings(BASTION_NOTIFY_WECOM_WEBHOOK=sink.url + "?key=abc"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        (row,) = do_notify(
            recipients=[engineer], kind="k", subject="钞箱卡钞", body="请尽快到场", channels=["wecom"]
        )
    payload = sink.requests[0]["json"]
    assert sink.requests[0]["path"] == "/hook?key=abc"
    assert payload["msgtype"] == "text"
    assert payload["text"]["mentioned_mobile_list"] == ["13800138000"]
    assert payload["text"]["content"].startswith("钞箱卡钞\n\n请尽快到场")
    row.refresh_from_db()
    assert row.status == "sent"


def test_wecom_error_code_is_a_failure(engineer, django_capture_on_commit_callbacks):
    with http_sink() as sink, override_settings(BASTION_NOTIFY_WECOM_WEBHOOK=sink.url):
        sink.replies = [(200, {"errcode": 93000, "errmsg": "invalid webhook url"})]
        with django_capture_on_commit_callbacks(execute=True):
            (row,) = do_notify(recipients=[engineer], kind="k", subject="s", body="", channels=["wecom"])
    row.refresh_from_db()
    assert row.status == "failed" and "93000" in row.last_error


def test_dingtalk_robot_is_signed(engineer, django_capture_on_commit_callbacks):
    secret = "SECabc123"
    with (
        http_sink() as sink,
        override_settings(
            BASTION_NOTIFY_DINGTALK_WEBHOOK=sink.url + "?access_token=t0k",
            BASTION_NOTIFY_DINGTALK_SECRET=secret,
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        (row,) = do_notify(
            recipients=[engineer], kind="k", subject="网络中断", body="", channels=["dingtalk"]
        )
    request = sink.requests[0]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(request["path"]).query)
    assert query["access_token"] == ["t0k"]
    timestamp = query["timestamp"][0]
    import base64

    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    assert query["sign"] == [base64.b64encode(digest).decode()]
    assert request["json"]["at"] == {"atMobiles": ["13800138000"], "isAtAll": False}
    assert request["json"]["text"]["content"].startswith("网络中断")
    row.refresh_from_db()
    assert row.status == "sent"


def test_dingtalk_signature_matches_the_documented_example():
    url = dingtalk_signed_url("https://oapi.dingtalk.com/robot/send?access_token=x", "s", timestamp_ms=1)
    digest = hmac.new(b"s", b"1\ns", hashlib.sha256).digest()
    import base64

    assert url.endswith("&timestamp=1&sign=" + urllib.parse.quote_plus(base64.b64encode(digest).decode()))


def test_sms_gateway_gets_subject_and_link(engineer, django_capture_on_commit_callbacks):
    with (
        http_sink(ok_body={"status": "queued"}) as sink,
        override_settings(BASTION_NOTIFY_SMS_URL=sink.url, BASTION_NOTIFY_SMS_TOKEN="tok"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        do_notify(
            recipients=[engineer],
            kind="k",
            subject="紧急：ATM 离线",
            body="详情",
            link="/x/",
            channels=["sms"],
        )
    request = sink.requests[0]
    assert request["headers"]["Authorization"] == "Bearer tok"
    assert request["json"]["to"] == "13800138000"
    assert request["json"]["text"] == "紧急：ATM 离线 http://127.0.0.1:8000/x/"


def test_unconfigured_channel_fails_for_good(engineer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        (row,) = do_notify(recipients=[engineer], kind="k", subject="s", body="", channels=["dingtalk"])
    row.refresh_from_db()
    assert row.status == "failed" and "BASTION_NOTIFY_DINGTALK_WEBHOOK" in row.last_error


def test_email_over_a_real_smtp_socket_with_a_retry(engineer, clock, django_capture_on_commit_callbacks):
    with (
        smtp_sink() as sink,
        override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            BASTION_SMTP_HOST="127.0.0.1",
            BASTION_SMTP_PORT=sink.port,
            BASTION_SMTP_FROM="bastion@bank.example",
        ),
    ):
        sink.refuse = 1
        with django_capture_on_commit_callbacks(execute=True):
            (row,) = do_notify(
                recipients=[engineer],
                kind="k",
                subject="工单即将超时",
                body="剩余 10 分钟",
                channels=["email"],
            )
        row.refresh_from_db()
        assert row.status == "pending" and "451" in row.last_error
        clock.advance(minutes=2)
        retry_due_notifications.call_local()
        row.refresh_from_db()
        assert row.status == "sent"
    (message,) = sink.messages
    assert message["from"] == "bastion@bank.example" and message["to"] == ["zhang.wei@bank.example"]
    parsed = email.message_from_bytes(message["data"], policy=policy.default)
    assert parsed["Subject"] == "工单即将超时"
    assert "剩余 10 分钟" in parsed.get_content()
    assert parsed["X-Bastion-Notification"] == str(row.pk)


def test_audit_records_who_was_notified(engineer, django_capture_on_commit_callbacks):
    from bastion.audit.models import AuditEvent

    rows = do_notify(recipients=[engineer], kind="k", subject="s", body="", channels=["in_app"])
    event = AuditEvent.objects.get(action="notify.notified")
    assert event.extra["recipients"] == [engineer.pk]
    assert event.extra["notifications"] == [rows[0].pk]
    assert json.dumps(event.extra)


def test_a_mailbox_the_server_refuses_for_good_is_not_retried(engineer, django_capture_on_commit_callbacks):
    with (
        smtp_sink() as sink,
        override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            BASTION_SMTP_HOST="127.0.0.1",
            BASTION_SMTP_PORT=sink.port,
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        sink.rcpt_reply = "550 5.1.1 no such mailbox"
        (row,) = do_notify(recipients=[engineer], kind="k", subject="s", body="", channels=["email"])
    row.refresh_from_db()
    assert row.status == "failed" and "550" in row.last_error
    assert sink.messages == []
