"""Real-time risk engine benchmark: one core, default rule set, throughput, latency and memory.

Usage: python benchmarks/engine_realtime.py [--payments 300000] [--warmup 100000] [--seed 42]
Prints one JSON line. Payments are validated before timing (validation is reported separately);
the timed call is ``Scorer.score(payment)``: features, rules, decision. Throughput is measured
without per-call timers; latency in a second pass over the same payments from the same restored
state (snapshot taken after warm-up).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import time
import tracemalloc

from bastion.engine import Engine, Payment
from bastion.engine.generator import generate, records


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--payments", type=int, default=300_000)
    parser.add_argument("--warmup", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--memory-payments", type=int, default=200_000)
    parser.add_argument(
        "--gc-freeze", action="store_true", help="gc.freeze() after warm-up (deployment tip, see docs)"
    )
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})  # one core, as the target says
    engine = Engine.default(lists={"blocklist": {"M000003"}, "watchlist": {"M000010"}})
    frame = generate(args.payments, seed=args.seed)
    rows = list(records(frame))

    started = time.process_time()
    payments = [Payment.from_mapping(r, engine.config) for r in rows]
    validate_us = (time.process_time() - started) / len(payments) * 1e6
    del rows  # a worker does not keep its inputs; neither does the benchmark

    scorer = engine.scorer()
    for p in payments[: args.warmup]:
        scorer.score(p)
    warm_state = scorer.snapshot()  # both passes below start from exactly this state
    timed = payments[args.warmup :]
    if args.gc_freeze:
        gc.collect()
        gc.freeze()  # the warmed-up state is long-lived: keep the collector from re-walking it
    load_before = os.getloadavg()[0]

    # Pass 1, throughput: no per-call timers.
    score = scorer.score
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for p in timed:
        score(p)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0

    # Pass 2, latency: same payments from the same restored state, every call timed.
    scorer = engine.scorer()
    scorer.restore(warm_state)
    if args.gc_freeze:
        gc.collect()
        gc.freeze()
    score = scorer.score
    latencies = []
    cpu_latencies = []
    clock = time.perf_counter_ns
    cpu_clock = time.thread_time_ns
    for p in timed:
        c = cpu_clock()
        t = clock()
        score(p)
        latencies.append(clock() - t)
        cpu_latencies.append(cpu_clock() - c)
    load_after = os.getloadavg()[0]
    latencies.sort()
    cpu_latencies.sort()

    def pct(q: float, values: list[int] = latencies) -> float:
        return round(values[min(len(values) - 1, int(q * len(values)))] / 1000, 1)

    memory = measure_memory(engine, frame.head(args.memory_payments))
    print(
        json.dumps(
            {
                "benchmark": "engine_realtime",
                "rules": len(engine.rules),
                "features": len(engine.features),
                "window_features": engine.window_feature_count,
                "payments_timed": len(timed),
                "warmup": args.warmup,
                "payments_per_s_cpu": round(len(timed) / cpu),
                "payments_per_s_wall": round(len(timed) / wall),
                "gc_freeze": args.gc_freeze,
                "latency_us": {"p50": pct(0.5), "p90": pct(0.9), "p99": pct(0.99), "p999": pct(0.999),
                               "max": round(latencies[-1] / 1000, 1)},
                "cpu_latency_us": {"p50": pct(0.5, cpu_latencies), "p99": pct(0.99, cpu_latencies),
                                   "p999": pct(0.999, cpu_latencies), "max": round(cpu_latencies[-1] / 1000, 1)},
                "validate_us_per_payment": round(validate_us, 1),
                **memory,
                "machine": {"nproc": os.cpu_count(), "python": platform.python_version(),
                            "load_avg_before": round(load_before, 2), "load_avg_after": round(load_after, 2)},
            }
        )
    )  # fmt: skip


def measure_memory(engine: Engine, frame: object) -> dict[str, object]:
    """Bytes held by the state after a stream, per active payer account (all keys included).

    Records are created inside the traced region and dropped after scoring, so what remains
    traced is the state plus the key strings it keeps alive.
    """
    gc.collect()
    tracemalloc.start()
    state = engine.new_state()
    base = tracemalloc.get_traced_memory()[0]
    for row in frame.iter_rows(named=True):  # type: ignore[attr-defined]
        record = {k: v for k, v in row.items() if v is not None and k != "label"}
        state.observe(Payment.from_mapping(record, engine.config))
    gc.collect()
    used = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    stats = state.stats()
    accounts = stats["keys_payer"]
    all_accounts = len(set(state.records.get("payer", {})) | set(state.records.get("payee", {})))
    return {
        "memory_payments": frame.height,  # type: ignore[attr-defined]
        "state_bytes": used,
        "active_accounts": accounts,
        "state_bytes_per_account": round(used / max(1, accounts)),
        "accounts_incl_payees": all_accounts,
        "state_bytes_per_account_incl_payees": round(used / max(1, all_accounts)),
        "state_bytes_per_key": round(used / max(1, stats["keys"])),
        "state_keys": stats["keys"],
        "window_entries": stats["window_entries"],
    }


if __name__ == "__main__":
    main()
