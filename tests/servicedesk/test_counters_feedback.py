"""Smart-counter faults (R3.6), notifications, the device hand-over, and customer feedback (R3.8)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import signing

from bastion.audit.models import AuditEvent
from bastion.devices.handover import AlarmTicket, MaintenanceTicket
from bastion.devices.models import Device
from bastion.notify.models import Notification
from bastion.platform.errors import Conflict, FieldError, NotFound
from bastion.servicedesk import flows, services
from bastion.servicedesk.actions import (
    do_open_work_order,
    do_record_substitute,
    do_submit_feedback,
    do_transition_work_order,
    feedback_token,
)
from bastion.servicedesk.models import Feedback, WorkOrder

pytestmark = pytest.mark.django_db


def counter_fault(desk):
    return do_open_work_order(
        branch_id=desk.world.branch_a.pk,
        kind="fault",
        channel="phone",
        title="智能柜台身份证读卡失败",
        symptoms="柜台无法读取身份证，业务中断",
        device_id=desk.devices["counter"].pk,
        actor=desk.world.users["smart_counter_operator"],
    )


def test_smart_counter_fault_stops_business_and_reports_upwards(desk):
    order = counter_fault(desk)
    counter = Device.objects.get(pk=desk.devices["counter"].pk)
    assert counter.operational_status == "out_of_service"
    assert order.priority == "p2"  # a failed counter is at least a major fault
    assert order.reported_upwards_at is not None
    manager = desk.world.users["branch_manager"]
    supervisor = desk.world.users["support_supervisor"]
    notified = set(
        Notification.objects.filter(kind="servicedesk.major_fault").values_list("recipient_id", flat=True)
    )
    assert {manager.pk, supervisor.pk} <= notified
    assert desk.world.users["branch_manager_b"].pk not in notified
    assert AuditEvent.objects.filter(
        action="devices.set_operational_status", object_id=str(counter.pk)
    ).exists()
    assert AuditEvent.objects.filter(action="servicedesk.major_fault_reported").exists()

    order = do_record_substitute(
        work_order_id=order.pk,
        substitute_device_id=desk.devices["counter2"].pk,
        note="引导客户至2号智能柜台",
        actor=desk.world.users["smart_counter_operator"],
    )
    assert order.substitute_device == desk.devices["counter2"]
    with pytest.raises(FieldError):
        do_record_substitute(
            work_order_id=order.pk, substitute_device_id=desk.devices["atm_b"].pk, actor=None
        )

    engineer = desk.user("onsite_engineer")
    for status in ("onsite", "resolved"):
        do_transition_work_order(
            work_order_id=order.pk, status=status, resolution_summary="更换读卡模块", actor=engineer
        )
    assert Device.objects.get(pk=counter.pk).operational_status == "available"


def test_assignment_notifies_the_engineer(desk):
    order = counter_fault(desk)
    note = Notification.objects.filter(
        kind="servicedesk.assigned", recipient=desk.user("onsite_engineer")
    ).first()
    assert note is not None and order.number in note.subject


def test_alarm_hand_over_opens_one_order_per_alarm(desk, clock):
    from bastion.devices import handover

    assert handover.has_work_order_opener() and handover.has_maintenance_opener()
    ticket = AlarmTicket(
        alarm_id=9001,
        device_id=desk.devices["atm"].pk,
        branch_id=desk.world.branch_a.pk,
        fault_code="CASH_LOW",
        severity="critical",
        title="ATM cash low",
        detail="Cassette 2 below threshold",
        raised_at=clock.current,
    )
    first = flows.open_for_alarm(ticket)
    again = flows.open_for_alarm(ticket)
    assert first == again
    order = WorkOrder.objects.get(pk=first)
    assert (order.channel, order.priority, order.fault_code, order.alarm_id) == (
        "alarm",
        "p1",
        "CASH_LOW",
        9001,
    )
    assert (
        AuditEvent.objects.get(action="servicedesk.work_order_opened", object_id=str(first)).actor_type
        == "system"
    )
    flows.note_alarm_cleared(ticket, first)
    flows.note_alarm_cleared(ticket, first)
    assert order.timeline.filter(kind="note", text__contains="CASH_LOW").count() == 1

    planned = flows.open_for_maintenance(
        MaintenanceTicket(
            plan_id=7,
            device_id=desk.devices["pos"].pk,
            branch_id=desk.world.branch_a.pk,
            kind="inspection",
            title="季度巡检",
            due_at=clock.current + dt.timedelta(days=1),
        )
    )
    assert WorkOrder.objects.get(pk=planned).kind == "inspection"


def resolved_order(desk):
    order = do_open_work_order(
        branch_id=desk.world.branch_a.pk,
        kind="fault",
        channel="phone",
        title="ATM 不出钞",
        symptoms="取款时提示暂停服务",
        device_id=desk.devices["atm"].pk,
        actor=desk.world.users["customer_service_agent"],
    )
    engineer = desk.user("onsite_engineer")
    for status in ("onsite", "resolved"):
        order = do_transition_work_order(
            work_order_id=order.pk, status=status, resolution_summary="清理卡钞", actor=engineer
        )
    return order


def test_signed_feedback_link_rates_once(desk, clock):
    order = resolved_order(desk)
    token = feedback_token(order)
    with pytest.raises(FieldError):
        do_submit_feedback(token=token, rating=6)
    feedback = do_submit_feedback(token=token, rating=5, comment="很及时")
    assert (feedback.engineer, feedback.branch_id) == (desk.user("onsite_engineer"), order.branch_id)
    with pytest.raises(Conflict):
        do_submit_feedback(token=token, rating=1)
    assert order.timeline.filter(kind="feedback").count() == 1
    assert Feedback.objects.count() == 1


def test_tampered_expired_and_reopened_links_are_refused(desk, clock):
    order = resolved_order(desk)
    token = feedback_token(order)
    with pytest.raises(NotFound):
        do_submit_feedback(token=token[:-2] + "xx", rating=4)
    forged = signing.dumps({"o": order.pk, "r": ""}, salt="another-salt", compress=True)
    with pytest.raises(NotFound):
        do_submit_feedback(token=forged, rating=4)
    clock.advance(days=15)
    with pytest.raises(Conflict) as err:
        do_submit_feedback(token=token, rating=4)
    assert err.value.code == "expired"
    clock.advance(days=-15)
    do_transition_work_order(work_order_id=order.pk, status="repair", actor=desk.user("onsite_engineer"))
    with pytest.raises(NotFound):
        do_submit_feedback(token=token, rating=4)


def test_satisfaction_per_engineer_team_and_branch(desk, clock):
    for rating in (5, 4, 2):
        order = resolved_order(desk)
        do_submit_feedback(token=feedback_token(order), rating=rating)
        WorkOrder.objects.filter(pk=order.pk).update(status="closed")
    supervisor = desk.world.users["support_supervisor"]
    by_engineer = services.satisfaction(principal=supervisor, group_by="engineer")
    assert by_engineer == [
        {
            "id": desk.user("onsite_engineer").pk,
            "name": "onsite_engineer_a",
            "count": 3,
            "average": 3.67,
            "satisfied_share": 0.6667,
        }
    ]
    assert services.satisfaction(principal=supervisor, group_by="team")[0]["name"] == desk.frontline.name
    assert services.satisfaction(principal=supervisor, group_by="branch")[0]["count"] == 3
    assert services.satisfaction(principal=desk.world.users["branch_manager_b"], group_by="branch") == []
    summary = services.sla_summary(principal=supervisor, since=clock.current - dt.timedelta(days=1))
    assert summary["feedback_count"] == 3 and summary["resolved"] == 3
