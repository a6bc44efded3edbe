"""Opening orders from every channel, notes, duplicates, the status flow and the post-mortem."""

from __future__ import annotations

import pytest
from django.db import connection

from bastion.audit.models import AuditEvent
from bastion.platform.errors import Conflict, FieldError, NotFound, PermissionDenied
from bastion.servicedesk.actions import (
    do_add_work_order_note,
    do_open_work_order,
    do_record_postmortem,
    do_transition_work_order,
)
from bastion.servicedesk.models import TimelineEntry, WorkOrder

pytestmark = pytest.mark.django_db


def open_fault(desk, *, actor=None, device="atm", **extra) -> WorkOrder:
    values = {
        "branch_id": desk.world.branch_a.pk,
        "kind": "fault",
        "channel": "phone",
        "title": "ATM 吞卡",
        "symptoms": "客户反映 ATM 吞卡，屏幕显示故障代码 E203",
        "reporter_name": "张三",
        "reporter_contact": "13800000001",
        "device_id": desk.devices[device].pk,
        "actor": actor if actor is not None else desk.world.users["customer_service_agent"],
    }
    values.update(extra)
    return do_open_work_order(**values)


def test_agent_logs_a_phone_fault_with_timeline_audit_and_sla(desk, clock):
    order = open_fault(desk)
    assert order.channel == "phone" and order.status == "new" and order.priority == "p3"
    assert order.reporter_contact == "13800000001"
    # The contact is stored encrypted; only its keyed hash is searchable.
    with connection.cursor() as cursor:
        cursor.execute("SELECT reporter_contact FROM servicedesk_workorder WHERE id = %s", [order.pk])
        raw = cursor.fetchone()[0]
    assert "13800000001" not in raw
    assert order.timeline.filter(kind="opened").count() == 1
    assert AuditEvent.objects.filter(action="servicedesk.work_order_opened", object_id=str(order.pk)).exists()
    # ATMs are self-service: 24x7, so 30 minutes and 4 hours of wall-clock time.
    assert order.clock_24x7 is True
    assert (order.response_due_at - order.opened_at).total_seconds() == 30 * 60
    assert (order.resolution_due_at - order.opened_at).total_seconds() == 240 * 60


def test_contract_signature_with_system_actor_and_external_ref_idempotency(desk, clock):
    values = {
        "branch_id": desk.world.branch_a.pk,
        "kind": "service_request",
        "channel": "email",
        "title": "请协助更换密码键盘",
        "symptoms": "邮件正文",
        "reporter_contact": "teller@example.com",
        "external_ref": "<abc@mail.example>",
        "actor": None,
    }
    first = do_open_work_order(**values)
    again = do_open_work_order(**values)
    assert first.pk == again.pk
    assert WorkOrder.objects.count() == 1
    note = do_add_work_order_note(
        work_order_id=first.pk,
        text="补充：二楼柜台",
        source="email",
        external_ref="<reply-1@mail>",
        actor=None,
    )
    repeat = do_add_work_order_note(
        work_order_id=first.pk,
        text="补充：二楼柜台",
        source="email",
        external_ref="<reply-1@mail>",
        actor=None,
    )
    assert note.pk == repeat.pk and note.source == "email"
    assert TimelineEntry.objects.filter(work_order=first, kind="note").count() == 1


def test_same_reporter_and_device_is_linked_as_duplicate(desk, clock):
    first = open_fault(desk)
    second = open_fault(desk, reporter_contact=" 138 0000 0001 ", channel="wechat", actor=None)
    assert second.duplicate_of_id == first.pk
    assert first.timeline.filter(kind="duplicate").exists()
    other_device = open_fault(desk, device="pos")
    assert other_device.duplicate_of_id is None
    # Once the first is finished, a new report is a new fault, not a duplicate.
    third = open_fault(desk)
    assert third.duplicate_of_id == first.pk
    WorkOrder.objects.filter(pk=first.pk).update(status="closed")
    assert open_fault(desk).duplicate_of_id == second.pk
    WorkOrder.objects.filter(pk__in=[second.pk, third.pk]).update(status="closed")
    WorkOrder.objects.filter(duplicate_of__isnull=False, status="new").update(status="closed")
    assert open_fault(desk).duplicate_of_id is None


