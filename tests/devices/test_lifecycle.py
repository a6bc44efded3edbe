"""Lifecycle (R2.2): steps in order, approvals by a second person, clear refusals."""

from __future__ import annotations

import pytest

from bastion.devices.actions.lifecycle import (
    do_record_lifecycle_step,
    do_request_procurement,
    do_request_retirement,
)
from bastion.devices.models import LifecycleEvent
from bastion.identity.actions import approvals
from bastion.platform.errors import Conflict, FieldError, PermissionDenied
from tests.devices.helpers import make_device

NEW = {
    "asset_tag": "ATM-PD-0200",
    "name": "社区自助银行取款机",
    "device_class": "atm",
    "vendor": "日立 Hitachi",
    "model": "HT-2845-SR",
    "serial_number": "HT2026A0001",
}


def test_full_life_with_dual_control(world, clock):
    maker, checker = world.users["support_supervisor"], world.users["branch_manager"]
    device, request = do_request_procurement(
        reason="社区网点新增自助设备", actor=maker, branch_id=world.branch_a.pk, **NEW
    )
    assert device.lifecycle_state == "requested"
    # The maker can never approve their own request.
    with pytest.raises(PermissionDenied):
        approvals.do_approve_request(request_id=request.pk, actor=maker)
    # Recording "approved" by hand is refused: it needs the approval.
    with pytest.raises(Conflict) as refused:
        do_record_lifecycle_step(device_id=device.pk, to_state="approved", actor=maker)
    assert refused.value.code == "approval_required"
    approvals.do_approve_request(request_id=request.pk, note="预算内", actor=checker)
    device.refresh_from_db()
    assert device.lifecycle_state == "approved"

    engineer = world.users["onsite_engineer"]
    # Skipping arrival and commissioning is refused, naming the next step.
    with pytest.raises(Conflict) as skip:
        do_record_lifecycle_step(device_id=device.pk, to_state="in_service", actor=engineer)
    assert skip.value.code == "lifecycle_step_refused" and "Arrived" in skip.value.message
    clock.advance(days=20)
    do_record_lifecycle_step(device_id=device.pk, to_state="arrived", note="到货验收", actor=engineer)
    do_record_lifecycle_step(device_id=device.pk, to_state="commissioning", actor=engineer)
    with pytest.raises(FieldError) as no_test:
        do_record_lifecycle_step(device_id=device.pk, to_state="in_service", actor=engineer)
    assert "test_record" in no_test.value.fields
    do_record_lifecycle_step(
        device_id=device.pk,
        to_state="in_service",
        test_record="取款/存款/查询 各 20 笔，全部通过",
        actor=engineer,
    )
    device.refresh_from_db()
    assert device.lifecycle_state == "in_service" and device.install_date is not None

    # Retirement: scrapping straight away is refused; the appraisal needs a second person.
    with pytest.raises(Conflict):
        do_record_lifecycle_step(device_id=device.pk, to_state="scrapped", actor=engineer)
    retirement = do_request_retirement(device_id=device.pk, reason="超过使用年限，鉴定报废", actor=maker)
    with pytest.raises(Conflict) as pending:
        do_record_lifecycle_step(device_id=device.pk, to_state="retirement_approved", actor=maker)
    assert pending.value.code == "approval_required"
    approvals.do_approve_request(request_id=retirement.pk, actor=checker)
    do_record_lifecycle_step(device_id=device.pk, to_state="scrapped", note="已交回收商", actor=engineer)
    with pytest.raises(Conflict):
        do_record_lifecycle_step(device_id=device.pk, to_state="in_service", actor=engineer)

    steps = list(LifecycleEvent.objects.filter(device=device).values_list("to_state", "actor__username"))
    assert [s for s, _ in steps] == [
        "requested",
        "approved",
        "arrived",
        "commissioning",
        "in_service",
        "retirement_requested",
        "retirement_approved",
        "scrapped",
    ]
    assert steps[1][1] == checker.username and steps[6][1] == checker.username
    assert LifecycleEvent.objects.get(device=device, to_state="approved").approval_id == request.pk


def test_retirement_refused_outside_service_and_withdrawal(world):
    maker = world.users["support_supervisor"]
    fresh = make_device(world.branch_a, lifecycle_state="arrived")
    with pytest.raises(Conflict):
        do_request_retirement(device_id=fresh.pk, reason="x", actor=maker)
    device = make_device(world.branch_a)
    request = do_request_retirement(device_id=device.pk, reason="评估报废", actor=maker)
    with pytest.raises(Conflict) as still_pending:
        do_record_lifecycle_step(device_id=device.pk, to_state="in_service", actor=maker)
    assert still_pending.value.code == "approval_pending"
    approvals.do_reject_request(
        request_id=request.pk, note="仍可使用两年", actor=world.users["branch_manager"]
    )
    do_record_lifecycle_step(device_id=device.pk, to_state="in_service", note="报废申请被驳回", actor=maker)


def test_lifecycle_needs_permission_and_scope(world):
    device = make_device(world.branch_b, lifecycle_state="approved")
    with pytest.raises(PermissionDenied):
        do_record_lifecycle_step(device_id=device.pk, to_state="arrived", actor=world.users["auditor"])
    from bastion.platform.errors import NotFound

    with pytest.raises(NotFound):
        do_record_lifecycle_step(
            device_id=device.pk, to_state="arrived", actor=world.users["onsite_engineer"]
        )
    with pytest.raises(FieldError):
        do_request_procurement(
            reason="x", actor=world.users["onsite_engineer"], branch_id=world.branch_b.pk, **NEW
        )
