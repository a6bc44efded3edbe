"""Queued and scheduled work of the AML app: alert sweeps, daily large-value reports, reminders."""

from __future__ import annotations

import datetime as dt

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task


@db_periodic_task(crontab(minute="*"))
def sweep_rule_alerts() -> int:
    """Every minute: alerts for the AML rules fired since the last sweep; returns decisions read."""
    from bastion.aml.actions.pipeline import do_sweep_rule_alerts

    read = 0
    with lock_task("aml-rule-alerts"):
        while True:
            batch = do_sweep_rule_alerts()
            read += batch
            if not batch:
                return read


@db_periodic_task(crontab(minute="*"))
def sweep_typologies() -> int:
    """Every minute: typology alerts completed by the payments stored since the last sweep."""
    from bastion.aml.actions.typologies import BATCH, do_sweep_typologies
    from bastion.aml.models import SweepCursor
    from bastion.risk.models import StoredPayment

    raised = 0
    with lock_task("aml-typologies"):
        while True:
            raised += do_sweep_typologies(limit=BATCH)
            cursor = (
                SweepCursor.objects.filter(name="typology-alerts").values_list("position", flat=True).first()
            )
            if not StoredPayment.objects.filter(pk__gt=cursor or 0).exists():
                return raised


@db_periodic_task(crontab(hour="1", minute="30"))
def draft_large_value_reports() -> int:
    """Every night: draft yesterday's large-value reports, and bring the day before up to date."""
    from django.utils import timezone

    from bastion.aml.actions.reports import do_generate_large_value_reports
    from bastion.aml.services.calendar import regulatory_calendar

    today = regulatory_calendar().local_day(timezone.now())
    created = 0
    for back in (2, 1):
        result = do_generate_large_value_reports(day=today - dt.timedelta(days=back), actor=None)
        created += len(result.created)
    return created


@db_periodic_task(crontab(hour="8", minute="10"))
def remind_aml_deadlines() -> dict[str, int]:
    """Every morning: tell AML officers what falls due."""
    from django.utils import timezone

    from bastion.aml.actions.reminders import do_remind_aml_deadlines
    from bastion.aml.services.calendar import regulatory_calendar

    return do_remind_aml_deadlines(today=regulatory_calendar().local_day(timezone.now()))


@db_task()
def rescreen_customers_task(list_code: str, entry_ids: list[str]) -> int:
    """After a list import: screen every customer against the changed entries."""
    from bastion.aml.actions.screening import do_rescreen_customers

    return do_rescreen_customers(list_code=list_code, entry_ids=entry_ids)
