"""Queued work of the risk app: backtests run off the request path (R4.3); indicators recomputed."""

from __future__ import annotations

import datetime as dt

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from bastion.risk.actions.rules import do_run_backtest


@db_task()
def run_backtest_task(backtest_id: int) -> str:
    """Replay stored payments through a rule-set version; the result is stored on the backtest."""
    return do_run_backtest(backtest_id=backtest_id).status


@db_task()
def prepare_ruleset_state_task(ruleset_id: int) -> int:
    """Snapshot an approved rule-set version's feature state, so activation replays only the tail."""
    from bastion.risk.scorer import prepare_ruleset_state

    return prepare_ruleset_state(ruleset_id=ruleset_id)


@db_periodic_task(crontab(minute="*/5"))
def compute_recent_indicators() -> int:
    """Every five minutes: recompute yesterday (late payments, the day's end) and today; returns warnings raised."""
    from django.utils import timezone

    from bastion.risk.actions.indicators import do_compute_indicator_range
    from bastion.risk.services.indicators import bank_zone

    today = timezone.localdate(timezone.now(), bank_zone())
    # One computation at a time: a slow pass must not overlap the next tick.
    with lock_task("risk-indicators"):
        results = do_compute_indicator_range(start=today - dt.timedelta(days=1), end=today)
    return sum(result.warnings for result in results)


@db_periodic_task(crontab(hour="8", minute="5"))
def remind_channel_reviews() -> int:
    """Every morning: tell the assessors which channels are due for re-assessment (R4.6)."""
    from django.utils import timezone

    from bastion.risk.actions.reference import do_remind_channel_reviews

    return do_remind_channel_reviews(today=timezone.localdate())
