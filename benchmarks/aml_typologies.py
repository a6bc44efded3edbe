"""AML typology benchmark: every typology in batch over generated payments, then the incremental path.

Usage: python benchmarks/aml_typologies.py [--payments 1000000] [--seed 42] [--chunk 10000]
                                           [--lateness-minutes 60] [--no-incremental]
Prints one JSON line. Data: ``bastion.engine.generator.generate`` plus the labelled cycles,
scatter-gather, gather-scatter and dormant patterns of ``bastion.aml.typologies.synthetic``.
Recall and precision are measured against the labels (``bastion.aml.typologies.evaluation``).
Batch: wall and CPU time (all threads) per typology, preparation separately. Incremental: the same
frame pushed in arrival order in chunks, with throughput, the largest state held, and a check that
its alerts equal the batch alerts. The generator's merchant accounts (``M...``) are exempt from the
account-flow typologies, as a bank's merchant settlement accounts would be.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time
from datetime import timedelta
from typing import Any

import polars as pl

from bastion.aml.typologies import IncrementalDetector, InputParams, TypologyConfig, build
from bastion.aml.typologies.detect import order, run_one
from bastion.aml.typologies.evaluation import score
from bastion.aml.typologies.prepare import prepare
from bastion.aml.typologies.synthetic import generate_with_patterns


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # Linux: KiB


def batch(frame: pl.DataFrame, config: TypologyConfig) -> tuple[dict[str, Any], list[Any]]:
    wall0, cpu0 = time.perf_counter(), time.process_time()
    prepared = prepare(frame, config.input)
    prep = {"wall_s": round(time.perf_counter() - wall0, 3), "cpu_s": round(time.process_time() - cpu0, 3)}
    per: dict[str, Any] = {}
    alerts: list[Any] = []
    for typology in build(config):
        run = run_one(typology, prepared)
        alerts += run.alerts
        per[run.code] = {
            **score(frame, run.code, run.alerts),
            "wall_s": round(run.wall_s, 3),
            "cpu_s": round(run.cpu_s, 3),
        }
    # Detection only (preparation + every typology); scoring against labels is excluded.
    total = {k: round(prep[k] + sum(v[k] for v in per.values()), 3) for k in ("wall_s", "cpu_s")}
    return {"prepare": prep, "typologies": per, "total": total, "alerts": len(alerts)}, order(alerts)


def incremental(
    frame: pl.DataFrame, config: TypologyConfig, chunk: int, lateness: timedelta
) -> tuple[dict[str, Any], list[Any]]:
    live = IncrementalDetector(config, allowed_lateness=lateness)
    out: list[Any] = []
    largest = 0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for start in range(0, frame.height, chunk):
        out += live.push(frame.slice(start, chunk))
        largest = max(largest, live.buffered_rows())
    out += live.flush()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return {
        "chunk": chunk,
        "allowed_lateness_s": int(lateness.total_seconds()),
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "payments_per_s": round(frame.height / wall),
        "payments_per_cpu_s": round(frame.height / cpu),
        "alerts": len(out),
        "late_rows": live.late_rows,
        "max_state_rows": largest,
    }, out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--payments", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--chunk", type=int, default=10_000)
    parser.add_argument("--lateness-minutes", type=int, default=60)
    parser.add_argument("--no-incremental", action="store_true")
    args = parser.parse_args()
    config = TypologyConfig(input=InputParams(exempt_prefixes=("M",)))
    load_before = [round(x, 2) for x in os.getloadavg()]
    t0 = time.perf_counter()
    frame = generate_with_patterns(args.payments, seed=args.seed)
    generate_s = round(time.perf_counter() - t0, 3)
    result, batch_alerts = batch(frame, config)
    report: dict[str, Any] = {
        "benchmark": "aml_typologies",
        "payments": frame.height,
        "generate_s": generate_s,
        "batch": result,
    }
    if not args.no_incremental:
        inc, live_alerts = incremental(frame, config, args.chunk, timedelta(minutes=args.lateness_minutes))
        inc["equals_batch"] = {a.key: a for a in live_alerts} == {a.key: a for a in batch_alerts}
        report["incremental"] = inc
    report["peak_rss_mb"] = peak_rss_mb()
    report["machine"] = {
        "nproc": os.cpu_count(),
        "polars_threads": pl.thread_pool_size(),
        "python": platform.python_version(),
        "polars": pl.__version__,
        "load_avg_before": load_before,
        "load_avg_after": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
