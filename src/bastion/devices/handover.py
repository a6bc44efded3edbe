"""Hand-over of alarms and planned maintenance to the service desk (contract fixed by the lead).

Devices never imports servicedesk. The service desk registers its handlers in its
``AppConfig.ready()``::

    from bastion.devices import handover
    handover.register_work_order_opener(open_fault_order)           # AlarmTicket -> work-order id
    handover.register_maintenance_opener(open_planned_order)         # MaintenanceTicket -> id
    handover.register_alarm_cleared_listener(note_alarm_cleared)     # (AlarmTicket, work-order id)
    handover.register_finding_opener(open_for_finding)               # FindingTicket -> id

and calls :func:`planned_work_done` when a planned work order is resolved, so the plan's next due
date counts from that completion.

Devices calls :func:`open_work_order_for_alarm` inside the alarm-raising transaction. The opener runs
in a savepoint: if it raises, the savepoint is rolled back, the failure is logged, the alarm is kept
and marked ``handover_pending``, and :func:`bastion.devices.tasks.retry_pending_handovers` tries
again later. Without a registered opener an alarm simply stays ``handover_pending``, ready to be
handed over once the service desk is installed. Openers run with no human actor: they record the
system as actor.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction

if TYPE_CHECKING:
    from bastion.devices.models import Alarm, MaintenancePlan

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AlarmTicket:
    """What the service desk needs to open a fault work order for an alarm."""

    alarm_id: int
    device_id: int
    branch_id: int
    fault_code: str  # e.g. "CASH_LOW", "CARD_READER_FAULT", "HEARTBEAT_MISSING", "LINK_DOWN"
    severity: str  # devices.choices.AlarmSeverity value
    title: str
    detail: str
    raised_at: datetime  # aware


@dataclass(frozen=True)
class MaintenanceTicket:
    """What the service desk needs to open a planned (preventive / inspection) work order."""

    plan_id: int
    device_id: int
    branch_id: int
    kind: str  # "preventive_maintenance" | "inspection"
    title: str
    due_at: datetime  # aware


@dataclass(frozen=True)
class FindingTicket:
    """What the service desk needs to open a fault work order for a problem found on inspection."""

    inspection_id: int
    device_id: int
    branch_id: int
    title: str
    detail: str  # the checklist items with a problem, and their notes
    found_at: datetime  # aware


WorkOrderOpener = Callable[[AlarmTicket], "int | None"]
FindingOpener = Callable[[FindingTicket], "int | None"]
MaintenanceOpener = Callable[[MaintenanceTicket], "int | None"]
AlarmClearedListener = Callable[[AlarmTicket, "int | None"], None]

_work_order_opener: list[WorkOrderOpener] = []
_maintenance_opener: list[MaintenanceOpener] = []
_cleared_listeners: list[AlarmClearedListener] = []
_finding_opener: list[FindingOpener] = []


def register_work_order_opener(fn: WorkOrderOpener) -> None:
    """Install the function that opens a work order for an alarm (one opener; a second replaces it)."""
    _work_order_opener[:] = [fn]


def register_maintenance_opener(fn: MaintenanceOpener) -> None:
    """Install the function that opens a planned-maintenance work order (one; a second replaces it)."""
    _maintenance_opener[:] = [fn]


def register_alarm_cleared_listener(fn: AlarmClearedListener) -> None:
    """Add a listener told when an alarm clears; registering the same function twice is a no-op."""
    if fn not in _cleared_listeners:
        _cleared_listeners.append(fn)


@contextmanager
def openers_paused() -> Iterator[None]:
    """Alarms raised inside stay ``handover_pending``; the periodic sweep hands them over later.

    For loaders that raise alarms before the service desk has its own data (the demo).
    """
    saved = list(_work_order_opener)
    _work_order_opener.clear()
    try:
        yield
    finally:
        _work_order_opener[:] = saved


def register_finding_opener(fn: FindingOpener) -> None:
    """Install the function that opens a fault work order for an inspection finding (one)."""
    _finding_opener[:] = [fn]


def has_work_order_opener() -> bool:
    return bool(_work_order_opener)


def has_maintenance_opener() -> bool:
    return bool(_maintenance_opener)


def alarm_ticket(alarm: Alarm) -> AlarmTicket:
    """The ticket describing an alarm; plain values only, so handlers need no devices models."""
    return AlarmTicket(
        alarm_id=alarm.pk,
        device_id=alarm.device_id,
        branch_id=alarm.device.branch_id,
        fault_code=alarm.fault_code,
        severity=alarm.severity,
        title=alarm.title,
        detail=alarm.detail,
        raised_at=alarm.raised_at,
    )


def maintenance_ticket(plan: MaintenancePlan) -> MaintenanceTicket:
    """The ticket of a device plan's current due occurrence (class plans open nothing themselves)."""
    if plan.device is None:
        raise ValueError("only a device plan opens work orders")
    return MaintenanceTicket(
        plan_id=plan.pk,
        device_id=plan.device.pk,
        branch_id=plan.device.branch_id,
        kind=plan.kind,
        title=plan.title,
        due_at=plan.next_due_at,
    )


