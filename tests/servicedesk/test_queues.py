"""Queues by time left: the nearest running deadline (first response, then resolution) orders the
SLA-at-risk view and the open queues, in the console and the API; the team queue over the API."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bastion.servicedesk.actions import do_open_work_order, do_transition_work_order
from tests.web.conftest import sign_in

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, 2, hour, minute, tzinfo=SHANGHAI)  # a Monday


def client_for(user):
    from django.test import Client

    client = Client(headers={"accept-language": "en"})
    client.cookies["bastion_language"] = "en"
    return sign_in(client, user)


def open_pos_fault(desk, title: str):
    return do_open_work_order(
        branch_id=desk.world.branch_a.pk,
        kind="fault",
        channel="phone",
        title=title,
        symptoms="刷卡后提示通讯失败",
        device_id=desk.devices["pos"].pk,  # on the branch calendar: 09:00-12:00, 13:00-17:30
        actor=desk.world.users["customer_service_agent"],
    )


@pytest.fixture
def two_orders(desk, clock):
    """``answered`` opened first (09:30) and was answered (resolution due 14:30); ``waiting`` opened an hour
    later and nobody has answered it (first response due 10:30, resolution 15:00)."""
    clock.current = at(9, 30)  # the engineers' shifts began at 09:00:10
    answered = open_pos_fault(desk, "POS 签到失败")
    clock.current = at(9, 35)
    do_transition_work_order(
        work_order_id=answered.pk, status="acknowledged", actor=desk.user("onsite_engineer")
    )
    clock.current = at(10)
    waiting = open_pos_fault(desk, "POS 无法联机")
    clock.current = at(10, 10)
    answered.refresh_from_db()
    waiting.refresh_from_db()
    assert answered.resolution_due_at == at(14, 30) and waiting.resolution_due_at == at(15)
    assert waiting.response_due_at == at(10, 30)
    return answered, waiting


def test_at_risk_sorts_by_the_nearest_running_deadline(desk, two_orders):
    answered, waiting = two_orders
    supervisor = client_for(desk.world.users["support_supervisor"])
    for view in ("at_risk", "open"):
        items = supervisor.get(f"/api/v1/servicedesk/work-orders?view={view}").json()["items"]
        assert [i["id"] for i in items] == [waiting.pk, answered.pk], view
        assert items[0]["next_due_at"] == at(10, 30).astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    html = supervisor.get("/servicedesk/?view=at_risk").content.decode()
    assert html.index(waiting.number) < html.index(answered.number)
    row = html[html.index(waiting.number) : html.index(answered.number)]
    assert "to first response" in row and "20\xa0minutes left" in row


def test_a_paused_order_leaves_the_at_risk_view(desk, two_orders, clock):
    answered, waiting = two_orders
    do_transition_work_order(
        work_order_id=answered.pk,
        status="waiting_third_party",
        note="等待厂商备件",
        actor=desk.user("onsite_engineer"),
    )
    supervisor = client_for(desk.world.users["support_supervisor"])
    items = supervisor.get("/api/v1/servicedesk/work-orders?view=at_risk").json()["items"]
    assert [i["id"] for i in items] == [waiting.pk]
    opened = supervisor.get("/api/v1/servicedesk/work-orders?view=open").json()["items"]
    assert [i["id"] for i in opened] == [waiting.pk, answered.pk]  # paused: no clock, last
    assert opened[1]["next_due_at"] is None


def test_team_queue_over_the_api_and_the_console(desk, two_orders):
    answered, waiting = two_orders
    assert answered.team == desk.frontline
    member = client_for(desk.user("onsite_engineer"))
    items = member.get("/api/v1/servicedesk/work-orders?view=team").json()["items"]
    assert [i["id"] for i in items] == [waiting.pk, answered.pk]
    outsider = client_for(desk.user("backend_expert"))  # in the back-end centre, not the front line
    assert outsider.get("/api/v1/servicedesk/work-orders?view=team").json()["items"] == []
    assert waiting.number not in outsider.get("/servicedesk/?view=team").content.decode()
    assert waiting.number in member.get("/servicedesk/?view=team").content.decode()
