"""Queued work of the risk app: backtests run off the request path (R4.3)."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from bastion.risk.actions.rules import do_run_backtest


@db_task()
def run_backtest_task(backtest_id: int) -> str:
    """Replay stored payments through a rule-set version; the result is stored on the backtest."""
    return do_run_backtest(backtest_id=backtest_id).status
