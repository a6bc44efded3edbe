"""A database that ``bastion`` subprocesses (scorer, workers) share with the test.

On PostgreSQL it is the test database itself (the test must use ``transactional_db`` so committed
rows are visible both ways); on SQLite, whose test database lives in memory, a migrated file in a
temporary ``BASTION_HOME``.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

BASTION = str(Path(sys.executable).with_name("bastion"))

COUNTING_RULES = """
name = "counting"
[[rule]]
id = "SEEN"
when = 'count(payer, 30d) >= 0'
points = 1
reason_zh = "账户近30天交易笔数"
reason_en = "Payments of the account in 30 days"
"""


@dataclass
class ExternalDb:
    env: dict[str, str]
    execute: Callable[..., list[tuple[Any, ...]]]

    def count(self, where: str = "1=1") -> int:
        return int(self.execute(f"SELECT COUNT(*) FROM risk_storedpayment WHERE {where}")[0][0])

    def activate_counting_rules(self) -> None:
        """A rule that fires on every payment with the account's prior count as evidence."""
        self.execute("UPDATE risk_rulesetversion SET status = 'retired' WHERE status = 'active'")
        self.execute(
            "INSERT INTO risk_rulesetversion (number, name, text, status, note, created_at, activated_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [90, "counting", COUNTING_RULES, "active", "", "2026-11-24 00:00:00", "2026-11-24 00:00:00"],
        )

    def counts_by_payer(self) -> dict[str, list[int]]:
        rows = self.execute(
            "SELECT p.payer_account, d.fired FROM risk_storedpayment p"
            " JOIN risk_decision d ON d.payment_id = p.id ORDER BY p.id"
        )
        found: dict[str, list[int]] = {}
        for payer, fired in rows:
            import json

            rules = json.loads(fired) if isinstance(fired, str) else fired
            found.setdefault(payer, []).append(rules[0]["evidence"]["count(payer, 30d)"])
        return found


def make_external_db(tmp_path: Path) -> ExternalDb:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.pop("BASTION_TESTING", None)
    env["BASTION_HOME"] = str(tmp_path)
    env["BASTION_SECRET_KEY"] = settings.SECRET_KEY  # the scorer's socket key derives from it
    env["BASTION_LOG_LEVEL"] = "WARNING"
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
        env["BASTION_DATABASE_URL"] = (
            f"postgres://{s['USER']}{password}@{s['HOST']}:{s['PORT'] or 5432}/{s['NAME']}"
        )

        def execute(sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
            with connection.cursor() as cursor:
                cursor.execute(sql, params or [])
                return list(cursor.fetchall()) if cursor.description else []

        return ExternalDb(env, execute)
    env.pop("BASTION_DATABASE_URL", None)
    subprocess.run([BASTION, "migrate", "-v0"], env=env, check=True, timeout=300)
    path = tmp_path / "bastion.sqlite3"

    def execute_sqlite(sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        with sqlite3.connect(path, timeout=30) as db:
            return list(db.execute(sql.replace("%s", "?"), params or []).fetchall())

    return ExternalDb(env, execute_sqlite)


def wait_until(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)