def test_bad_input_names_the_field(desk, clock):
    with pytest.raises(FieldError) as err:
        open_fault(desk, kind="bogus")
    assert "kind" in err.value.fields
    with pytest.raises(FieldError) as err:
        open_fault(desk, title="  ")
    assert "title" in err.value.fields
    with pytest.raises(FieldError) as err:
        open_fault(desk, device="atm_b")
    assert "device_id" in err.value.fields
    with pytest.raises(FieldError):
        do_add_work_order_note(work_order_id=open_fault(desk).pk, text=" ", actor=None)


def test_branch_scope_and_permissions(desk, clock):
    with pytest.raises(FieldError) as err:
        open_fault(desk, actor=desk.world.users["branch_manager_b"])
    assert "branch_id" in err.value.fields
    with pytest.raises(PermissionDenied):
        open_fault(desk, actor=desk.world.users["auditor"])
    order = open_fault(desk)
    with pytest.raises(NotFound):
        do_add_work_order_note(work_order_id=order.pk, text="x", actor=desk.world.users["branch_manager_b"])


def test_status_flow_with_postmortem_for_high_priority_faults(desk, clock):
    engineer = desk.user("onsite_engineer")
    order = open_fault(desk, priority="p2")
    assert order.assignee == engineer
    other = desk.world.users["remote_engineer"]
    with pytest.raises(PermissionDenied):
        do_transition_work_order(work_order_id=order.pk, status="acknowledged", actor=other)
    clock.advance(minutes=10)
    order = do_transition_work_order(work_order_id=order.pk, status="acknowledged", actor=engineer)
    assert order.first_response_at is not None
    with pytest.raises(Conflict):
        do_transition_work_order(work_order_id=order.pk, status="closed", actor=engineer)
    for status in ("onsite", "repair"):
        clock.advance(minutes=20)
        do_transition_work_order(work_order_id=order.pk, status=status, actor=engineer)
    with pytest.raises(FieldError) as err:
        do_transition_work_order(work_order_id=order.pk, status="resolved", actor=engineer)
    assert "resolution_summary" in err.value.fields
    do_transition_work_order(
        work_order_id=order.pk, status="resolved", resolution_summary="更换读卡器", actor=engineer
    )
    with pytest.raises(FieldError) as err:
        do_transition_work_order(work_order_id=order.pk, status="closed", actor=engineer)
    assert "root_cause" in err.value.fields
    do_record_postmortem(
        work_order_id=order.pk, root_cause="读卡器老化", prevention="纳入季度巡检", actor=engineer
    )
    order = do_transition_work_order(work_order_id=order.pk, status="closed", actor=engineer)
    assert order.status == "closed" and order.closed_at is not None
    kinds = list(order.timeline.values_list("kind", flat=True))
    assert kinds[0] == "opened" and kinds.count("status") == 5 and "postmortem" in kinds


def test_low_priority_closes_without_postmortem(desk, clock):
    engineer = desk.user("onsite_engineer")
    order = open_fault(desk, priority="p4")
    for status in ("remote", "resolved", "closed"):
        do_transition_work_order(
            work_order_id=order.pk, status=status, resolution_summary="远程重启", actor=engineer
        )
    assert WorkOrder.objects.get(pk=order.pk).status == "closed"


def test_search_by_chinese_piece_words_fault_code_number_and_reference(desk, clock):
    from bastion.servicedesk.services import list_work_orders

    jam = open_fault(desk, title="钞箱卡钞故障处理", fault_code="CASH_JAM")
    swallow = open_fault(desk, title="ATM 吞卡", device="pos")
    mail = do_open_work_order(
        branch_id=desk.world.branch_a.pk,
        kind="service_request",
        channel="email",
        title="更换密码键盘",
        symptoms="",
        external_ref="<m1@mail.example>",
        actor=None,
    )
    agent = desk.world.users["customer_service_agent"]

    def found(query):
        return [o.pk for o in list_work_orders(principal=agent, query=query)]

    assert found("卡钞") == [jam.pk]
    assert found("卡钞 故障") == [jam.pk]  # every term must match
    assert found("卡钞 吞卡") == []
    assert found("cash_jam") == [jam.pk]
    assert found("atm") == [swallow.pk]  # the title word, and the ATM's tag is on the other order only
    assert found(jam.number) == [jam.pk] and found(str(jam.pk)) == [jam.pk]
    assert found("<m1@mail.example>") == [mail.pk]
    assert found("！？") == []
    assert [
        o.pk for o in list_work_orders(principal=desk.world.users["branch_manager_b"], query="卡钞")
    ] == []
