"""The service-desk API through the test client: create, read, work, rate; errors name the field."""

from __future__ import annotations

import json

import pytest

from bastion.servicedesk.actions.feedback import order_for_token
from tests.web.conftest import sign_in

pytestmark = pytest.mark.django_db


def client_for(user):
    from django.test import Client

    return sign_in(Client(), user)


def post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_agent_creates_engineer_works_agent_records_rating(desk, clock):
    agent = client_for(desk.world.users["customer_service_agent"])
    response = post(
        agent,
        "/api/v1/servicedesk/work-orders",
        {
            "branch_id": desk.world.branch_a.pk,
            "title": "ATM 吞卡",
            "symptoms": "客户银行卡被吞",
            "device_id": desk.devices["atm"].pk,
            "channel": "phone",
            "reporter_contact": "13800000002",
        },
    )
    assert response.status_code == 201, response.content
    order = response.json()
    assert order["number"].startswith("WO-") and order["assignee"]["name"] == "onsite_engineer_a"
    assert order["clocks"]["response"]["target_minutes"] == 30
    assert order["assignments"][0]["candidates"]
    assert "reporter_contact" not in order  # personal data stays out of the API answer

    engineer = client_for(desk.user("onsite_engineer"))
    url = f"/api/v1/servicedesk/work-orders/{order['id']}"
    assert post(engineer, url + "/transition", {"status": "onsite"}).status_code == 200
    bad = post(engineer, url + "/transition", {"status": "resolved"})
    assert bad.status_code == 422 and "resolution_summary" in bad.json()["error"]["fields"]
    done = post(engineer, url + "/transition", {"status": "resolved", "resolution_summary": "取出吞卡"})
    assert done.json()["status"] == "resolved"
    detail = agent.get(url).json()
    assert detail["feedback_url"].startswith("http://testserver/servicedesk/feedback/")
    # Each link carries the second it was issued in, so two reads may differ; both open this order.
    links = [engineer.get(url).json()["feedback_url"], detail["feedback_url"]]
    assert {order_for_token(link.rstrip("/").rsplit("/", 1)[1]).pk for link in links} == {order["id"]}
    assert post(agent, url + "/feedback", {"rating": 5}).status_code == 201
    assert post(agent, url + "/feedback", {"rating": 4}).status_code == 409
    assert agent.get(url).json()["rating"] == 5


def test_validation_errors_name_the_field(desk):
    agent = client_for(desk.world.users["customer_service_agent"])
    response = post(
        agent,
        "/api/v1/servicedesk/work-orders",
        {"branch_id": desk.world.branch_a.pk, "title": "x", "kind": "bogus"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"
    response = post(
        agent,
        "/api/v1/servicedesk/work-orders",
        {"branch_id": desk.world.branch_a.pk, "title": "x", "device_id": desk.devices["atm_b"].pk},
    )
    assert response.status_code == 422 and "device_id" in response.json()["error"]["fields"]
    response = post(agent, "/api/v1/servicedesk/work-orders/999999/notes", {"text": "x"})
    assert response.status_code == 404


def test_list_views_search_and_scope(desk):
    agent = client_for(desk.world.users["customer_service_agent"])
    ids = []
    for title in ("POS 通讯失败", "ATM 吞卡", "智能柜台黑屏"):
        ids.append(
            post(
                agent,
                "/api/v1/servicedesk/work-orders",
                {"branch_id": desk.world.branch_a.pk, "title": title},
            ).json()["id"]
        )
    listing = agent.get("/api/v1/servicedesk/work-orders?view=open").json()
    assert listing["total"] == 3
    assert [i["id"] for i in agent.get("/api/v1/servicedesk/work-orders?q=吞卡").json()["items"]] == [ids[1]]
    assert [
        i["id"] for i in agent.get(f"/api/v1/servicedesk/work-orders?q=WO-{ids[2]:08d}").json()["items"]
    ] == [ids[2]]
    other = client_for(desk.world.users["branch_manager_b"])
    assert other.get("/api/v1/servicedesk/work-orders").json()["total"] == 0
    assert other.get(f"/api/v1/servicedesk/work-orders/{ids[0]}").status_code == 404
    supervisor = client_for(desk.world.users["support_supervisor"])
    satisfaction = supervisor.get("/api/v1/servicedesk/satisfaction?group_by=engineer").json()
    assert satisfaction["group_by"] == "engineer" and satisfaction["rows"] == []
