"""SLA policies by priority, device class and branch: the most specific one governs an order, and its
warning share moves the warning to its exact instant (fired by the task scheduled for it)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bastion.servicedesk.actions import do_open_work_order, do_save_sla_policy
from bastion.servicedesk.models import SlaAlert
from tests.factories import make_user
from tests.servicedesk.conftest import make_device

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, 2, hour, minute, second, tzinfo=SHANGHAI)  # a Monday


@pytest.fixture
def policies(desk, sla_queue):
    """Four P2 policies: general, network equipment, branch A, and network equipment at branch A."""
    hq = make_user("supervisor_hq", roles=["support_supervisor"], institution_wide=True)
    a = desk.world.branch_a.pk
    for name, device_class, branch_id, response, resolution, share in (
        ("P2 通用", "", None, 30, 240, "0.75"),
        ("P2 网络设备", "network", None, 20, 180, "0.75"),
        ("P2 浦东", "", a, 25, 200, "0.75"),
        ("P2 浦东网络设备", "network", a, 10, 120, "0.50"),
    ):
        sla_queue.run(
            do_save_sla_policy,
            name=name,
            priority="p2",
            device_class=device_class,
            branch_id=branch_id,
            response_minutes=response,
            resolution_minutes=resolution,
            warn_share=share,
            actor=hq,
        )
    desk.devices["switch_b"] = make_device(desk.world.branch_b, "NET-B-001", "network")
    desk.devices["pos_b"] = make_device(desk.world.branch_b, "POS-B-001", "pos")
    return desk


def open_p2(desk, sla_queue, device: str):
    return sla_queue.run(
        do_open_work_order,
        branch_id=desk.devices[device].branch_id,
        kind="fault",
        channel="phone",
        priority="p2",
        title="故障",
        symptoms="设备无法使用",
        device_id=desk.devices[device].pk,
        actor=None,
    )


def test_the_most_specific_policy_governs(policies, sla_queue):
    sla_queue.clock.current = at(10)
    governed = {
        device: (order.sla_policy.name, order.response_minutes, order.resolution_minutes)
        for device in ("switch", "pos", "switch_b", "pos_b")
        for order in [open_p2(policies, sla_queue, device)]
    }
    assert governed == {
        "switch": ("P2 浦东网络设备", 10, 120),  # branch and class
        "pos": ("P2 浦东", 25, 200),  # branch
        "switch_b": ("P2 网络设备", 20, 180),  # class
        "pos_b": ("P2 通用", 30, 240),  # general
    }


def test_the_policys_warning_share_fires_at_its_instant(policies, sla_queue):
    sla_queue.clock.current = at(10)
    order = open_p2(policies, sla_queue, "switch")
    assert order.response_due_at == at(10, 10) and order.resolution_due_at == at(12)
    sla_queue.advance_to(at(10, 4, 59))
    assert not SlaAlert.objects.filter(work_order=order).exists()
    sla_queue.advance_to(at(10, 5))  # 50 % of the 10-minute first-response target
    alerts = list(SlaAlert.objects.filter(work_order=order).values_list("clock", "stage", "fired_at"))
    assert alerts == [("response", "warning", at(10, 5))]
    sla_queue.advance_to(at(11, 0))  # 50 % of the two-hour resolution target
    assert SlaAlert.objects.filter(
        work_order=order, clock="resolution", stage="warning", fired_at=at(11)
    ).exists()
