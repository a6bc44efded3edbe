"""The intake API through the test client: the log in scope, follower registration naming bad fields."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.utils import timezone

from bastion.servicedesk.intake.choices import Direction, IntakeChannel, Outcome
from bastion.servicedesk.intake.models import IntakeMessage, WeChatReporter
from tests.web.conftest import sign_in

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    return sign_in(Client(), user)


def _log(branch, subject, channel=IntakeChannel.EMAIL, outcome=Outcome.OPENED):
    return IntakeMessage.objects.create(
        channel=channel,
        direction=Direction.INBOUND,
        external_id=f"<{subject}>",
        branch=branch,
        outcome=outcome,
        sender="x@bank.example",
        subject=subject,
        received_at=timezone.now(),
    )


def test_the_log_lists_the_callers_branches_with_filters(world):
    _log(world.branch_a, "浦东邮件")
    _log(world.branch_a, "浦东微信", channel=IntakeChannel.WECHAT)
    _log(world.branch_b, "海淀邮件")
    _log(None, "无网点", outcome=Outcome.UNROUTED)
    agent = client_for(world.users["customer_service_agent"])
    subjects = {item["subject"] for item in agent.get("/api/v1/servicedesk/intake/messages").json()["items"]}
    assert subjects == {"浦东邮件", "浦东微信"}
    wechat = agent.get("/api/v1/servicedesk/intake/messages?channel=wechat").json()
    assert [item["subject"] for item in wechat["items"]] == ["浦东微信"]
    everything = client_for(world.users["auditor_hq"]).get(
        "/api/v1/servicedesk/intake/messages?outcome=unrouted"
    )
    assert [item["subject"] for item in everything.json()["items"]] == ["无网点"]
    bad = agent.get("/api/v1/servicedesk/intake/messages?channel=fax")
    assert bad.status_code == 422 and "channel" in json.dumps(bad.json()["error"]["fields"])


def test_a_supervisor_registers_a_follower_and_bad_input_names_the_field(world):
    supervisor = client_for(world.users["support_supervisor"])
    url = "/api/v1/servicedesk/intake/wechat-reporters"
    body = {
        "openid": "oApiFollower0001",
        "display_name": "王五",
        "contact": "13800000000",
        "branch_id": world.branch_a.pk,
    }
    created = supervisor.post(url, data=json.dumps(body), content_type="application/json")
    assert created.status_code == 201 and created.json()["branch_id"] == world.branch_a.pk
    assert WeChatReporter.objects.get().contact == "13800000000"
    listed = supervisor.get(url).json()["items"]
    assert [r["openid"] for r in listed] == ["oApiFollower0001"]
    for field, value in (("openid", ""), ("display_name", ""), ("branch_id", world.branch_b.pk)):
        refused = supervisor.post(
            url, data=json.dumps({**body, field: value}), content_type="application/json"
        )
        assert refused.status_code == 422 and field in refused.json()["error"]["fields"], (
            field,
            refused.json(),
        )
    assert WeChatReporter.objects.count() == 1
