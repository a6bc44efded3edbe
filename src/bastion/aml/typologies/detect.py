"""Batch detection over a whole payment history, and the typology registry."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from .alerts import Alert
from .base import Typology
from .cash import UnusualCash
from .cycles import Cycles
from .dormant import Dormant
from .flows import FanIn, FanOut, GatherScatter, PassThrough
from .params import TypologyConfig, micros
from .prepare import prepare
from .scatter import ScatterGather
from .structuring import Structuring

FACTORIES: dict[str, Callable[[TypologyConfig], Typology]] = {
    "structuring": lambda c: Structuring(c.structuring),
    "pass_through": lambda c: PassThrough(c.pass_through, exempt=c.input.exempt_prefixes),
    "fan_in": lambda c: FanIn(c.fan_in, exempt=c.input.exempt_prefixes),
    "fan_out": lambda c: FanOut(c.fan_out, exempt=c.input.exempt_prefixes),
    "cycle": lambda c: Cycles(c.cycle),
    "scatter_gather": lambda c: ScatterGather(c.scatter_gather),
    "gather_scatter": lambda c: GatherScatter(c.gather_scatter, exempt=c.input.exempt_prefixes),
    "dormant": lambda c: Dormant(c.dormant),
    "unusual_cash": lambda c: UnusualCash(c.unusual_cash, utc_offset_us=micros(c.input.utc_offset)),
}


def build(config: TypologyConfig) -> list[Typology]:
    """The enabled typologies, in the registry's order (which is also the output order)."""
    return [FACTORIES[code](config) for code in FACTORIES if code in config.enabled]


def order(alerts: list[Alert]) -> list[Alert]:
    """Canonical alert order: completion time, then typology and key."""
    return sorted(alerts, key=lambda a: (a.end, a.typology, a.key))


@dataclass(frozen=True)
class TypologyRun:
    """One typology's batch result with its cost (for the benchmark)."""

    code: str
    alerts: list[Alert]
    wall_s: float
    cpu_s: float


def run_one(typology: Typology, prepared: pl.DataFrame) -> TypologyRun:
    wall, cpu = time.perf_counter(), time.process_time()
    rows = typology.select(prepared)
    alerts = typology.alerts(typology.candidates(rows, since=None), last={})
    return TypologyRun(typology.code, alerts, time.perf_counter() - wall, time.process_time() - cpu)


def detect_runs(frame: pl.DataFrame, config: TypologyConfig | None = None) -> list[TypologyRun]:
    """Every enabled typology over the whole frame, with per-typology timings."""
    config = config or TypologyConfig()
    prepared = prepare(frame, config.input)
    return [run_one(t, prepared) for t in build(config)]


def detect(frame: pl.DataFrame, config: TypologyConfig | None = None) -> list[Alert]:
    """All alerts of the enabled typologies over ``frame`` (boundary columns), in canonical order."""
    return order([a for run in detect_runs(frame, config) for a in run.alerts])


def alerts_frame(alerts: list[Alert]) -> pl.DataFrame:
    """Alerts as a Polars frame (amounts as decimal strings, as at every boundary)."""
    return pl.DataFrame(
        {
            "key": [a.key for a in alerts],
            "typology": [a.typology for a in alerts],
            "subject_type": [a.subject_type for a in alerts],
            "subject": [a.subject for a in alerts],
            "customer": [a.customer for a in alerts],
            "start": [a.start for a in alerts],
            "end": [a.end for a in alerts],
            "payment_ids": [list(a.payment_ids) for a in alerts],
            "total": [a.total for a in alerts],
            "score": [a.score for a in alerts],
            "explanation_zh": [a.explanation_zh for a in alerts],
            "explanation_en": [a.explanation_en for a in alerts],
        },
        schema={
            "key": pl.String,
            "typology": pl.String,
            "subject_type": pl.String,
            "subject": pl.String,
            "customer": pl.String,
            "start": pl.Datetime("us", "UTC"),
            "end": pl.Datetime("us", "UTC"),
            "payment_ids": pl.List(pl.String),
            "total": pl.String,
            "score": pl.Float64,
            "explanation_zh": pl.String,
            "explanation_en": pl.String,
        },
    )
