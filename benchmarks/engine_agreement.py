"""Real time vs batch on a large generated stream: every decision must be identical.

Usage: python benchmarks/engine_agreement.py [--payments 1000000] [--seed 7]
Prints one JSON line; exits 1 if any decision differs (scores, levels, actions, fired rules,
reasons and evidence are all compared).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from bastion.engine import Engine, Payment
from bastion.engine.generator import generate, records


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--payments", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    engine = Engine.default(lists={"blocklist": {"M000003"}, "watchlist": {"M000010"}})
    frame = generate(args.payments, seed=args.seed, pattern_share=0.02)
    started = time.perf_counter()
    batch = engine.score_frame(frame).decisions()
    batch_s = time.perf_counter() - started
    scorer = engine.scorer()
    mismatches, fired, first = 0, 0, None
    started = time.perf_counter()
    for record, expected in zip(records(frame), batch, strict=True):
        decision = scorer.score(Payment.from_mapping(record, engine.config))
        fired += bool(decision.fired)
        if decision != expected:
            mismatches += 1
            first = first or {"realtime": decision.to_dict(), "batch": expected.to_dict()}
    realtime_s = time.perf_counter() - started
    print(
        json.dumps(
            {
                "benchmark": "engine_agreement",
                "payments": frame.height,
                "payments_with_fired_rules": fired,
                "mismatches": mismatches,
                "first_mismatch": first,
                "seconds": {
                    "batch_incl_decision_objects": round(batch_s, 1),
                    "realtime_incl_validation": round(realtime_s, 1),
                },
            },
            ensure_ascii=False,
        )
    )
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
