"""A running NATS JetStream worker picks up a newly activated rule-set version without a restart."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.risk.external import BASTION, COUNTING_RULES, ExternalDb, make_external_db, wait_until
from tests.risk.helpers import payment
from tests.risk.test_stream import _publish, names  # noqa: F401  (the stream fixture)

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

NEW_TEXT = (
    COUNTING_RULES
    + """
[[rule]]
id = "NEW-RULE"
when = 'amount >= 100'
points = 5
reason_zh = "新规则：金额达100元"
reason_en = "New rule: amount of CNY 100 or more"
"""
)

# The whole dual-control flow, as two analysts would run it, in another process.
ACTIVATE = f"""
from bastion.identity.models import Role, User, UserRole
from bastion.risk import actions
people = []
for name in ("maker", "checker"):
    user = User.objects.create(username=name, full_name=name, institution_wide=True)
    UserRole.objects.create(user=user, role=Role.objects.get(code="risk_analyst"))
    people.append(User.objects.get(pk=user.pk))
maker, checker = people
version = actions.do_create_ruleset_draft(name="new rule", text={NEW_TEXT!r}, actor=maker)
actions.do_submit_ruleset(number=version.number, actor=maker)
actions.do_approve_ruleset(number=version.number, note="ok", actor=checker)
actions.do_activate_ruleset(number=version.number, actor=checker)
print(version.number)
"""


def _decisions(db: ExternalDb) -> dict[str, tuple[int, list[str]]]:
    import json

    rows = db.execute(
        "SELECT p.payment_id, v.number, d.fired FROM risk_storedpayment p"
        " JOIN risk_decision d ON d.payment_id = p.id JOIN risk_rulesetversion v ON v.id = d.ruleset_id"
    )
    found = {}
    for payment_id, number, fired in rows:
        rules = json.loads(fired) if isinstance(fired, str) else fired
        found[payment_id] = (number, [r["id"] for r in rules])
    return found


def test_running_worker_switches_to_the_activated_version(
    tmp_path: Path,
    names: dict[str, str],  # noqa: F811  (the fixture imported above)
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BASTION_RISK_PARTITIONS", "1")
    db = make_external_db(tmp_path)
    db.activate_counting_rules()
    env: dict[str, Any] = {**db.env, **names, "BASTION_RISK_PARTITIONS": "1",
                           "BASTION_RISK_RULESET_CHECK_SECONDS": "0"}  # fmt: skip
    log = tmp_path / "worker.log"
    with log.open("ab") as out:
        worker = subprocess.Popen(
            [BASTION, "risk-worker", "--partition", "0", "--batch", "10"], env=env, stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        first = [payment(n, account=f"62220600{n % 3:08d}") for n in range(20)]
        asyncio.run(_publish(first))
        wait_until(lambda: db.count() == 20, timeout=120, what="the first payments decided")
        done = subprocess.run(
            [BASTION, "shell", "-c", ACTIVATE], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr[-3000:]
        number = int(done.stdout.strip().splitlines()[-1])
        second = [payment(n, account=f"62220600{n % 3:08d}") for n in range(20, 40)]
        asyncio.run(_publish(second))
        wait_until(lambda: db.count() == 40, timeout=120, what="the later payments decided")
        assert worker.poll() is None, log.read_text()[-3000:]
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0, log.read_text()[-3000:]
    finally:
        if worker.poll() is None:
            worker.kill()
    decided = _decisions(db)
    # Decided before the activation by the counting rules, after it by the new version (same process).
    assert {decided[r["id"]][0] for r in first} == {90}
    assert all("NEW-RULE" not in decided[r["id"]][1] for r in first)
    assert {decided[r["id"]][0] for r in second} == {number}
    assert all("NEW-RULE" in decided[r["id"]][1] for r in second)
    assert db.execute("SELECT status FROM risk_rulesetversion WHERE number = 90")[0][0] == "retired"
    # The new version's state was rebuilt from the stored history: each account's count continues.
    for payer, counts in db.counts_by_payer().items():
        assert counts == list(range(len(counts))), payer
