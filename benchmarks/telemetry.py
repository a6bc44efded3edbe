"""Telemetry throughput through the real MQTT broker with alarm evaluation (issue #6: >= 5,000/s).

Usage:
    python benchmarks/telemetry.py [--messages 100000] [--devices 600] [--qos 0] [--batch-size 2000] [--broker mqtt://127.0.0.1:1883]

A fresh database (embedded SQLite in a temporary BASTION_HOME, or PostgreSQL when
BASTION_DATABASE_URL is set: a throwaway database is created and dropped) gets one branch and
``--devices`` devices behind a few switches. A publisher process (the second core) sends
``--messages`` telemetry messages on ``bench-<id>/devices/{id}/telemetry``; this process runs the
real :class:`bastion.devices.bridge.TelemetryBridge` and evaluates every message (rules, merges,
raises, clears, samples, audit, and the service desk's work-order opening for every raised alarm
when the service desk is installed). ``--fault-share`` of the devices start at fault and a device's
state flips with probability ``--flip`` per message, so alarms are raised, merged and cleared
throughout (defaults: 2 % and 0.01 %, i.e. a device reporting every 30 s changes state about
every 3.5 days, still far more often than a real fleet). The publisher offers ``--rate`` messages/s (a fleet reports at a steady pace; flat out, the broker
would drop QoS 0 messages it cannot queue). Throughput = evaluated messages / (last evaluated -
first received); the run meets the target when every message was evaluated at >= 5,000/s.
Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

FAULTS = [{"card_reader": "fault"}, {"printer": "fault"}, {"cash_level": 4}, {"temperature": 52.5}]
HEALTHY = {"card_reader": "ok", "printer": "ok", "cash_level": 63, "temperature": 31.5, "network": "ok"}


def publish(args: argparse.Namespace, prefix: str, first_id: int, count: int) -> None:
    """The publisher process: deterministic device states, one message per device in turn."""
    from urllib.parse import urlsplit

    import paho.mqtt.client as mqtt

    address = urlsplit(args.broker)
    rng = random.Random(args.seed)
    faulty = {i: (rng.random() < args.fault_share) for i in range(count)}
    fault_of = {i: rng.randrange(len(FAULTS)) for i in range(count)}
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{uuid.uuid4().hex[:6]}")
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect(address.hostname or "127.0.0.1", address.port or 1883)
    client.loop_start()
    last = None
    started = time.monotonic()
    for n in range(args.messages):
        if args.rate and n % 50 == 0:
            # Devices report at a steady rate; pacing also keeps the broker from dropping QoS 0
            # messages it cannot queue, which would measure the broker's buffer, not the bridge.
            ahead = n / args.rate - (time.monotonic() - started)
            if ahead > 0:
                time.sleep(ahead)
        i = n % count
        if rng.random() < args.flip:
            faulty[i] = not faulty[i]
        payload = dict(HEALTHY)
        if faulty[i]:
            payload.update(FAULTS[fault_of[i]])
        payload["device_id"] = first_id + i
        last = client.publish(f"{prefix}/devices/{first_id + i}/telemetry", json.dumps(payload), qos=args.qos)
    if last is not None:
        last.wait_for_publish(60)
    client.loop_stop()
    client.disconnect()


def _prepare_database() -> str | None:
    """Point Django at a throwaway database; returns the PostgreSQL database name to drop, if any."""
    url = os.environ.get("BASTION_DATABASE_URL", "")
    if not url:
        os.environ["BASTION_HOME"] = tempfile.mkdtemp(prefix="bastion-bench-")
        return None
    import psycopg

    name = f"bench_telemetry_{os.getpid()}"
    base, _, _ = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["BASTION_DATABASE_URL"] = f"{base}/{name}"
    return name


def _drop_database(name: str, url: str) -> None:
    import psycopg

    base, _, _ = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _world(devices: int) -> tuple[int, int]:
    from tests.factories import make_branch

    from bastion.devices.models import Device

    branch = make_branch("BENCH", "基准测试支行", "上海")
    switches = [
        Device.objects.create(
            branch=branch,
            asset_tag=f"SW-{n:03d}",
            name="接入交换机",
            device_class="network",
            vendor="华为",
            model="S5735",
            serial_number=f"SW{n:06d}",
            lifecycle_state="in_service",
        )
        for n in range(max(1, devices // 100))
    ]
    rows = [
        Device(
            branch=branch,
            asset_tag=f"ATM-{n:05d}",
            name="自助取款机",
            device_class="atm",
            vendor="广电运通",
            model="DT-7000",
            serial_number=f"GRG{n:08d}",
            lifecycle_state="in_service",
            upstream=switches[n % len(switches)],
        )
        for n in range(devices)
    ]
    created = Device.objects.bulk_create(rows)
    ids = sorted(d.pk for d in created)
    assert ids == list(range(ids[0], ids[0] + devices)), "device ids must be contiguous"
    return ids[0], devices


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--devices", type=int, default=600)
    parser.add_argument("--qos", type=int, choices=(0, 1), default=0)
    parser.add_argument("--broker", default="mqtt://127.0.0.1:1883")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--fault-share", type=float, default=0.02)
    parser.add_argument("--flip", type=float, default=0.0001)
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument(
        "--rate", type=float, default=6000, help="messages/s the publisher offers (0: flat out)"
    )
    parser.add_argument(
        "--publisher", nargs=3, metavar=("PREFIX", "FIRST_ID", "COUNT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    if args.publisher:
        prefix, first, count = args.publisher
        publish(args, prefix, int(first), int(count))
        return 0

    original_url = os.environ.get("BASTION_DATABASE_URL", "")
    pg_name = _prepare_database()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bastion.settings")
    import django

    django.setup()
    from django.core.management import call_command

    try:
        call_command("migrate", verbosity=0)
        return _run(args, pg_name)
    finally:
        if pg_name:
            from django.db import connections

            connections.close_all()
            _drop_database(pg_name, original_url)


def _run(args: argparse.Namespace, pg_name: str | None) -> int:
    from bastion.devices.bridge import BrokerAddress, TelemetryBridge
    from bastion.devices.models import Alarm

    first_id, count = _world(args.devices)
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    bridge = TelemetryBridge(
        BrokerAddress.from_url(args.broker), prefix=prefix, qos=args.qos, batch_size=args.batch_size
    )
    bridge.start()
    publisher = subprocess.Popen(
        [sys.executable, __file__, "--messages", str(args.messages), "--qos", str(args.qos), "--broker", args.broker,
         "--seed", str(args.seed), "--fault-share", str(args.fault_share), "--flip", str(args.flip),
        "--rate", str(args.rate),
        "--publisher", prefix, str(first_id), str(count)]
    )  # fmt: skip
    batch_seconds: list[float] = []
    evaluated = 0
    first_at = last_at = 0.0
    deadline = time.monotonic() + 300
    idle_since = None
    while evaluated < args.messages and time.monotonic() < deadline:
        batch = bridge._take_batch(1.0)
        if not batch:
            # Messages lost on the way (QoS 0 under overload) must not stall the run forever.
            if publisher.poll() is not None:
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since > 5:
                    break
            continue
        idle_since = None
        if not first_at:
            first_at = time.monotonic()
        started = time.perf_counter()
        outcome = bridge.process_batch(batch)
        batch_seconds.append(time.perf_counter() - started)
        evaluated += outcome.accepted + sum(outcome.rejected.values())
        last_at = time.monotonic()
    publisher.wait(60)
    bridge.stop()
    totals = bridge.totals
    elapsed = max(last_at - first_at, 1e-9)
    batch_seconds.sort()
    rate = evaluated / elapsed
    print(
        json.dumps(
            {
                "benchmark": "telemetry",
                "database": "postgresql" if pg_name else "sqlite",
                "qos": args.qos,
                "batch_size": args.batch_size,
                "work_order_opener": __import__(
                    "bastion.devices.handover"
                ).devices.handover.has_work_order_opener(),
                "devices": count,
                "offered_rate": args.rate,
                "messages_sent": args.messages,
                "messages_lost": args.messages - evaluated,
                "messages_evaluated": evaluated,
                "accepted": totals.accepted,
                "rejected": dict(totals.rejected),
                "alarms_raised": len(totals.raised),
                "alarms_cleared": len(totals.cleared),
                "merged": totals.merged,
                "alarms_in_db": Alarm.objects.count(),
                "seconds": round(elapsed, 2),
                "messages_per_second": round(rate),
                "batches": len(batch_seconds),
                "batch_ms_p50": round(batch_seconds[len(batch_seconds) // 2] * 1000, 1)
                if batch_seconds
                else None,
                "batch_ms_p99": round(batch_seconds[int(len(batch_seconds) * 0.99)] * 1000, 1)
                if batch_seconds
                else None,
                "target_messages_per_second": 5000,
                "meets_target": rate >= 5000 and evaluated == args.messages,
                "loadavg": Path("/proc/loadavg").read_text().split()[:3],
            },
            ensure_ascii=False,
        )
    )
    return 0 if rate >= 5000 and evaluated == args.messages else 1


if __name__ == "__main__":
    sys.exit(main())
