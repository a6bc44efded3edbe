"""Labelled multi-hop laundering patterns on top of the engine's generator (deterministic by seed).

``generate_with_patterns`` calls ``bastion.engine.generator.generate`` and inserts, by timestamp,
extra labelled payments between fresh accounts: ``cycle`` (round trips of length 2-6),
``scatter_gather``, ``gather_scatter`` and clean ``dormant`` reactivations (an account unused for
200-400 days; the engine's own dormant pattern reuses active customers, so most of its accounts
are not actually dormant in the data). A ``pattern`` column names the instance every labelled row
belongs to (for the engine's labels it is derived from the label's subject), so recall can be
measured per instance.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import polars as pl

from bastion.engine.generator import generate

MINUTE_US = 60_000_000
HOUR_US = 60 * MINUTE_US
DAY_US = 24 * HOUR_US
NEW_LABELS = ("cycle", "scatter_gather", "gather_scatter", "dormant")
# Subject of each engine label's instance: the column whose value identifies one injected pattern.
ENGINE_SUBJECT = {
    "structuring": "payer_customer",
    "fan_out": "payer_account",
    "fan_in": "payee_account",
    "dormant": "payer_account",
    "burst": "payer_account",
    "account_takeover": "payer_account",
    "large_cash": "id",
}


class _Patterns:
    """Builds rows for the new patterns; every account it uses is fresh (never in background)."""

    def __init__(self, rng: np.random.Generator, seed: int, start_us: int, days: int) -> None:
        self.rng, self.seed, self.start_us, self.days = rng, seed, start_us, days
        self.rows: list[dict[str, Any]] = []
        self.accounts = 0
        self.instance = 0

    def account(self) -> tuple[str, str]:
        self.accounts += 1
        return f"6228{self.seed % 100:02d}{self.accounts:010d}", f"CS{self.seed % 100:02d}{self.accounts:07d}"

    def moment(self, *, margin_days: int) -> int:
        day = int(self.rng.integers(1, max(2, self.days - margin_days)))
        return self.start_us + day * DAY_US + int(self.rng.integers(0, DAY_US))

    def add(self, payer: tuple[str, str], payee: tuple[str, str], ts: int, fen: int, label: str) -> None:
        self.rows.append(
            {
                "timestamp": ts,
                "amount": f"{fen // 100}.{fen % 100:02d}",
                "channel": "mobile",
                "business_type": "transfer",
                "payer_account": payer[0],
                "payer_customer": payer[1],
                "payee_account": payee[0],
                "payee_customer": payee[1],
                "customer_type": "natural_person",
                "counterparty_institution": "ICBC",
                "cross_border": False,
                "device_id": f"DS{payer[1]}",
                "ip": "10.250.0.1",
                "city": "上海",
                "auth_method": "password",
                "label": label,
                "pattern": f"{label}:#{self.instance}",
            }
        )

    def cycle(self, length: int) -> None:
        ring = [self.account() for _ in range(length)]
        ts, fen = self.moment(margin_days=4), int(self.rng.integers(2_000_000, 50_000_000))
        for hop in range(length):
            self.add(ring[hop], ring[(hop + 1) % length], ts, fen, "cycle")
            ts += int(self.rng.integers(10 * MINUTE_US, 8 * HOUR_US))
            fen = fen * (1000 - int(self.rng.integers(0, 30))) // 1000  # a fee of up to 3 % per hop

    def scatter_gather(self) -> None:
        source, target = self.account(), self.account()
        ts = self.moment(margin_days=3)
        for _ in range(int(self.rng.integers(3, 7))):
            mid, fen = self.account(), int(self.rng.integers(1_000_000, 10_000_000))
            ts += int(self.rng.integers(5 * MINUTE_US, HOUR_US))
            self.add(source, mid, ts, fen, "scatter_gather")
            later = ts + int(self.rng.integers(30 * MINUTE_US, 20 * HOUR_US))
            self.add(mid, target, later, fen * (100 - int(self.rng.integers(0, 5))) // 100, "scatter_gather")

    def gather_scatter(self) -> None:
        hub, ts = self.account(), self.moment(margin_days=3)
        total = 0
        for _ in range(int(self.rng.integers(5, 9))):
            fen = int(self.rng.integers(1_000_000, 5_000_000))
            ts += int(self.rng.integers(10 * MINUTE_US, HOUR_US))
            self.add(self.account(), hub, ts, fen, "gather_scatter")
            total += fen
        targets = int(self.rng.integers(5, 9))
        for _ in range(targets):
            ts += int(self.rng.integers(10 * MINUTE_US, 2 * HOUR_US))
            self.add(hub, self.account(), ts, total * 9 // 10 // targets, "gather_scatter")

    def dormant(self) -> None:
        sleeper = self.account()
        idle = int(self.rng.integers(200, 400)) * DAY_US
        ts = self.moment(margin_days=3)
        self.add(sleeper, self.account(), ts - idle, 20_000, "dormant")
        for i in range(int(self.rng.integers(3, 7))):
            ts += int(self.rng.integers(10 * MINUTE_US, 6 * HOUR_US))
            fen = int(self.rng.integers(2_000_000, 8_000_000))
            # A new counterparty each time: money in, then out, without forming round trips.
            pair = (self.account(), sleeper) if i % 2 == 0 else (sleeper, self.account())
            self.add(pair[0], pair[1], ts, fen, "dormant")

    def build(self, counts: dict[str, int]) -> None:
        for label in NEW_LABELS:
            for i in range(counts.get(label, 0)):
                self.instance += 1
                if label == "cycle":
                    self.cycle(2 + i % 5)
                else:
                    getattr(self, label)()


def _engine_patterns(frame: pl.DataFrame) -> pl.Expr:
    """Instance ids for the engine's labels (label + the subject column of that label)."""
    expr: Any = pl.when(pl.col("label") == "").then(pl.lit(None, dtype=pl.String))
    # rapid_in_out: the inbound row names the mule as payee (with a customer), outbound rows as payer.
    mule = pl.when(pl.col("payee_customer").is_not_null()).then("payee_account").otherwise("payer_account")
    expr = expr.when(pl.col("label") == "rapid_in_out").then(pl.lit("rapid_in_out:") + mule)
    for label, column in ENGINE_SUBJECT.items():
        expr = expr.when(pl.col("label") == label).then(pl.lit(f"{label}:") + pl.col(column))
    return expr.otherwise(pl.col("label"))