def _call_in_savepoint(fn: Callable[[], int | None], what: str) -> tuple[bool, int | None]:
    """Run an opener in a savepoint; a failure rolls back only its own writes. (ok, id)."""
    try:
        with transaction.atomic():
            return True, fn()
    except Exception:  # any opener failure must leave the alarm in place
        logger.exception("hand-over of %s failed; it stays pending and is retried", what)
        return False, None


def open_work_order_for_alarm(alarm: Alarm) -> int | None:
    """Ask the service desk for a work order for ``alarm``; stores the outcome on the alarm.

    Returns the work-order id, or None when no opener is registered, the opener declined (returned
    None) or failed. The alarm's ``handover_pending`` stays True unless the opener answered.
    """
    if not _work_order_opener:
        if not alarm.handover_pending:
            alarm.handover_pending = True
            alarm.save(update_fields=["handover_pending"])
        return None
    opener = _work_order_opener[0]
    ticket = alarm_ticket(alarm)
    ok, work_order_id = _call_in_savepoint(lambda: opener(ticket), f"alarm {alarm.pk}")
    alarm.handover_attempts += 1
    alarm.handover_pending = not ok
    if ok:
        alarm.work_order_id = work_order_id
    alarm.save(update_fields=["handover_attempts", "handover_pending", "work_order_id"])
    return work_order_id if ok else None


def open_work_order_for_maintenance(plan: MaintenancePlan) -> int | None:
    """Ask the service desk for a planned work order for ``plan`` (due now); stores the outcome."""
    if not _maintenance_opener:
        return None
    opener = _maintenance_opener[0]
    ticket = maintenance_ticket(plan)
    ok, work_order_id = _call_in_savepoint(lambda: opener(ticket), f"maintenance plan {plan.pk}")
    if ok and work_order_id is not None:
        plan.open_work_order_id = work_order_id
        plan.save(update_fields=["open_work_order_id"])
    return work_order_id if ok else None


def notify_alarm_cleared(alarm: Alarm) -> None:
    """Tell listeners an alarm cleared; a failing listener is logged and never blocks the clear."""
    if not _cleared_listeners:
        return
    ticket = alarm_ticket(alarm)
    work_order_id = alarm.work_order_id
    for listener in list(_cleared_listeners):

        def call(fn: AlarmClearedListener = listener) -> None:
            fn(ticket, work_order_id)

        _call_in_savepoint(call, f"clear of alarm {alarm.pk}")


def open_work_order_for_finding(ticket: FindingTicket) -> int | None:
    """Ask the service desk for a fault order for an inspection's problems; None if none was opened."""
    if not _finding_opener:
        return None
    opener = _finding_opener[0]
    ok, work_order_id = _call_in_savepoint(lambda: opener(ticket), f"inspection {ticket.inspection_id}")
    return work_order_id if ok else None


def planned_work_done(*, plan_id: int, work_order_id: int, done_at: datetime) -> None:
    """The service desk resolved a planned work order: the plan counts its next due from ``done_at``.

    Called by the service desk inside its own transaction; an order that is not the plan's open
    occurrence (already completed by hand, or unknown) changes nothing.
    """
    from bastion.devices.actions.maintenance import complete_from_work_order

    complete_from_work_order(plan_id=plan_id, work_order_id=work_order_id, done_at=done_at)
