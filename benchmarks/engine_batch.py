"""Batch risk engine benchmark: score a Parquet file of generated payments with the default rules.

Usage: python benchmarks/engine_batch.py [--payments 1000000] [--seed 42]
Prints one JSON line with end-to-end (read + validate + features + rules + write) and in-memory
scoring throughput.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import polars as pl

from bastion.engine import Engine
from bastion.engine.batch import read_table, write_table
from bastion.engine.generator import generate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--payments", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    engine = Engine.default(lists={"blocklist": {"M000003"}, "watchlist": {"M000010"}})
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "payments.parquet"
        generate(args.payments, seed=args.seed).write_parquet(source)
        load_before = os.getloadavg()[0]
        stages: dict[str, float] = {}
        last: list[object] = [time.perf_counter(), "validate"]

        def progress(stage: str, done: int, total: int) -> None:
            # Time since the previous report belongs to the stage that was running until now.
            now = time.perf_counter()
            previous = str(last[1])
            stages[previous] = stages.get(previous, 0.0) + now - float(last[0])  # type: ignore[arg-type]
            last[0], last[1] = now, stage

        wall0, cpu0 = time.perf_counter(), time.process_time()
        frame = read_table(source)
        read_s = time.perf_counter() - wall0
        last[0] = time.perf_counter()
        result = engine.score_frame(frame, progress=progress)
        progress("done", 0, 0)
        score_s = time.perf_counter() - wall0 - read_s
        write_table(result.output(), Path(tmp) / "decisions.parquet")
        total_s = time.perf_counter() - wall0
        cpu_s = time.process_time() - cpu0
        load_after = os.getloadavg()[0]
        levels = dict(result.frame.group_by("level").len().rows())
    print(
        json.dumps(
            {
                "benchmark": "engine_batch",
                "payments": frame.height,
                "rules": len(engine.rules),
                "features": len(engine.features),
                "window_features": engine.window_feature_count,
                "payments_per_s_end_to_end": round(frame.height / total_s),
                "payments_per_s_scoring": round(frame.height / score_s),
                "seconds": {"read": round(read_s, 3), "score": round(score_s, 3), "total": round(total_s, 3),
                            "cpu_all_threads": round(cpu_s, 3),
                            **{f"stage_{k}": round(v, 3) for k, v in stages.items()}},
                "levels": levels,
                "machine": {"nproc": os.cpu_count(), "polars_threads": pl.thread_pool_size(),
                            "python": platform.python_version(), "load_avg_before": round(load_before, 2),
                            "load_avg_after": round(load_after, 2)},
            }
        )
    )  # fmt: skip


if __name__ == "__main__":
    main()