def generate_with_patterns(
    n: int,
    *,
    seed: int = 0,
    start: datetime | None = None,
    days: int = 30,
    per_pattern: int | None = None,
    **engine_options: Any,
) -> pl.DataFrame:
    """``generate(n, ...)`` plus ``per_pattern`` instances of each new pattern (default n / 20,000,
    at least 5), inserted in arrival order by timestamp; adds the ``pattern`` column."""
    start = start or datetime(2026, 1, 5, tzinfo=UTC)
    base = generate(n, seed=seed, start=start, days=days, **engine_options)
    base = base.with_columns(_engine_patterns(base).alias("pattern"))
    count = per_pattern if per_pattern is not None else max(5, n // 20_000)
    patterns = _Patterns(
        np.random.default_rng(seed + 7919),
        seed,
        (start - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1),
        days,
    )
    patterns.build({label: count for label in NEW_LABELS})
    return _merge(base, patterns.rows, seed)


def _merge(base: pl.DataFrame, rows: list[dict[str, Any]], seed: int) -> pl.DataFrame:
    """Insert rows where their timestamp falls in the base frame's (mostly sorted) arrival order."""
    if not rows:
        return base
    extra = pl.DataFrame(rows).with_columns(
        pl.from_epoch("timestamp", time_unit="us").dt.replace_time_zone("UTC"),
        pl.Series("id", [f"S{seed:04d}{i:09d}" for i in range(len(rows))]),
    )
    extra = extra.select(base.columns)
    # Effective arrival time of the base rows: running maximum of timestamps in arrival order.
    clock = base.get_column("timestamp").dt.epoch("us").cum_max().to_numpy()
    position = np.searchsorted(clock, extra.get_column("timestamp").dt.epoch("us").to_numpy(), side="right")
    keyed = pl.concat(
        [
            base.with_columns(_key=pl.int_range(0, base.height, dtype=pl.Int64) * 2 + 1),
            extra.with_columns(_key=pl.Series(position.astype(np.int64) * 2)),
        ]
    )
    return keyed.sort("_key", "timestamp", maintain_order=True).drop("_key")


def payment_frame(rows: list[dict[str, Any]], *, start: datetime | None = None) -> pl.DataFrame:
    """A boundary frame from short dicts (tests, examples, replaying a case by hand).

    Each row needs ``id``, ``at`` (a ``timedelta`` after ``start``), ``amount`` (decimal text) and
    ``payer``; optional ``payee``, ``business_type`` (default ``transfer``, or ``deposit`` /
    ``withdrawal`` for cash), ``channel`` (``cash`` for cash types, else ``mobile``) and
    ``customer_type`` (``natural_person``). Customers are the accounts' names prefixed with ``C:``.
    """
    start = start or datetime(2026, 1, 5, tzinfo=UTC)
    out: list[dict[str, Any]] = []
    for row in rows:
        business = row.get("business_type", "transfer")
        payee = row.get("payee")
        out.append(
            {
                "id": row["id"],
                "timestamp": start + row["at"],
                "amount": row["amount"],
                "channel": row.get("channel", "cash" if business in ("deposit", "withdrawal") else "mobile"),
                "business_type": business,
                "payer_account": row["payer"],
                "payer_customer": f"C:{row['payer']}",
                "payee_account": payee,
                "payee_customer": None if payee is None else f"C:{payee}",
                "customer_type": row.get("customer_type", "natural_person"),
                "label": row.get("label", ""),
            }
        )
    schema: dict[str, Any] = {
        "id": pl.String,
        "timestamp": pl.Datetime("us", "UTC"),
        "amount": pl.String,
        "channel": pl.String,
        "business_type": pl.String,
        "payer_account": pl.String,
        "payer_customer": pl.String,
        "payee_account": pl.String,
        "payee_customer": pl.String,
        "customer_type": pl.String,
        "label": pl.String,
    }
    return pl.DataFrame(out, schema=schema)
