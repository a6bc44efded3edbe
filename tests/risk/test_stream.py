"""Payments over the real NATS JetStream: two workers, a kill -9 of one mid-stream, nothing lost."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import uuid
from pathlib import Path
from typing import Any

import nats
import pytest

from bastion.risk import services, stream
from tests.conftest import require_service
from tests.risk.external import BASTION, ExternalDb, make_external_db, wait_until
from tests.risk.helpers import payment

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

PAYMENTS = 1200
ACCOUNTS = [f"62220200{n:08d}" for n in range(24)]


@pytest.fixture
def names(monkeypatch: pytest.MonkeyPatch) -> Any:
    """A stream and subjects of this test only; deleted afterwards."""
    require_service("nats")
    tag = uuid.uuid4().hex[:8]
    values = {
        "BASTION_RISK_STREAM": f"TEST_RISK_{tag}",
        "BASTION_RISK_SUBJECT_PREFIX": f"test.{tag}",
        "BASTION_RISK_PARTITIONS": "2",
        "BASTION_RISK_ACK_WAIT": "2",
        "BASTION_RISK_SNAPSHOT_EVERY": "150",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    yield values
    asyncio.run(_delete_streams())


async def _delete_streams() -> None:
    nc = await nats.connect("nats://127.0.0.1:4222")
    js = nc.jetstream()
    for name in (stream.conf.stream_name(), stream.decisions_stream()):
        with contextlib.suppress(nats.js.errors.NotFoundError):
            await js.delete_stream(name)
    await nc.close()


async def _publish(records: list[dict[str, Any]]) -> None:
    nc = await nats.connect("nats://127.0.0.1:4222")
    js = nc.jetstream()
    await stream.ensure_streams(js)
    await stream.publish_payments(js, records)
    await nc.close()


async def _read_back() -> tuple[list[dict[str, Any]], list[Any]]:
    """Every decision message on the decisions stream, and the two workers' consumer states."""
    nc = await nats.connect("nats://127.0.0.1:4222")
    js = nc.jetstream()
    sub = await js.pull_subscribe(stream.decisions_subject("*"), stream=stream.decisions_stream())
    messages: list[dict[str, Any]] = []
    while True:
        try:
            batch = await sub.fetch(500, timeout=1.0)
        except (TimeoutError, nats.errors.TimeoutError):
            break
        for message in batch:
            messages.append(json.loads(message.data))
            await message.ack()
    consumers = [await js.consumer_info(stream.conf.stream_name(), f"risk-worker-{p}") for p in (0, 1)]
    # Redelivered payments re-publish their decision under the same Nats-Msg-Id: stored once.
    assert (await js.stream_info(stream.decisions_stream())).state.messages == len(messages)
    await nc.close()
    return messages, consumers


def _worker(db: ExternalDb, names: dict[str, str], partition: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**db.env, **names}
    with log.open("ab") as out:
        return subprocess.Popen(
            [BASTION, "risk-worker", "--partition", str(partition), "--batch", "20"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def test_kill_9_of_a_worker_loses_no_acknowledged_decision(tmp_path: Path, names: dict[str, str]) -> None:
    db = make_external_db(tmp_path)
    db.activate_counting_rules()
    records = [payment(n, account=ACCOUNTS[n % len(ACCOUNTS)]) for n in range(PAYMENTS)]
    asyncio.run(_publish(records))
    first = [a for a in ACCOUNTS if services.partition_of(a, 2) == 0]
    in_first = "payer_account IN ({})".format(", ".join(f"'{a}'" for a in first))
    log = tmp_path / "workers.log"
    workers = [_worker(db, names, 0, log), _worker(db, names, 1, log)]
    try:

        def progressed(enough: int) -> bool:
            assert all(w.poll() is None for w in workers), log.read_text()[-3000:]
            return db.count(in_first) >= enough

        wait_until(lambda: progressed(200), timeout=120, what="partition 0 half-way")
        os.kill(workers[0].pid, signal.SIGKILL)
        workers[0].wait(timeout=10)
        killed_at = db.count(in_first)
        assert killed_at < sum(1 for r in records if r["payer_account"] in first), "kill came too late"
        workers[0] = _worker(db, names, 0, log)
        wait_until(lambda: progressed(0) and db.count() == PAYMENTS, timeout=180, what="every payment stored")
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            assert worker.wait(timeout=30) == 0, log.read_text()[-3000:]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    # Exactly once in the stored results: every payment, one decision each.
    assert db.count() == PAYMENTS
    assert db.execute("SELECT COUNT(*) FROM risk_decision")[0][0] == PAYMENTS
    # Every decision a worker published (and acknowledged the payment after) is stored.
    messages, consumers = asyncio.run(_read_back())
    published = {m["decision"]["payment_id"] for m in messages if m.get("decision")}
    stored = {row[0] for row in db.execute("SELECT payment_id FROM risk_storedpayment")}
    assert published == stored == {r["id"] for r in records}
    assert all(c.num_ack_pending == 0 and c.num_pending == 0 for c in consumers)
    # The features cover every payment exactly once: each account's n-th payment saw n-1 before it,
    # across the kill, the snapshot restore and the replay.
    for payer, counts in db.counts_by_payer().items():
        assert counts == list(range(len(counts))), payer
    assert db.execute("SELECT COUNT(*) FROM risk_featuresnapshot")[0][0] > 0
