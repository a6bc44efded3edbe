"""SLA clocks under a controlled clock: lunch breaks, holidays, 调休, two time zones, pauses,
policy changes, and warnings / breaches / reminders firing at their exact instants."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bastion.platform.models import CalendarDay
from bastion.servicedesk.actions import do_open_work_order, do_save_sla_policy, do_transition_work_order
from bastion.servicedesk.models import SlaAlert, TimelineEntry, WorkOrder
from bastion.servicedesk.tasks import fire_sla_stage

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
LONDON = ZoneInfo("Europe/London")


def at(*args: int, tz=SHANGHAI) -> dt.datetime:
    return dt.datetime(*args, tzinfo=tz)


def open_order(desk, sla_queue, *, device="pos", branch=None, **extra) -> WorkOrder:
    branch = branch or desk.world.branch_a
    values = {
        "branch_id": branch.pk,
        "kind": "fault",
        "channel": "phone",
        "title": "POS 无法联机",
        "symptoms": "刷卡后提示通讯失败",
        "device_id": desk.devices[device].pk if device else None,
        "actor": None,
    }
    values.update(extra)
    return sla_queue.run(do_open_work_order, **values)


def fired(order: WorkOrder) -> list[tuple[str, str, int, dt.datetime]]:
    return list(
        SlaAlert.objects.filter(work_order=order)
        .order_by("fired_at", "id")
        .values_list("clock", "stage", "sequence", "fired_at")
    )


def test_lunch_break_moves_due_times_and_stages_fire_exactly_then(desk, sla_queue):
    sla_queue.clock.current = at(2026, 3, 2, 11, 45)  # Monday, 15 minutes before lunch
    order = open_order(desk, sla_queue)
    assert order.clock_24x7 is False
    # 15 minutes before lunch, the rest after 13:00.
    assert order.response_due_at == at(2026, 3, 2, 13, 15)
    assert order.resolution_due_at == at(2026, 3, 2, 16, 45)
    assert sla_queue.etas(order.pk) == [
        (at(2026, 3, 2, 13, 7, 30), "response", "warning", 0),  # 75 % of 30 min = 22.5 min
        (at(2026, 3, 2, 13, 15), "response", "breach", 0),
        (at(2026, 3, 2, 15, 45), "resolution", "warning", 0),
        (at(2026, 3, 2, 16, 45), "resolution", "breach", 0),
    ]
    sla_queue.advance_to(at(2026, 3, 2, 13, 7, 29))
    assert fired(order) == []
    sla_queue.advance_to(at(2026, 3, 2, 13, 7, 30))
    assert fired(order) == [("response", "warning", 0, at(2026, 3, 2, 13, 7, 30))]
    sla_queue.advance_to(at(2026, 3, 2, 13, 15))
    assert fired(order)[-1] == ("response", "breach", 0, at(2026, 3, 2, 13, 15))
    order.refresh_from_db()
    assert order.response_breached is True and order.escalation_level == 1
    assert order.timeline.filter(kind="sla").count() == 2
    # The first reminder comes one working hour after the breach.
    assert (at(2026, 3, 2, 14, 15), "response", "reminder", 1) in sla_queue.etas(order.pk)


def test_response_in_time_cancels_the_response_stages(desk, sla_queue):
    order = open_order(desk, sla_queue)  # 10:00:10
    engineer = desk.user("onsite_engineer")
    sla_queue.advance_to(at(2026, 3, 2, 10, 20))
    sla_queue.run(do_transition_work_order, work_order_id=order.pk, status="acknowledged", actor=engineer)
    sla_queue.advance_to(at(2026, 3, 2, 11, 0))
    order.refresh_from_db()
    assert order.first_response_at == at(2026, 3, 2, 10, 20)
    assert order.response_breached is False
    assert fired(order) == []  # the tasks for 10:22:40 and 10:30:10 found the clock stopped


def test_holiday_and_makeup_working_day(desk, sla_queue, clock):
    calendar = desk.world.branch_a.calendar
    CalendarDay.objects.create(calendar=calendar, date=dt.date(2026, 3, 9), kind="holiday", name="假日")
    CalendarDay.objects.create(
        calendar=calendar, date=dt.date(2026, 3, 8), kind="makeup_workday", works_as_weekday=0, name="调休"
    )
    clock.current = at(2026, 3, 6, 17, 15)  # Friday, 15 minutes before closing
    order = open_order(desk, sla_queue)
    # Sunday 8 March is worked (调休): the clock continues there, not on the Monday holiday.
    assert order.response_due_at == at(2026, 3, 8, 9, 15)
    assert order.resolution_due_at == at(2026, 3, 8, 13, 45)


def test_holiday_without_makeup_day_skips_to_tuesday(desk, sla_queue, clock):
    calendar = desk.world.branch_a.calendar
    CalendarDay.objects.create(calendar=calendar, date=dt.date(2026, 3, 9), kind="holiday", name="假日")
    clock.current = at(2026, 3, 6, 17, 15)
    order = open_order(desk, sla_queue)
    assert order.response_due_at == at(2026, 3, 10, 9, 15)


def test_two_time_zones_same_instant_different_due_times(desk, sla_queue, clock):
    from tests.servicedesk.conftest import make_device

    london = desk.world.branch_b
    london.time_zone = "Europe/London"
    london.save(update_fields=["time_zone"])
    make_device(london, "POS-L-001", "pos")
    desk.devices["pos_london"] = london.devices.get(asset_tag="POS-L-001")
    clock.current = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)  # 10:00 Shanghai, 02:00 London
    shanghai_order = open_order(desk, sla_queue)
    london_order = open_order(desk, sla_queue, device="pos_london", branch=london)
    assert shanghai_order.response_due_at == at(2026, 3, 2, 10, 30)
    # London is closed at 02:00: the clock starts at 09:00 London time.
    assert london_order.response_due_at == at(2026, 3, 2, 9, 30, tz=LONDON)
    assert london_order.resolution_due_at == at(2026, 3, 2, 14, 0, tz=LONDON)


def test_pause_and_resume_rebuilt_from_status_history(desk, sla_queue, clock):
    clock.current = at(2026, 3, 2, 10, 0)
    order = open_order(desk, sla_queue)
    engineer = desk.user("onsite_engineer")
    sla_queue.advance_to(at(2026, 3, 2, 10, 10))
    sla_queue.run(do_transition_work_order, work_order_id=order.pk, status="acknowledged", actor=engineer)
    sla_queue.advance_to(at(2026, 3, 2, 11, 0))  # 60 working minutes used
    sla_queue.run(
        do_transition_work_order,
        work_order_id=order.pk,
        status="waiting_third_party",
        note="等待厂商备件",
        actor=engineer,
    )
    order.refresh_from_db()
    assert order.resolution_due_at is None and order.paused_since == at(2026, 3, 2, 11, 0)
    # The original warning (Monday 14:00) finds the order paused and does nothing.
    sla_queue.advance_to(at(2026, 3, 2, 17, 0))
    assert fired(order) == []
    sla_queue.advance_to(at(2026, 3, 3, 10, 0))  # Tuesday: the part arrived
    sla_queue.run(do_transition_work_order, work_order_id=order.pk, status="repair", actor=engineer)
    order.refresh_from_db()
    # 180 minutes remain: 10:00-12:00 and 13:00-14:00 on Tuesday.
    assert order.resolution_due_at == at(2026, 3, 3, 14, 0)
    sla_queue.advance_to(at(2026, 3, 3, 11, 59, 59))
    assert fired(order) == []
    sla_queue.advance_to(at(2026, 3, 3, 12, 0))  # warning at 180 of 240 minutes
    assert fired(order) == [("resolution", "warning", 0, at(2026, 3, 3, 12, 0))]
    # Rebuilt from the history alone, the same answer.
    from bastion.servicedesk.services import compute_due_times

    assert compute_due_times(WorkOrder.objects.get(pk=order.pk)).resolution_due == at(2026, 3, 3, 14, 0)
    assert TimelineEntry.objects.filter(work_order=order, kind="status").count() == 3


def test_policy_change_mid_way_reschedules_and_stale_tasks_do_nothing(desk, sla_queue, clock):
    clock.current = at(2026, 3, 2, 10, 0)
    order = open_order(desk, sla_queue)
    assert order.response_due_at == at(2026, 3, 2, 10, 30)
    sla_queue.advance_to(at(2026, 3, 2, 10, 20))
    supervisor = _supervisor_hq(desk)
    sla_queue.run(
        do_save_sla_policy,
        name="P3 宽松",
        priority="p3",
        response_minutes=60,
        resolution_minutes=480,
        actor=supervisor,
    )
    order.refresh_from_db()
    assert (order.response_minutes, order.resolution_minutes) == (60, 480)
    assert order.response_due_at == at(2026, 3, 2, 11, 0)
    assert order.timeline.filter(kind="sla", text__contains="60").exists()
    sla_queue.advance_to(at(2026, 3, 2, 10, 30))  # the old breach instant: nothing happens
    assert fired(order) == []
    sla_queue.advance_to(at(2026, 3, 2, 10, 45))  # new warning: 75 % of 60 minutes
    assert fired(order) == [("response", "warning", 0, at(2026, 3, 2, 10, 45))]
    sla_queue.advance_to(at(2026, 3, 2, 11, 0))
    assert fired(order)[-1][:3] == ("response", "breach", 0)


def _supervisor_hq(desk):
    from tests.factories import make_user

    return make_user("supervisor_hq", roles=["support_supervisor"], institution_wide=True)


def test_late_and_repeated_tasks_fire_once(desk, sla_queue, clock):
    clock.current = at(2026, 3, 2, 10, 0)
    order = open_order(desk, sla_queue)
    # The worker was down: it comes back two hours after the breach instant.
    sla_queue.advance_to(at(2026, 3, 2, 12, 30))
    stages = [(c, s, n) for c, s, n, _ in fired(order)]
    # Each stage fires once, late; the breach's first reminder (11:30) was overdue too.
    assert stages == [("response", "warning", 0), ("response", "breach", 0), ("response", "reminder", 1)]
    # A duplicate delivery of the same task changes nothing.
    with sla_queue.capture(execute=True):
        assert fire_sla_stage.call_local(order.pk, "response", "breach", 0) is False
    assert SlaAlert.objects.filter(work_order=order, stage="breach").count() == 1
    order.refresh_from_db()
    assert order.escalation_level == 1


def test_self_service_device_runs_24x7_over_the_weekend(desk, sla_queue, clock):
    clock.current = at(2026, 3, 7, 3, 0)  # Saturday 03:00
    order = open_order(desk, sla_queue, device="atm", priority="p1")
    assert order.clock_24x7 is True
    assert order.response_due_at == at(2026, 3, 7, 3, 30)
    assert order.resolution_due_at == at(2026, 3, 7, 7, 0)
    sla_queue.advance_to(at(2026, 3, 7, 3, 22, 30))
    assert fired(order) == [("response", "warning", 0, at(2026, 3, 7, 3, 22, 30))]


def test_resolution_breach_escalates_to_the_backend_centre(desk, sla_queue, clock):
    clock.current = at(2026, 3, 2, 10, 0)
    order = open_order(desk, sla_queue, device="atm")
    assert order.support_level == "frontline"
    sla_queue.run(
        do_transition_work_order,
        work_order_id=order.pk,
        status="acknowledged",
        actor=desk.user("onsite_engineer"),
    )
    sla_queue.advance_to(at(2026, 3, 2, 14, 0))
    order.refresh_from_db()
    assert order.resolution_breached is True
    assert order.support_level == "backend"
    assert order.assignee == desk.user("backend_expert")
    assert order.timeline.filter(kind="escalation").exists()
