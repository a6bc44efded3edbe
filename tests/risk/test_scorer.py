"""The Decision API with its scorer in another process: kill -9 it while a client is sending."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from bastion.risk.transport import wait_for_scorer
from tests.api.conftest import bearer_client, call, make_token
from tests.factories import World
from tests.risk.external import BASTION, ExternalDb, make_external_db, wait_until
from tests.risk.helpers import payment

pytestmark = pytest.mark.django_db(transaction=True)

PAYMENTS = 300
BATCH = 10
ACCOUNTS = [f"62220300{n:08d}" for n in range(12)]


def _scorer(db: ExternalDb, address: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [BASTION, "risk-scorer", "--address", address],
            env={**db.env, "BASTION_RISK_SNAPSHOT_EVERY": "40"},
            stdout=out,
            stderr=subprocess.STDOUT,
        )


class Sender(threading.Thread):
    """A payment system: sends batches, retries a batch until it is answered, keeps what it saw."""

    def __init__(self, secret: str) -> None:
        super().__init__(daemon=True)
        self.secret = secret
        self.seen: dict[str, dict[str, Any]] = {}
        self.retries = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            client = bearer_client(self.secret)
            records = [payment(n, account=ACCOUNTS[n % len(ACCOUNTS)]) for n in range(PAYMENTS)]
            for start in range(0, PAYMENTS, BATCH):
                body = {"payments": records[start : start + BATCH]}
                while True:
                    response = call(client, "POST", "/api/v1/risk/decisions/batch", body)
                    if response.status_code == 200:
                        break
                    assert response.status_code == 503, response.content
                    self.retries += 1
                    time.sleep(0.2)
                for result in response.json()["results"]:
                    self.seen[result["decision"]["payment_id"]] = result["decision"]
        except BaseException as exc:  # reported by the test
            self.error = exc


def test_kill_9_of_the_scorer_loses_no_acknowledged_decision(
    tmp_path: Path, world: World, settings: Any
) -> None:
    db = make_external_db(tmp_path)
    db.activate_counting_rules()
    address = f"unix:{tmp_path / 'scorer.sock'}"
    settings.BASTION_RISK_SCORER = address
    log = tmp_path / "scorer.log"
    scorer = _scorer(db, address, log)
    try:
        wait_for_scorer(address, timeout=60)
        _, secret = make_token(
            world.users["admin_hq"], permissions=["risk.submit_payment"], all_branches=True
        )
        sender = Sender(secret)
        sender.start()
        wait_until(lambda: len(sender.seen) >= 80 or not sender.is_alive(), timeout=120, what="80 answers")
        os.kill(scorer.pid, signal.SIGKILL)
        scorer.wait(timeout=10)
        scorer = _scorer(db, address, log)
        sender.join(timeout=240)
        assert sender.error is None, sender.error
        assert not sender.is_alive()
        assert sender.retries > 0  # the kill was noticed by the client
        scorer.send_signal(signal.SIGTERM)
        assert scorer.wait(timeout=30) == 0, log.read_text()[-3000:]
    finally:
        if scorer.poll() is None:
            scorer.kill()
    # Every decision the client saw is stored, unchanged; nothing is stored twice.
    stored = dict(
        db.execute(
            "SELECT p.payment_id, d.score FROM risk_storedpayment p JOIN risk_decision d ON d.payment_id = p.id"
        )
    )
    assert len(sender.seen) == PAYMENTS == len(stored) == db.count()
    assert {pid: d["score"] for pid, d in sender.seen.items()} == stored
    # Features counted every payment exactly once across the crash, the restore and the replay.
    for payer, counts in db.counts_by_payer().items():
        assert counts == list(range(len(counts))), payer


@pytest.mark.parametrize(("value", "seconds"), [("0", 0.0), ("1", 0.001), ("2.5", 0.0025), (None, 0.001)])
def test_group_commit_wait_is_read_in_milliseconds(
    monkeypatch: pytest.MonkeyPatch, value: str | None, seconds: float
) -> None:
    from bastion.risk import conf

    if value is None:
        monkeypatch.delenv("BASTION_RISK_GROUP_COMMIT_MS", raising=False)
    else:
        monkeypatch.setenv("BASTION_RISK_GROUP_COMMIT_MS", value)
    assert conf.group_commit_seconds() == pytest.approx(seconds)


@pytest.mark.parametrize("value", ["soon", "-1", "250"])
def test_a_bad_group_commit_wait_stops_the_scorer_with_its_name(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    from django.core.exceptions import ImproperlyConfigured

    from bastion.risk import conf

    monkeypatch.setenv("BASTION_RISK_GROUP_COMMIT_MS", value)
    with pytest.raises(ImproperlyConfigured, match="BASTION_RISK_GROUP_COMMIT_MS"):
        conf.group_commit_seconds()
