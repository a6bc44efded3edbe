"""Backtest of a rule-set draft over stored payments (issue #5, R4.3): time and CPU of one run.

Usage:
    python benchmarks/risk_backtest.py [--payments 100000] [--days 14]

A fresh embedded database (SQLite) in a temporary BASTION_HOME, or PostgreSQL when
BASTION_DATABASE_URL is set. Payments from ``bastion.engine.generator`` are decided and stored by
the real feature-state owner (``PartitionOwner``, group commit); the generator's pattern labels
become known outcomes (``confirmed_fraud``). Then ``run_backtest`` (what the queued task runs)
replays the stored history with the draft (shipped rules plus one) and with the active version
through the engine's batch path. Prints one JSON line: wall and CPU seconds of the backtest, the
share spent reading the stored payments, and the figures it produced.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

BASTION = str(Path(sys.executable).with_name("bastion"))
EXTRA_RULE = """
[[rule]]
id = "BENCH-MOBILE-5K"
when = 'channel == "mobile" and amount >= 5000'
points = 40
reason_zh = "手机银行单笔5000元以上"
reason_en = "Mobile payment of CNY 5,000 or more"
"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--payments", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=14)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bastion-backtest-bench-"))
    os.environ.update(
        BASTION_HOME=str(home),
        BASTION_SECRET_KEY=secrets.token_urlsafe(48),
        BASTION_LOG_LEVEL="WARNING",
        BASTION_RISK_SCORER="inline",
        DJANGO_SETTINGS_MODULE="bastion.settings",
    )
    subprocess.run([BASTION, "migrate", "-v0"], check=True)
    import django

    django.setup()
    from django.utils import timezone

    from bastion.engine.generator import generate, records
    from bastion.risk.actions import default_ruleset_text
    from bastion.risk.models import StoredPayment
    from bastion.risk.scorer import PartitionOwner, Submission
    from bastion.risk.services.backtests import history_frame, run_backtest, window_bounds

    frame = generate(args.payments, seed=11, days=args.days)
    owner = PartitionOwner()
    owner.load()
    rows = list(records(frame))
    started = time.perf_counter()
    for i in range(0, len(rows), 1000):
        owner.submit([Submission(r, None, "bench", "http") for r in rows[i : i + 1000]])
    store_s = time.perf_counter() - started
    fraud = [i for i, label in zip(frame["id"].to_list(), frame["label"].to_list(), strict=True) if label]
    StoredPayment.objects.update(confirmed_fraud=False)
    for i in range(0, len(fraud), 500):
        StoredPayment.objects.filter(payment_id__in=fraud[i : i + 500]).update(confirmed_fraud=True)

    first = timezone.localtime(min(frame["timestamp"].to_list())).date()
    last = timezone.localtime(max(frame["timestamp"].to_list())).date()
    start = last - timedelta(days=6)  # the last week, with the weeks before it as history
    load_before = os.getloadavg()
    cpu, wall = time.process_time(), time.perf_counter()
    history_frame(before=window_bounds(start, last)[1])
    read_wall, read_cpu = time.perf_counter() - wall, time.process_time() - cpu
    cpu, wall = time.process_time(), time.perf_counter()
    result = run_backtest(
        text=default_ruleset_text() + EXTRA_RULE, start=start, end=last, compare_text=default_ruleset_text()
    )
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(json.dumps({
        "benchmark": "risk_backtest",
        "database": "postgresql" if os.environ.get("BASTION_DATABASE_URL") else "sqlite",
        "stored_payments": len(rows),
        "history_span_days": (last - first).days + 1,
        "window_payments": result["payments"],
        "backtest_wall_s": round(wall, 2),
        "backtest_cpu_s": round(cpu, 2),
        "read_history_wall_s": round(read_wall, 2),
        "read_history_cpu_s": round(read_cpu, 2),
        "scored_rows_per_cpu_s": round(result["history"] * 2 / cpu),
        "store_wall_s": round(store_s, 1),
        "overlap": {k: v for k, v in result["overlap"].items() if k != "active_outcomes"},
        "precision": result["outcomes"]["precision"],
        "recall": result["outcomes"]["recall"],
        "active_precision": result["overlap"]["active_outcomes"]["precision"],
        "active_recall": result["overlap"]["active_outcomes"]["recall"],
        "loadavg_before": [round(x, 2) for x in load_before],
        "cpus": os.cpu_count(),
    }))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
