"""Decisions over NATS JetStream with several workers, durable and exactly once (issue #5).

Usage:
    python benchmarks/decision_stream.py [--payments 100000] [--workers 2] [--batch 500] [--prepublish]

A fresh embedded database (SQLite, WAL) in a temporary BASTION_HOME, or PostgreSQL when
BASTION_DATABASE_URL is set (a database of this run is created there and dropped afterwards).
``--workers`` real ``bastion risk-worker --partition N`` processes run with
BASTION_RISK_PARTITIONS = workers, on a stream and subjects of this run only (deleted at the end).
The payments (``bastion.engine.generator``, two days of traffic) are published as fast as JetStream
stores them, while the workers decide; the clock runs from the first publish until the decisions
stream holds one decision per payment. Then the stored rows are counted: ``lost`` = payments
without a stored decision, ``duplicates`` = decisions published more than once. Prints one JSON line.

The publisher here is one Python process and is often the slower side; ``workers_decisions_per_s``
(first to last decision, JetStream's timestamps) and ``--prepublish`` (the stream is filled before
the workers start) show what the workers themselves sustain.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BASTION = str(Path(sys.executable).with_name("bastion"))


def _iso(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in record.items()}


def _database(home: Path) -> str | None:
    """A PostgreSQL database of this run when BASTION_DATABASE_URL is set; its name to drop later."""
    url = os.environ.get("BASTION_DATABASE_URL")
    if not url:
        return None
    import psycopg

    name = f"bench_stream_{secrets.token_hex(4)}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["BASTION_DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + name
    os.environ["BENCH_ADMIN_URL"] = url
    return name


def _drop(name: str | None) -> None:
    if name is None:
        return
    import psycopg

    with psycopg.connect(os.environ["BENCH_ADMIN_URL"], autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _publish(records: list[dict[str, Any]], workers: int) -> float:
    import nats

    from bastion.risk import stream

    nc = await nats.connect(os.environ["BASTION_NATS_URL"])
    js = nc.jetstream()
    await stream.ensure_streams(js)
    started = time.perf_counter()
    for i in range(0, len(records), 5000):
        await stream.publish_payments(js, records[i : i + 5000], partitions=workers)
    await nc.close()
    return started


async def _wait_for_decisions(expected: int, timeout: float) -> tuple[float, int]:
    """When the decisions stream holds ``expected`` messages (perf_counter), and how many it holds."""
    import nats

    from bastion.risk import stream

    nc = await nats.connect(os.environ["BASTION_NATS_URL"])
    js = nc.jetstream()
    await stream.ensure_streams(js)
    deadline = time.monotonic() + timeout
    held = 0
    while time.monotonic() < deadline:
        held = (await js.stream_info(stream.decisions_stream())).state.messages
        if held >= expected:
            break
        await asyncio.sleep(0.05)
    done = time.perf_counter()
    await asyncio.sleep(1.0)  # anything published twice would show up now
    held = (await js.stream_info(stream.decisions_stream())).state.messages
    await nc.close()
    return done, held


async def _decision_span() -> float:
    """Seconds between the first and the last decision JetStream stored (its own clock)."""
    import nats

    from bastion.risk import stream

    nc = await nats.connect(os.environ["BASTION_NATS_URL"])
    js = nc.jetstream()
    state = (await js.stream_info(stream.decisions_stream())).state
    first = await js.get_msg(stream.decisions_stream(), seq=state.first_seq)
    last = await js.get_msg(stream.decisions_stream(), seq=state.last_seq)
    await nc.close()
    if first.time is None or last.time is None:
        return 0.0
    return (last.time - first.time).total_seconds()


async def _delete_streams() -> None:
    import nats

    from bastion.risk import stream

    nc = await nats.connect(os.environ["BASTION_NATS_URL"])
    js = nc.jetstream()
    for name in (stream.conf.stream_name(), stream.decisions_stream()):
        with contextlib.suppress(nats.js.errors.NotFoundError):
            await js.delete_stream(name)
    await nc.close()


async def _wait_for_workers(workers: int, timeout: float = 180.0) -> None:
    """Until every worker has loaded its state and bound its durable consumer."""
    import nats

    from bastion.risk import stream

    nc = await nats.connect(os.environ["BASTION_NATS_URL"])
    js = nc.jetstream()
    await stream.ensure_streams(js)
    deadline = time.monotonic() + timeout
    pending = set(range(workers))
    while pending and time.monotonic() < deadline:
        for p in sorted(pending):
            with contextlib.suppress(nats.js.errors.NotFoundError):
                await js.consumer_info(stream.conf.stream_name(), f"risk-worker-{p}")
                pending.discard(p)
        await asyncio.sleep(0.2)
    await nc.close()
    if pending:
        raise SystemExit(f"workers {sorted(pending)} did not start")


async def _run(records: list[dict[str, Any]], workers: int, timeout: float) -> tuple[float, float, int]:
    publishing = asyncio.create_task(_publish(records, workers))
    await asyncio.sleep(0)  # the publisher's clock starts first
    waiting = asyncio.create_task(_wait_for_decisions(len(records), timeout))
    started = await publishing
    done, held = await waiting
    return started, done, held


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--payments", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--batch", type=int, default=500, help="payments each worker fetches and stores together"
    )
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument(
        "--prepublish",
        action="store_true",
        help="publish every payment before the workers start: measures the workers, not this publisher",
    )
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bastion-stream-bench-"))
    run = secrets.token_hex(3)
    os.environ.update(
        BASTION_HOME=str(home),
        BASTION_SECRET_KEY=secrets.token_urlsafe(48),
        BASTION_LOG_LEVEL="WARNING",
        BASTION_RISK_PARTITIONS=str(args.workers),
        BASTION_RISK_STREAM=f"BENCH_{run.upper()}",
        BASTION_RISK_SUBJECT_PREFIX=f"bench{run}.risk",
        DJANGO_SETTINGS_MODULE="bastion.settings",
    )
    os.environ.setdefault("BASTION_NATS_URL", "nats://127.0.0.1:4222")
    database = _database(home)
    try:
        return _measure(args)
    finally:
        asyncio.run(_delete_streams())
        _drop(database)


def _measure(args: argparse.Namespace) -> int:
    subprocess.run([BASTION, "migrate", "-v0"], check=True)
    import django

    django.setup()
    from bastion.engine.generator import generate, records

    payments = [_iso(r) for r in records(generate(args.payments, seed=7, days=2, late_share=0.0))]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE}
    published_s = None
    if args.prepublish:
        publish_started = asyncio.run(_publish(payments, args.workers))
        published_s = time.perf_counter() - publish_started
    workers = [
        subprocess.Popen([BASTION, "risk-worker", "--partition", str(p), "--batch", str(args.batch)], **quiet)  # type: ignore[call-overload]
        for p in range(args.workers)
    ]
    try:
        # Startup (imports, state load) is not what is measured: CPU counts from here.
        asyncio.run(_wait_for_workers(args.workers))
        cpu_before = _cpu(workers)
        if args.prepublish:
            started = time.perf_counter()
            done, held = asyncio.run(_wait_for_decisions(len(payments), args.timeout))
        else:
            started, done, held = asyncio.run(_run(payments, args.workers, args.timeout))
        cpu = {pid: _cpu_of(pid) - cpu_before.get(pid, 0.0) for pid in (w.pid for w in workers)}
        span = asyncio.run(_decision_span())
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=60)
    from bastion.risk.models import Decision, StoredPayment

    elapsed = done - started
    stored = StoredPayment.objects.count()
    decisions = Decision.objects.count()
    print(
        json.dumps(
            {
                "benchmark": "decision_stream",
                "database": "postgresql" if database_is_pg() else "sqlite",
                "payments": len(payments),
                "workers": args.workers,
                "batch": args.batch,
                "decisions_per_s": round(len(payments) / elapsed, 1) if held >= len(payments) else None,
                "elapsed_s": round(elapsed, 2),
                "prepublished_s": round(published_s, 2) if published_s is not None else None,
                # Server timestamps of the first and last decision stored: the workers' own pace.
                "first_to_last_decision_s": round(span, 2),
                "workers_decisions_per_s": round(len(payments) / span, 1) if span > 0 else None,
                "worker_cpu_us_per_payment": round(sum(cpu.values()) / len(payments) * 1e6),
                "decision_messages": held,
                "stored_payments": stored,
                "stored_decisions": decisions,
                "lost": len(payments) - decisions,
                "duplicates": max(0, held - len(payments)),
                "worker_cpu_s": [round(v, 2) for v in cpu.values()],
                "load_avg_1m": round(os.getloadavg()[0], 2),
                "cpu_count": os.cpu_count(),
            }
        )
    )
    return 0 if decisions == len(payments) == held else 1


def database_is_pg() -> bool:
    return "BENCH_ADMIN_URL" in os.environ


def _cpu_of(pid: int | None) -> float:
    """User + system CPU seconds of a process (Linux /proc), so neighbours' load does not count."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu(processes: list[subprocess.Popen[Any]]) -> dict[int, float]:
    return {p.pid: _cpu_of(p.pid) for p in processes}


if __name__ == "__main__":
    sys.exit(main())
