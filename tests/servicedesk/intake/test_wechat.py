"""The WeChat Official Account callback with real signatures and XML bodies as WeChat sends them."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import pytest
from defusedxml import ElementTree
from django.test import override_settings
from django.urls import reverse

from bastion.audit.models import AuditEvent
from bastion.platform.errors import PermissionDenied
from bastion.servicedesk.choices import Channel, NoteSource, TimelineKind, WorkOrderStatus
from bastion.servicedesk.intake.actions import do_bind_wechat_reporter
from bastion.servicedesk.intake.choices import Outcome
from bastion.servicedesk.intake.models import IntakeMessage, WeChatReporter
from bastion.servicedesk.models import WorkOrder
from tests.servicedesk.conftest import make_device

pytestmark = pytest.mark.django_db

TOKEN = "bastion-wechat-token"
ACCOUNT = "gh_7f083739789a"
OPENID = "oia2TjuEGTNoeX76QEjQNrcURxG8"
ENABLED = override_settings(BASTION_WECHAT_ENABLED=True, BASTION_WECHAT_TOKEN=TOKEN)


def sign(timestamp: str, nonce: str, token: str = TOKEN) -> str:
    # Written out as WeChat documents it, independently of the code under test.
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()  # noqa: S324


def query(clock, *, nonce="1514120417", token=TOKEN, skew=0, **extra) -> dict[str, str]:
    timestamp = str(int(clock().timestamp()) + skew)
    return {"signature": sign(timestamp, nonce, token), "timestamp": timestamp, "nonce": nonce, **extra}


def text_xml(content: str, *, msg_id="6054768590064713728", openid=OPENID, created=1772416810) -> bytes:
    return (
        "<xml><ToUserName><![CDATA[" + ACCOUNT + "]]></ToUserName>\n"
        "<FromUserName><![CDATA[" + openid + "]]></FromUserName>\n"
        f"<CreateTime>{created}</CreateTime>\n"
        "<MsgType><![CDATA[text]]></MsgType>\n"
        "<Content><![CDATA[" + content + "]]></Content>\n"
        f"<MsgId>{msg_id}</MsgId>\n</xml>"
    ).encode()


def post(client, clock, body: bytes, **params):
    url = (
        reverse("servicedesk:intake_wechat")
        + "?"
        + "&".join(f"{k}={v}" for k, v in query(clock, **params).items())
    )
    return client.post(url, data=body, content_type="text/xml")


def reply_of(response) -> dict[str, str]:
    assert response.status_code == 200, response.content
    root = ElementTree.fromstring(response.content)
    return {child.tag: (child.text or "") for child in root}


@pytest.fixture
def reporter(world):
    return WeChatReporter.objects.create(
        openid=OPENID, display_name="王五（大堂经理）", branch=world.branch_a
    )


@ENABLED
def test_server_verification_echoes_echostr(client, clock):
    url = reverse("servicedesk:intake_wechat")
    response = client.get(url, query(clock, echostr="5837397520665436492"))
    assert response.status_code == 200 and response.content == b"5837397520665436492"


@ENABLED
@pytest.mark.parametrize(
    "params",
    [{"token": "wrong-token"}, {"skew": -3600}, {"skew": 3600}],
    ids=["bad-signature", "replayed-old", "from-the-future"],
)
def test_bad_signature_or_stale_timestamp_is_refused(client, clock, world, params):
    url = reverse("servicedesk:intake_wechat")
    assert client.get(url, query(clock, echostr="x", **params)).status_code == 403
    assert post(client, clock, text_xml("ATM 吞卡"), **params).status_code == 403
    assert not WorkOrder.objects.exists()


@override_settings(BASTION_WECHAT_ENABLED=False, BASTION_WECHAT_TOKEN=TOKEN)
def test_a_disabled_channel_does_not_exist(client, clock):
    assert client.get(reverse("servicedesk:intake_wechat"), query(clock, echostr="x")).status_code == 404


@ENABLED
def test_a_text_message_opens_an_order_and_replies_with_its_number(client, clock, reporter, world):
    device = make_device(world.branch_a, "ATM-SH-0002", "atm")
    response = post(client, clock, text_xml("ATM-SH-0002 吞卡了，客户在等"))
    reply = reply_of(response)
    order = WorkOrder.objects.get()
    assert reply["ToUserName"] == OPENID and reply["FromUserName"] == ACCOUNT and reply["MsgType"] == "text"
    assert reply["Content"].startswith("已受理") and order.number in reply["Content"]
    assert order.channel == Channel.WECHAT and order.branch == world.branch_a and order.device == device
    assert order.reporter_name == "王五（大堂经理）" and order.title == "ATM-SH-0002 吞卡了，客户在等"


@ENABLED
def test_wechat_retries_of_one_msgid_answer_the_same(client, clock, reporter):
    first = reply_of(post(client, clock, text_xml("打印机卡纸")))
    again = reply_of(post(client, clock, text_xml("打印机卡纸"), nonce="987654"))
    assert first["Content"] == again["Content"]
    assert WorkOrder.objects.count() == 1 and IntakeMessage.objects.count() == 1


@ENABLED
def test_writing_again_adds_to_the_open_order_then_a_new_one_after_close(client, clock, reporter):
    post(client, clock, text_xml("网点断网", msg_id="1001"))
    order = WorkOrder.objects.get()
    reply = reply_of(post(client, clock, text_xml("现在恢复了一半", msg_id="1002")))
    assert reply["Content"] == f"已补充到工单 {order.number}。"
    note = order.timeline.get(kind=TimelineKind.NOTE)
    assert note.text == "现在恢复了一半" and note.source == NoteSource.WECHAT

    WorkOrder.objects.filter(pk=order.pk).update(status=WorkOrderStatus.CLOSED)
    reply = reply_of(post(client, clock, text_xml("又断网了", msg_id="1003")))
    assert WorkOrder.objects.count() == 2
    assert WorkOrder.objects.exclude(pk=order.pk).get().number in reply["Content"]


@ENABLED
def test_an_unknown_follower_is_asked_to_register(client, clock, world):
    reply = reply_of(post(client, clock, text_xml("ATM 故障", openid="oUnknownFollower000000000001")))
    assert "尚未在服务台登记" in reply["Content"]
    assert not WorkOrder.objects.exists()
    assert IntakeMessage.objects.get().outcome == Outcome.UNROUTED


@override_settings(
    BASTION_WECHAT_ENABLED=True, BASTION_WECHAT_TOKEN=TOKEN, BASTION_WECHAT_DEFAULT_BRANCH="bj-haidian"
)
def test_an_unknown_follower_goes_to_the_default_branch(client, clock, world):
    reply_of(post(client, clock, text_xml("ATM 故障", openid="oUnknownFollower000000000001")))
    order = WorkOrder.objects.get()
    assert order.branch == world.branch_b and order.reporter_name == "微信用户 000001"


@ENABLED
def test_picture_and_voice_messages(client, clock, reporter):
    post(client, clock, text_xml("自助终端黑屏", msg_id="2001"))
    picture = (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{OPENID}]]></FromUserName>"
        "<CreateTime>1772416900</CreateTime><MsgType><![CDATA[image]]></MsgType>"
        "<PicUrl><![CDATA[http://mmbiz.qpic.cn/mmbiz/abc/0]]></PicUrl><MediaId><![CDATA[media_id_1]]></MediaId>"
        "<MsgId>2002</MsgId></xml>"
    ).encode()
    voice = (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{OPENID}]]></FromUserName>"
        "<CreateTime>1772416960</CreateTime><MsgType><![CDATA[voice]]></MsgType>"
        "<MediaId><![CDATA[media_id_2]]></MediaId><Format><![CDATA[amr]]></Format>"
        "<Recognition><![CDATA[重启以后还是黑屏]]></Recognition><MsgId>2003</MsgId></xml>"
    ).encode()
    reply_of(post(client, clock, picture))
    reply_of(post(client, clock, voice))
    texts = list(
        WorkOrder.objects.get().timeline.filter(kind=TimelineKind.NOTE).values_list("text", flat=True)
    )
    assert "http://mmbiz.qpic.cn/mmbiz/abc/0" in texts[0] and texts[1] == "重启以后还是黑屏"


@ENABLED
def test_subscribe_is_welcomed_and_unsubscribe_answers_success(client, clock, reporter):
    def event(name: str, created: int) -> bytes:
        return (
            f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{OPENID}]]></FromUserName>"
            f"<CreateTime>{created}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
            f"<Event><![CDATA[{name}]]></Event></xml>"
        ).encode()

    assert "欢迎" in reply_of(post(client, clock, event("subscribe", 1772417000)))["Content"]
    response = post(client, clock, event("unsubscribe", 1772417001))
    assert response.status_code == 200 and response.content == b"success"
    assert not WorkOrder.objects.exists()


@ENABLED
@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        b"<xml><ToUserName>x</ToUserName><FromUserName>y</FromUserName><CreateTime>1</CreateTime>"
        b"<MsgType>text</MsgType><Content>&b;</Content></xml>",
        b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml>&x;</xml>',
        b"not xml at all",
        b"<xml><MsgType>text</MsgType></xml>",
    ],
    ids=["entity-expansion", "external-entity", "garbage", "missing-fields"],
)
def test_hostile_or_malformed_bodies_are_refused(client, clock, reporter, body):
    assert post(client, clock, body).status_code == 400
    assert not WorkOrder.objects.exists()


@override_settings(BASTION_WECHAT_ENABLED=True, BASTION_WECHAT_TOKEN=TOKEN, BASTION_RATE_LIMIT_WECHAT="2/d")
def test_the_callback_is_rate_limited(client, clock):
    url = reverse("servicedesk:intake_wechat")
    statuses = [client.get(url, query(clock, echostr="1")).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_binding_a_follower_is_a_supervisors_audited_act(world):
    with pytest.raises(PermissionDenied):
        do_bind_wechat_reporter(
            openid=OPENID,
            display_name="王五",
            branch_id=world.branch_a.pk,
            actor=world.users["onsite_engineer"],
        )
    supervisor = world.users["support_supervisor"]
    with pytest.raises(Exception, match="Unknown branch"):
        do_bind_wechat_reporter(
            openid=OPENID, display_name="王五", branch_id=world.branch_b.pk, actor=supervisor
        )
    bound = do_bind_wechat_reporter(
        openid=OPENID, display_name="王五", branch_id=world.branch_a.pk, actor=supervisor
    )
    assert bound.branch == world.branch_a
    event = AuditEvent.objects.get(action="servicedesk.wechat_reporter_bound")
    assert event.actor_id == supervisor.pk


def test_production_refuses_an_enabled_channel_without_a_token():
    env = {
        **os.environ,
        "BASTION_ENV": "production",
        "BASTION_SECRET_KEY": "x" * 40,
        "BASTION_DATABASE_URL": "postgres://u@127.0.0.1:5432/none",
        "BASTION_REDIS_URL": "redis://127.0.0.1:6379/0",
        "BASTION_FIELD_KEYS": "k",
        "BASTION_ALLOWED_HOSTS": "desk.bank.example",
        "BASTION_WECHAT_ENABLED": "1",
        "BASTION_WECHAT_TOKEN": "",
    }
    code = "import bastion.settings"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0 and "BASTION_WECHAT_TOKEN" in result.stderr
    env["BASTION_WECHAT_TOKEN"] = TOKEN
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


@ENABLED
def test_compatible_mode_is_read_and_safe_mode_only_is_not_acted_on(client, clock, reporter):
    compatible = text_xml("柜员机无法开机").replace(
        b"</xml>", b"<Encrypt><![CDATA[c2VjcmV0]]></Encrypt></xml>"
    )
    assert "已受理" in reply_of(post(client, clock, compatible, encrypt_type="aes"))["Content"]
    safe_only = (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><Encrypt><![CDATA[c2VjcmV0]]></Encrypt></xml>"
    ).encode()
    response = post(client, clock, safe_only, encrypt_type="aes")
    assert response.status_code == 200 and response.content == b"success"
    assert WorkOrder.objects.count() == 1


@ENABLED
def test_a_refusal_still_answers_wechat_and_is_logged(client, clock, reporter, monkeypatch):
    from bastion.platform.errors import FieldError
    from bastion.servicedesk.intake import actions

    def refuse(**kwargs):
        raise FieldError("branch_id", "Unknown branch.")

    monkeypatch.setattr(actions, "do_open_work_order", refuse)
    reply = reply_of(post(client, clock, text_xml("ATM 故障")))
    assert "请致电服务台" in reply["Content"]
    logged = IntakeMessage.objects.get()
    assert logged.outcome == Outcome.FAILED and logged.detail == "Unknown branch."
