"""The cross-app contracts devices provides: alarm/maintenance hand-over and operational status."""

from __future__ import annotations

import pytest

from bastion.audit.models import AuditEvent
from bastion.devices import handover
from bastion.devices.actions import do_set_operational_status
from bastion.devices.choices import AlarmSeverity, OperationalStatus
from bastion.devices.models import Alarm
from bastion.platform.errors import FieldError, NotFound, PermissionDenied
from tests.devices.helpers import make_device


@pytest.fixture
def clean_handover(monkeypatch):
    monkeypatch.setattr(handover, "_work_order_opener", [])
    monkeypatch.setattr(handover, "_maintenance_opener", [])
    monkeypatch.setattr(handover, "_cleared_listeners", [])


def _alarm(device, clock):
    return Alarm.objects.create(
        device=device,
        fault_code="CARD_READER_FAULT",
        severity=AlarmSeverity.MAJOR,
        title="Card reader fault",
        detail="reader reports jam",
        raised_at=clock(),
        last_seen_at=clock(),
    )


def test_set_operational_status_is_audited_and_scoped(world, clock):
    device = make_device(world.branch_a)
    user = world.users["smart_counter_operator"]
    result = do_set_operational_status(
        device_id=device.pk, status=OperationalStatus.OUT_OF_SERVICE, reason="柜台故障，暂停业务", actor=user
    )
    assert result.operational_status == "out_of_service"
    event = AuditEvent.objects.get(action="devices.set_operational_status")
    assert event.before == {"operational_status": "available"}
    assert event.after == {"operational_status": "out_of_service"}
    assert event.actor_id == user.pk and event.branch_id == world.branch_a.pk

    other = make_device(world.branch_b)
    with pytest.raises(NotFound):
        do_set_operational_status(device_id=other.pk, status="degraded", reason="x", actor=user)
    with pytest.raises(PermissionDenied):
        do_set_operational_status(
            device_id=device.pk, status="degraded", reason="x", actor=world.users["aml_officer"]
        )
    with pytest.raises(FieldError) as bad:
        do_set_operational_status(device_id=device.pk, status="broken", reason="x", actor=user)
    assert "status" in bad.value.fields
    with pytest.raises(FieldError) as no_reason:
        do_set_operational_status(device_id=device.pk, status="degraded", reason=" ", actor=user)
    assert "reason" in no_reason.value.fields


def test_system_actor_may_set_status(world):
    device = make_device(world.branch_b)
    do_set_operational_status(device_id=device.pk, status="degraded", reason="alarm", actor=None)
    event = AuditEvent.objects.get(action="devices.set_operational_status")
    assert event.actor_type == "system"


def test_without_opener_alarm_stays_pending(world, clock, clean_handover):
    alarm = _alarm(make_device(world.branch_a), clock)
    assert handover.open_work_order_for_alarm(alarm) is None
    alarm.refresh_from_db()
    assert alarm.handover_pending and alarm.work_order_id is None


def test_opener_receives_ticket_and_id_is_stored(world, clock, clean_handover):
    seen: list[handover.AlarmTicket] = []

    def opener(ticket):
        seen.append(ticket)
        return 4711

    handover.register_work_order_opener(opener)
    device = make_device(world.branch_a)
    alarm = _alarm(device, clock)
    assert handover.open_work_order_for_alarm(alarm) == 4711
    alarm.refresh_from_db()
    assert alarm.work_order_id == 4711 and not alarm.handover_pending
    (ticket,) = seen
    assert ticket.device_id == device.pk and ticket.branch_id == world.branch_a.pk
    assert ticket.fault_code == "CARD_READER_FAULT" and ticket.severity == "major"
    assert ticket.raised_at.tzinfo is not None


def test_failing_opener_keeps_alarm_and_rolls_back_only_its_writes(world, clock, clean_handover):
    from django.db import transaction

    device = make_device(world.branch_a)

    def opener(ticket):
        make_device(world.branch_a, asset_tag="WRITTEN-BY-FAILING-OPENER")
        raise RuntimeError("service desk down")

    handover.register_work_order_opener(opener)
    with transaction.atomic():
        alarm = _alarm(device, clock)
        assert handover.open_work_order_for_alarm(alarm) is None
    alarm.refresh_from_db()
    assert alarm.handover_pending and alarm.handover_attempts == 1
    from bastion.devices.models import Device

    assert not Device.objects.filter(asset_tag="WRITTEN-BY-FAILING-OPENER").exists()


def test_cleared_listener_gets_ticket_and_work_order(world, clock, clean_handover):
    calls = []
    handover.register_alarm_cleared_listener(lambda ticket, wo: calls.append((ticket.alarm_id, wo)))
    alarm = _alarm(make_device(world.branch_a), clock)
    alarm.work_order_id = 99
    handover.notify_alarm_cleared(alarm)
    assert calls == [(alarm.pk, 99)]
