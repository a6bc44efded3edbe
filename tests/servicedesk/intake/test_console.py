"""The intake console page through the Django client: log in scope, follower binding by supervisors."""

from __future__ import annotations

import pytest
from django.test import Client

from bastion.servicedesk.intake.choices import Direction, IntakeChannel, Outcome
from bastion.servicedesk.intake.models import IntakeMessage, WeChatReporter
from tests.web.conftest import sign_in

pytestmark = pytest.mark.django_db


def page(user, language="en"):
    client = Client(headers={"accept-language": language})
    client.cookies["bastion_language"] = language
    return sign_in(client, user)


def logged(branch, subject: str, outcome=Outcome.OPENED) -> IntakeMessage:
    from django.utils import timezone

    return IntakeMessage.objects.create(
        channel=IntakeChannel.EMAIL,
        direction=Direction.INBOUND,
        external_id=f"<{subject}@x>",
        branch=branch,
        outcome=outcome,
        sender="teller@bank.example",
        subject=subject,
        received_at=timezone.now(),
    )


def test_the_log_shows_only_the_viewers_branches(world):
    logged(world.branch_a, "浦东 ATM 吞卡")
    logged(world.branch_b, "海淀 打印机卡纸")
    body = page(world.users["customer_service_agent"]).get("/servicedesk/intake/").content.decode()
    assert "浦东 ATM 吞卡" in body and "海淀 打印机卡纸" not in body
    assert "Register a WeChat follower" not in body  # agents see the log, they do not bind
    chinese = page(world.users["support_supervisor"], "zh-hans").get("/servicedesk/intake/").content.decode()
    assert "受理渠道" in chinese and "登记微信报障人" in chinese


def test_filters_by_outcome(world):
    logged(world.branch_a, "已创建的")
    logged(world.branch_a, "待分拣的", outcome=Outcome.UNROUTED)
    body = (
        page(world.users["support_supervisor"]).get("/servicedesk/intake/?outcome=unrouted").content.decode()
    )
    assert "待分拣的" in body and "已创建的" not in body


def test_a_supervisor_registers_a_follower(world):
    supervisor = page(world.users["support_supervisor"])
    response = supervisor.post(
        "/servicedesk/intake/",
        {
            "openid": "oABCDEF0123456789",
            "display_name": "王五",
            "contact": "021-5888",
            "branch": world.branch_a.pk,
        },
    )
    assert response.status_code == 302
    assert WeChatReporter.objects.get().display_name == "王五"
    # Another branch is not offered, and is refused when forced.
    refused = supervisor.post(
        "/servicedesk/intake/", {"openid": "oOther", "display_name": "赵六", "branch": world.branch_b.pk}
    )
    assert refused.status_code == 422 and WeChatReporter.objects.count() == 1


def test_an_agent_cannot_register_followers(world):
    agent = page(world.users["customer_service_agent"])
    agent.post("/servicedesk/intake/", {"openid": "oX", "display_name": "x", "branch": world.branch_a.pk})
    assert not WeChatReporter.objects.exists()


def test_people_without_service_desk_access_are_refused(world):
    assert page(world.users["risk_analyst"]).get("/servicedesk/intake/").status_code == 403
    assert Client().get("/servicedesk/intake/").status_code == 302  # to the sign-in page
