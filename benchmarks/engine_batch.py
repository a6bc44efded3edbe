"""Batch risk engine benchmark: score a Parquet file of generated payments with the default rules.

Usage: python benchmarks/engine_batch.py [--payments 1000000] [--seed 42] [--runs 3]
Prints one JSON line. Each run reads, scores and writes the file in the same process: run 1 is a
fresh process (its arrays fault their memory pages in), later runs are what a batch worker that
scores file after file sees (memory reused, see docs/decisions/0116-engine-batch-allocator.md).
``first`` and ``best`` report end-to-end (read + validate + features + rules + write) and in-memory
scoring throughput, with CPU time of all threads and minor page faults.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from bastion.cli import prepare_batch_process

# Like ``bastion engine score``: allocator and feature threads set before numpy/Polars load.
prepare_batch_process()

import polars as pl  # noqa: E402

from bastion.engine import Engine  # noqa: E402
from bastion.engine.batch import FEATURE_THREADS, read_table, write_table  # noqa: E402
from bastion.engine.generator import generate  # noqa: E402


def one_run(engine: Engine, source: Path, target: Path) -> dict[str, Any]:
    stages: dict[str, float] = {}
    last: list[Any] = [time.perf_counter(), "validate"]

    def progress(stage: str, done: int, total: int) -> None:
        # Time since the previous report belongs to the stage that was running until now.
        now = time.perf_counter()
        if stage != last[1]:
            stages[last[1]] = stages.get(last[1], 0.0) + now - last[0]
            last[0], last[1] = now, stage

    usage0 = resource.getrusage(resource.RUSAGE_SELF)
    load = os.getloadavg()[0]
    wall0 = time.perf_counter()
    frame = read_table(source)
    read_s = time.perf_counter() - wall0
    last[0] = time.perf_counter()
    cpu0 = time.process_time()
    result = engine.score_frame(frame, progress=progress)
    progress("done", 0, 0)
    score_cpu_s = time.process_time() - cpu0
    score_s = time.perf_counter() - wall0 - read_s
    write_table(result.output(), target)
    total_s = time.perf_counter() - wall0
    usage1 = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "payments_per_s_end_to_end": round(frame.height / total_s),
        "payments_per_s_scoring": round(frame.height / score_s),
        # Throughput per CPU-second of scoring (all threads): what the work costs, independent of
        # how many other processes share the machine's two cores.
        "payments_per_cpu_s_scoring": round(frame.height / score_cpu_s),
        "seconds": {"read": round(read_s, 3), "score": round(score_s, 3), "total": round(total_s, 3),
                    "score_cpu": round(score_cpu_s, 3),
                    **{f"stage_{k}": round(v, 3) for k, v in stages.items()}},
        "cpu_seconds": {"user": round(usage1.ru_utime - usage0.ru_utime, 3),
                        "system": round(usage1.ru_stime - usage0.ru_stime, 3)},
        "minor_page_faults": usage1.ru_minflt - usage0.ru_minflt,
        "load_avg_before": round(load, 2),
        "levels": dict(sorted(result.frame.group_by("level").len().rows())),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--payments", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    engine = Engine.default(lists={"blocklist": {"M000003"}, "watchlist": {"M000010"}})
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "payments.parquet"
        generate(args.payments, seed=args.seed).write_parquet(source)
        runs = [one_run(engine, source, Path(tmp) / "decisions.parquet") for _ in range(max(1, args.runs))]
    best = max(runs, key=lambda r: r["payments_per_s_scoring"])
    print(
        json.dumps(
            {
                "benchmark": "engine_batch",
                "payments": args.payments,
                "rules": len(engine.rules),
                "features": len(engine.features),
                "window_features": engine.window_feature_count,
                "runs": len(runs),
                "first": runs[0],
                "best": best,
                "scoring_per_run": [r["payments_per_s_scoring"] for r in runs],
                "machine": {"nproc": os.cpu_count(), "polars_threads": pl.thread_pool_size(),
                            "feature_threads": FEATURE_THREADS,
                            "python": platform.python_version(), "load_avg_after": round(os.getloadavg()[0], 2)},
            }
        )
    )  # fmt: skip


if __name__ == "__main__":
    main()
