"""Console pages of the service desk through the Django client (Chinese by default, English too)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from bastion.servicedesk.actions import do_open_work_order, do_transition_work_order, feedback_token
from bastion.servicedesk.models import Feedback, WorkOrder
from tests.web.conftest import sign_in

pytestmark = pytest.mark.django_db


def page(user, language="en"):
    client = Client(headers={"accept-language": language})
    client.cookies["bastion_language"] = language
    return sign_in(client, user)


def logged(desk, **extra):
    values = {
        "branch_id": desk.world.branch_a.pk,
        "kind": "fault",
        "channel": "phone",
        "title": "ATM 吞卡",
        "symptoms": "客户银行卡被吞",
        "device_id": desk.devices["atm"].pk,
        "actor": desk.world.users["customer_service_agent"],
    }
    values.update(extra)
    return do_open_work_order(**values)


def test_agent_logs_a_phone_fault_through_the_form(desk):
    agent = page(desk.world.users["customer_service_agent"])
    form = agent.get("/servicedesk/orders/new/")
    assert form.status_code == 200 and "Log a work order" in form.content.decode()
    response = agent.post(
        "/servicedesk/orders/new/",
        {
            "branch": desk.world.branch_a.pk,
            "device": desk.devices["atm"].pk,
            "kind": "fault",
            "channel": "phone",
            "title": "ATM 不出钞",
            "symptoms": "取款时提示暂停服务",
            "reporter_name": "王五",
            "reporter_contact": "13900000000",
        },
    )
    order = WorkOrder.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/servicedesk/orders/{order.pk}/"
    detail = agent.get(response["Location"]).content.decode()
    assert order.number in detail and "onsite_engineer_a" in detail
    assert "139****0000" in detail and "13900000000" not in detail  # masked for agents


def test_form_errors_are_shown_on_the_field(desk):
    agent = page(desk.world.users["customer_service_agent"])
    response = agent.post(
        "/servicedesk/orders/new/",
        {"branch": desk.world.branch_a.pk, "kind": "fault", "channel": "phone", "title": "", "symptoms": "x"},
    )
    assert response.status_code == 200 and "has-error" in response.content.decode()
    assert WorkOrder.objects.count() == 0


def test_queue_views_and_chinese_by_default(desk):
    order = logged(desk)
    engineer = page(desk.user("onsite_engineer"), language="zh-hans")
    body = engineer.get("/servicedesk/").content.decode()
    assert order.number in body and "我的队列" in body
    supervisor = page(desk.world.users["support_supervisor"])
    assert order.number in supervisor.get("/servicedesk/?view=at_risk").content.decode()
    partial = supervisor.get(
        "/servicedesk/?view=open&q=吞卡", headers={"HX-Request": "true"}
    ).content.decode()
    assert order.number in partial and "<html" not in partial
    outsider = page(desk.world.users["branch_manager_b"])
    assert order.number not in outsider.get("/servicedesk/?view=all").content.decode()
    assert outsider.get(f"/servicedesk/orders/{order.pk}/").status_code == 404
    assert page(desk.world.users["administrator"]).get("/servicedesk/").status_code == 403


def test_engineer_works_the_order_page(desk):
    order = logged(desk)
    engineer = page(desk.user("onsite_engineer"))
    url = f"/servicedesk/orders/{order.pk}/"
    assert engineer.post(url + "transition/", {"status": "acknowledged"}).status_code == 302
    assert engineer.post(url + "note/", {"text": "已联系网点"}).status_code == 302
    refused = engineer.post(url + "transition/", {"status": "resolved"})
    assert refused.status_code == 422 and "Say how the order was resolved." in refused.content.decode()
    engineer.post(url + "transition/", {"status": "resolved", "resolution_summary": "取出吞卡"})
    body = engineer.get(url).content.decode()
    assert "Customer feedback link" in body and "已联系网点" in body
    clocks = engineer.get(url + "clocks/").content.decode()
    assert 'data-clock="response"' in clocks and "Met" in clocks


def test_supervisor_reassigns_escalates_and_sees_dashboard(desk):
    order = logged(desk)
    supervisor = page(desk.world.users["support_supervisor"])
    url = f"/servicedesk/orders/{order.pk}/"
    response = supervisor.post(
        url + "assign/", {"engineer": desk.world.users["remote_engineer"].pk, "reason": "远程可处理"}
    )
    assert response.status_code == 302
    assert WorkOrder.objects.get(pk=order.pk).assignee == desk.world.users["remote_engineer"]
    assert supervisor.post(url + "escalate/", {"reason": "需要二线"}).status_code == 302
    assert WorkOrder.objects.get(pk=order.pk).support_level == "backend"
    dashboard = supervisor.get("/servicedesk/dashboard/").content.decode()
    assert "SLA dashboard" in dashboard and order.number in dashboard
    assert supervisor.get("/servicedesk/sla-policies/").status_code == 200
    saved = supervisor.post(
        "/servicedesk/sla-policies/",
        {
            "name": "P1 ATM",
            "priority": "p1",
            "device_class": "atm",
            "branch": desk.world.branch_a.pk,
            "response_minutes": 20,
            "resolution_minutes": 120,
            "warn_share": "0.8",
            "reminder_minutes": 30,
        },
    )
    assert saved.status_code == 302
    assert supervisor.get("/servicedesk/roster/").status_code == 200


def test_customer_rates_through_the_signed_link_without_signing_in(desk):
    order = logged(desk)
    engineer = desk.user("onsite_engineer")
    for status in ("remote", "resolved"):
        do_transition_work_order(
            work_order_id=order.pk, status=status, resolution_summary="远程重启", actor=engineer
        )
    url = f"/servicedesk/feedback/{feedback_token(WorkOrder.objects.get(pk=order.pk))}/"
    customer = Client()
    assert "服务评价" in customer.get(url).content.decode()  # Chinese without a session
    response = customer.post(url, {"rating": 5, "comment": "非常满意"})
    assert response.status_code == 200 and "feedback-done" in response.content.decode()
    assert Feedback.objects.get().rating == 5
    assert customer.get(re.sub(r"/[^/]+/$", "/garbage/", url)).status_code == 404


def test_supervisor_keeps_skills_and_roster(desk, clock):
    import datetime as dt

    from bastion.servicedesk.models import EngineerProfile, RosterShift

    supervisor = page(desk.world.users["support_supervisor"])
    remote = desk.world.users["remote_engineer"]
    dashboard = supervisor.get("/servicedesk/dashboard/").content.decode()
    assert "/servicedesk/roster/" in dashboard and "/servicedesk/sla-policies/" in dashboard
    saved = supervisor.post(
        "/servicedesk/roster/",
        {
            "save_profile": "1",
            "engineer": remote.pk,
            "device_classes": ["server", "network"],
            "certifications": "ccna, rhce",
            "max_open_orders": 4,
        },
    )
    assert saved.status_code == 302
    assert EngineerProfile.objects.get(user=remote).certifications == ["CCNA", "RHCE"]
    start = clock.current.astimezone(dt.timezone(dt.timedelta(hours=8))).replace(tzinfo=None)
    added = supervisor.post(
        "/servicedesk/roster/",
        {
            "add_shift": "1",
            "engineer": remote.pk,
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start + dt.timedelta(hours=30)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert added.status_code == 422 and "A shift lasts at most 24 hours." in added.content.decode()
    supervisor.post(
        "/servicedesk/roster/",
        {
            "add_shift": "1",
            "engineer": remote.pk,
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start + dt.timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    shift = RosterShift.objects.get(user=remote)
    assert supervisor.post("/servicedesk/roster/", {"remove_shift": shift.pk}).status_code == 302
    assert not RosterShift.objects.filter(user=remote).exists()
    assert page(desk.user("onsite_engineer")).get("/servicedesk/roster/").status_code == 403


def test_the_order_page_links_suggested_articles_and_the_fault_codes_cards(desk):
    from bastion.knowledge.actions import do_create_diagnosis_card
    from tests.knowledge.helpers import published_article

    supervisor = desk.world.users["support_supervisor"]
    article = published_article(
        desk.world, title_zh="钞箱卡钞故障处理", body_zh="先暂停服务，再清理卡钞。", fault_codes=["CASH_JAM"]
    )
    steps = [("检查钞箱是否到位", "Check the cassette is seated")]
    card = do_create_diagnosis_card(
        code="DC-CASH-JAM-ATM",
        fields={"fault_code": "CASH_JAM", "device_class": "atm", "title_zh": "ATM卡钞"},
        steps=steps,
        actor=supervisor,
    )
    do_create_diagnosis_card(
        code="DC-CASH-JAM-RCY",
        fields={"fault_code": "CASH_JAM", "device_class": "cash_recycler", "title_zh": "循环机卡钞"},
        steps=steps,
        actor=supervisor,
    )
    order = logged(desk, title="ATM 卡钞", fault_code="CASH_JAM")
    body = page(desk.user("onsite_engineer"), "zh-hans").get(f"/servicedesk/orders/{order.pk}/")
    html = body.content.decode()
    assert f'href="/knowledge/{article.pk}/"' in html and "钞箱卡钞故障处理" in html
    assert "该故障代码的诊断卡" in html and f'href="/knowledge/cards/{card.pk}/"' in html
    assert "循环机卡钞" not in html  # a card for another device class is left out
    plain = logged(desk, title="ATM 吞卡")
    assert (
        'id="diagnosis-cards"'
        not in page(supervisor).get(f"/servicedesk/orders/{plain.pk}/").content.decode()
    )
