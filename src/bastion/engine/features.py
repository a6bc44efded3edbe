"""Feature specifications: what a rule asks the state to compute.

A feature is a frozen, hashable description (``count(payer, 10m)``); the type checker creates them,
the real-time state maintains them incrementally, and the batch path computes them column-wise.
Both paths implement the semantics in docs/engine/window-semantics.md:

* every stateful feature of payment *p* looks only at payments that arrived **before** *p*;
* windows use the stream's *effective time* ``e`` (running maximum of timestamps in arrival order)
  and are half-open: a payment *q* is in the window *w* of *p* iff ``e(p) - w < e(q) <= e(p)``;
* calendar-day features group by the local date (fixed UTC offset) of the effective time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Text attributes of a payment that can key a feature or be counted distinctly.
KEY_ATTRIBUTES = (
    "payer",
    "payee",
    "customer",
    "payee_customer",
    "device",
    "ip",
    "city",
    "institution",
    "channel",
    "business_type",
    "auth_method",
)
# in_count / in_sum: the scored payment's attribute -> the attribute that holds it on inflows.
INFLOW_ATTRIBUTE = {"payer": "payee", "customer": "payee_customer"}


@dataclass(frozen=True)
class Filter:
    """A payment-level predicate that restricts which payments a feature aggregates.

    ``text`` is canonical and is what identifies the filter; ``node`` is the typed expression the
    compilers turn into a Python function and a Polars mask.
    """

    text: str
    node: Any = field(compare=False, hash=False, repr=False)


@dataclass(frozen=True)
class WindowFeature:
    """count/sum/max/distinct over a sliding window of earlier payments.

    ``data`` is the attribute that groups the stored payments; ``query`` is the attribute of the
    scored payment that picks the group (they differ only for inflows: payee vs payer).
    """

    agg: str  # "count" | "sum" | "max" | "distinct"
    data: str
    query: str
    window_us: int
    name: str
    distinct: str | None = None
    filter: Filter | None = None


@dataclass(frozen=True)
class DayFeature:
    """count/sum of earlier payments of the key on the same local calendar day."""

    agg: str  # "count" | "sum"
    key: str
    name: str
    filter: Filter | None = None


@dataclass(frozen=True)
class NoveltyFeature:
    """True when ``key`` has not paid with this value of ``attr`` within the novelty horizon."""

    attr: str
    key: str
    name: str


@dataclass(frozen=True)
class HistoryFeature:
    """Lifetime statistics of the key's earlier payments.

    ``stat`` is one of count, mean, std, zlimit (mean + k * std), since_last, unusual_hour.
    """

    stat: str
    key: str
    name: str
    k: float = 0.0


Feature = WindowFeature | DayFeature | NoveltyFeature | HistoryFeature


def feature_type(feature: Feature) -> str:
    """The rule-language type of a feature's value."""
    if isinstance(feature, WindowFeature | DayFeature):
        return "money" if feature.agg in ("sum", "max") else "int"
    if isinstance(feature, NoveltyFeature):
        return "bool"
    return {
        "count": "int",
        "mean": "money",
        "std": "money",
        "zlimit": "money",
        "since_last": "duration",
        "unusual_hour": "bool",
    }[feature.stat]


def default_value(feature: Feature) -> int | float | bool:
    """The value a feature has when its key is missing (null) on the scored payment."""
    if isinstance(feature, NoveltyFeature):
        return False
    if isinstance(feature, HistoryFeature):
        if feature.stat == "zlimit":
            return float("inf")
        if feature.stat in ("mean", "std"):
            return 0.0
        if feature.stat == "unusual_hour":
            return False
    return 0


def render_duration(micros: int) -> str:
    """Canonical duration text: the largest unit that divides it exactly (86400s -> 1d)."""
    seconds = micros // 1_000_000
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
