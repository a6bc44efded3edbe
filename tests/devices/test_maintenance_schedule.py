"""Maintenance plans on a controlled clock: due work orders opened once, next due from completion."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bastion.devices.actions.maintenance import do_complete_maintenance, do_create_maintenance_plan
from bastion.devices.choices import DeviceClass, LifecycleState
from bastion.devices.models import MaintenanceOccurrence, MaintenancePlan
from bastion.devices.tasks import open_due_maintenance
from bastion.servicedesk.actions.orders import do_transition_work_order
from bastion.servicedesk.models import WorkOrder
from tests.devices.helpers import make_device

pytestmark = pytest.mark.django_db


def _resolve(order_id: int) -> None:
    do_transition_work_order(work_order_id=order_id, status="acknowledged", actor=None)
    do_transition_work_order(
        work_order_id=order_id, status="resolved", resolution_summary="保养完成，更换皮带", actor=None
    )


def test_due_plan_opens_one_work_order_and_resolution_moves_next_due(world, clock):
    atm = make_device(world.branch_a, name="大堂取款机")
    supervisor = world.users["support_supervisor"]
    start = clock()
    plan = do_create_maintenance_plan(
        kind="preventive_maintenance",
        title="季度预防性维护",
        cycle_days=90,
        first_due_at=start + timedelta(days=1),
        device_id=atm.pk,
        actor=supervisor,
    )
    assert open_due_maintenance.call_local() == {"device_plans_added": 0, "opened": 0, "pending": 0}

    clock.advance(days=1, hours=1)
    assert open_due_maintenance.call_local()["opened"] == 1
    # The task runs again (a retry, or two workers): still one occurrence and one work order.
    assert open_due_maintenance.call_local()["opened"] == 0
    orders = WorkOrder.objects.filter(maintenance_plan_id=plan.pk)
    assert orders.count() == 1
    order = orders.get()
    assert (order.kind, order.channel, order.device_id) == ("preventive_maintenance", "maintenance", atm.pk)
    plan.refresh_from_db()
    assert plan.open_work_order_id == order.pk

    # Done ten days late: the next visit is 90 days after the completion, not after the due date.
    clock.advance(days=10)
    _resolve(order.pk)
    plan.refresh_from_db()
    assert plan.last_completed_at == clock()
    assert plan.next_due_at == clock() + timedelta(days=90)
    assert plan.open_work_order_id is None
    occurrence = MaintenanceOccurrence.objects.get(plan=plan)
    assert (occurrence.source, occurrence.work_order_id) == ("work_order", order.pk)

    clock.advance(days=89)
    assert open_due_maintenance.call_local()["opened"] == 0
    clock.advance(days=1)
    assert open_due_maintenance.call_local()["opened"] == 1
    assert WorkOrder.objects.filter(maintenance_plan_id=plan.pk).count() == 2


def test_class_plan_covers_each_device_and_new_ones(world, clock):
    first = make_device(world.branch_a, device_class=DeviceClass.KIOSK, name="自助终端一")
    make_device(world.branch_a, device_class=DeviceClass.ATM)
    make_device(world.branch_b, device_class=DeviceClass.KIOSK)
    parent = do_create_maintenance_plan(
        kind="inspection",
        title="自助终端月度检查",
        cycle_days=30,
        first_due_at=clock() + timedelta(hours=1),
        branch_id=world.branch_a.pk,
        device_class=DeviceClass.KIOSK,
        actor=world.users["smart_counter_manager"],
    )
    assert list(parent.device_plans.values_list("device_id", flat=True)) == [first.pk]
    second = make_device(world.branch_a, device_class=DeviceClass.KIOSK, name="自助终端二")
    make_device(world.branch_a, device_class=DeviceClass.KIOSK, lifecycle_state=LifecycleState.SCRAPPED)
    clock.advance(hours=2)
    outcome = open_due_maintenance.call_local()
    assert outcome == {"device_plans_added": 1, "opened": 2, "pending": 0}
    assert set(WorkOrder.objects.filter(kind="inspection").values_list("device_id", flat=True)) == {
        first.pk,
        second.pk,
    }


def test_manual_completion_moves_next_due_and_late_work_order_is_ignored(world, clock):
    atm = make_device(world.branch_a)
    plan = do_create_maintenance_plan(
        kind="preventive_maintenance",
        title="半年保养",
        cycle_days=180,
        first_due_at=clock(),
        device_id=atm.pk,
        actor=world.users["support_supervisor"],
    )
    open_due_maintenance.call_local()
    order = WorkOrder.objects.get(maintenance_plan_id=plan.pk)
    clock.advance(days=2)
    do_complete_maintenance(plan_id=plan.pk, note="厂商工程师已完成", actor=world.users["onsite_engineer"])
    plan.refresh_from_db()
    assert plan.next_due_at == clock() + timedelta(days=180)
    clock.advance(days=1)
    _resolve(order.pk)  # the order is closed later: the plan does not move again
    plan.refresh_from_db()
    assert plan.next_due_at == clock() - timedelta(days=1) + timedelta(days=180)
    assert MaintenancePlan.objects.get(pk=plan.pk).last_completed_at == clock() - timedelta(days=1)
