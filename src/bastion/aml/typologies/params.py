"""Tunable parameters of every typology, validated on construction.

Money parameters are ``Decimal`` yuan (CNY), as a compliance officer writes them, and are turned
into integer fen once (``*_fen`` properties) so that every comparison inside Polars is exact.
Durations are ``timedelta``; ratios are plain floats (they scale a fen sum and the product is
rounded down to whole fen before any comparison, see ``ratio_of``). A bad value raises
``ParameterError`` naming the parameter, e.g. ``structuring.band: must be in (0, 1), got 1.5``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import timedelta
from decimal import Decimal
from typing import Any, ClassVar

MICROS_PER_SECOND = 1_000_000
FEN_PER_YUAN = 100


class ParameterError(ValueError):
    """A typology parameter is out of range; ``parameter`` is its dotted name."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter


def micros(value: timedelta) -> int:
    """A duration in whole microseconds (the resolution of payment timestamps)."""
    return value // timedelta(microseconds=1)


def fen(value: Decimal) -> int:
    """Yuan to integer fen; validation already guaranteed at most two decimals."""
    return int(value * FEN_PER_YUAN)


def _check_money(owner: str, name: str, value: object) -> None:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ParameterError(f"{owner}.{name}", f"must be a finite Decimal amount in yuan, got {value!r}")
    if value <= 0:
        raise ParameterError(f"{owner}.{name}", f"must be greater than zero, got {value}")
    if value * FEN_PER_YUAN != (value * FEN_PER_YUAN).to_integral_value():
        raise ParameterError(f"{owner}.{name}", f"has more than two decimal places: {value}")


def _check_duration(owner: str, name: str, value: object) -> None:
    if not isinstance(value, timedelta) or value <= timedelta(0):
        raise ParameterError(f"{owner}.{name}", f"must be a positive timedelta, got {value!r}")
    if value % timedelta(microseconds=1):
        raise ParameterError(f"{owner}.{name}", "must be a whole number of microseconds")


def _check_count(owner: str, name: str, value: object, minimum: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ParameterError(f"{owner}.{name}", f"must be an integer >= {minimum}, got {value!r}")


def _check_ratio(owner: str, name: str, value: object, low: float, high: float, *, closed: bool) -> None:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    number = float(value) if ok else float("nan")  # type: ignore[arg-type]
    inside = low < number <= high if closed else low < number < high
    if not inside:
        bounds = f"({low}, {high}]" if closed else f"({low}, {high})"
        raise ParameterError(f"{owner}.{name}", f"must be in {bounds}, got {value!r}")


def _validate(params: object, owner: str) -> None:
    """Check every field by its declared type; counts and ratios take their bounds from ``LIMITS``.

    Decimal fields are money in yuan, timedelta fields durations, int fields counts (minimum from
    ``LIMITS``, default 1), float fields ratios (``(low, high, closed)`` in ``LIMITS``).
    """
    limits: dict[str, tuple[Any, ...]] = getattr(params, "LIMITS", {})
    for item in fields(params):  # type: ignore[arg-type]
        value, kind = getattr(params, item.name), item.type
        if kind == "Decimal":
            _check_money(owner, item.name, value)
        elif kind == "timedelta":
            _check_duration(owner, item.name, value)
        elif kind == "int":
            _check_count(owner, item.name, value, limits.get(item.name, (1,))[0])
        elif kind == "float":
            low, high, closed = limits[item.name]
            _check_ratio(owner, item.name, value, low, high, closed=closed)


@dataclass(frozen=True, kw_only=True)
class StructuringParams:
    """Several payments just under a reporting threshold by one customer whose sum crosses it.

    Thresholds follow the PBOC large-value rules: cash 50,000 CNY; natural-person transfers
    500,000 CNY; institution transfers 2,000,000 CNY. A payment is *near* a threshold when it is in
    ``[threshold * (1 - band), threshold)``. An alert needs ``min_count`` near payments of one kind
    by one customer within ``window`` whose sum reaches the threshold.
    """

    LIMITS: ClassVar[dict[str, tuple[Any, ...]]] = {"band": (0.0, 1.0, False), "min_count": (2,)}

    cash_threshold: Decimal = Decimal("50000")
    person_transfer_threshold: Decimal = Decimal("500000")
    institution_transfer_threshold: Decimal = Decimal("2000000")
    band: float = 0.10
    window: timedelta = timedelta(days=7)
    min_count: int = 3

    def __post_init__(self) -> None:
        _validate(self, "structuring")


@dataclass(frozen=True, kw_only=True)
class PassThroughParams:
    """Rapid pass-through (快进快出): an account receives at least ``min_inflow`` and sends out
    between ``min_out_ratio`` and ``max_out_ratio`` of it within ``window`` (outflows counted from
    the first inflow of the window on). Cash deposits/withdrawals count when ``include_cash``.
    """

    LIMITS: ClassVar[dict[str, tuple[Any, ...]]] = {
        "min_out_ratio": (0.0, 1.0, True),
        "max_out_ratio": (0.0, 10.0, True),
    }

    window: timedelta = timedelta(hours=24)
    min_inflow: Decimal = Decimal("50000")
    min_out_ratio: float = 0.8
    max_out_ratio: float = 1.2
    include_cash: bool = True

    def __post_init__(self) -> None:
        _validate(self, "pass_through")
        if self.max_out_ratio < self.min_out_ratio:
            raise ParameterError("pass_through.max_out_ratio", "must be >= min_out_ratio")


@dataclass(frozen=True, kw_only=True)
class FanParams:
    """Fan-in (分散转入): at least ``min_counterparties`` distinct payers into one account within
    ``window`` totalling ``min_total``; fan-out is the mirror image (distinct payees)."""

    LIMITS: ClassVar[dict[str, tuple[Any, ...]]] = {"min_counterparties": (2,)}

    window: timedelta = timedelta(hours=24)
    min_counterparties: int = 10
    min_total: Decimal = Decimal("10000")

    def __post_init__(self) -> None:
        _validate(self, "fan")


@dataclass(frozen=True, kw_only=True)
class CycleParams:
    """Round-tripping: a directed cycle of ``min_length``..``max_length`` transfers between distinct
    accounts, each hop strictly later than the previous one, the whole cycle within ``window``,
    every hop at least ``min_amount`` and within ``amount_tolerance`` of the previous hop."""

    LIMITS: ClassVar[dict[str, tuple[Any, ...]]] = {
        "min_length": (2,),
        "max_length": (2,),
        "amount_tolerance": (0.0, 1.0, False),
    }

    min_length: int = 2
    max_length: int = 6
    window: timedelta = timedelta(days=3)
    amount_tolerance: float = 0.10
    min_amount: Decimal = Decimal("10000")

    def __post_init__(self) -> None:
        _validate(self, "cycle")
        if self.max_length < self.min_length:
            raise ParameterError("cycle.max_length", "must be >= min_length")
        if self.max_length > 8:
            raise ParameterError("cycle.max_length", f"must be <= 8 (search cost), got {self.max_length}")


@dataclass(frozen=True, kw_only=True)
class ScatterGatherParams:
    """Scatter-gather: one source pays ``min_intermediaries`` distinct accounts which each pass the
    money on (second leg later, within ``amount_tolerance`` of the first) to one common target,
    all within ``window``, legs of at least ``min_amount``, gathered total at least ``min_total``."""

    LIMITS: ClassVar[dict[str, tuple[Any, ...]]] = {
        "min_intermediaries": (2,),
        "amount_tolerance": (0.0, 1.0, False),
    }

    window: timedelta = timedelta(hours=48)
    min_intermediaries: int = 3
    amount_tolerance: float = 0.10
    min_amount: Decimal = Decimal("5000")
    min_total: Decimal = Decimal("30000")

    def __post_init__(self) -> None:
        _validate(self, "scatter_gather")


@dataclass(frozen=True, kw_only=True)
class GatherScatterParams:
    """Gather-scatter: a hub receives from ``min_sources`` distinct payers and pays
    ``min_targets`` distinct payees (after its first inflow) within ``window``; inflow at least
    ``min_total`` and outflow at least ``min_out_ratio`` of it."""

    LIMITS: ClassVar[dict[str, tuple[Any, ...]]] = {
        "min_sources": (2,),
        "min_targets": (2,),
        "min_out_ratio": (0.0, 1.0, True),
    }

    window: timedelta = timedelta(hours=48)
    min_sources: int = 4
    min_targets: int = 4
    min_total: Decimal = Decimal("30000")
    min_out_ratio: float = 0.7

    def __post_init__(self) -> None:
        _validate(self, "gather_scatter")


@dataclass(frozen=True, kw_only=True)
class DormantParams:
    """An account with no activity for at least ``dormant_for`` that, within ``active_window`` of
    its first new payment, moves at least ``min_total`` in at least ``min_count`` payments."""

    LIMITS: ClassVar[dict[str, tuple[Any, ...]]] = {"min_count": (1,)}

    dormant_for: timedelta = timedelta(days=180)
    active_window: timedelta = timedelta(days=7)
    min_total: Decimal = Decimal("50000")
    min_count: int = 2

    def __post_init__(self) -> None:
        _validate(self, "dormant")


@dataclass(frozen=True, kw_only=True)
class UnusualCashParams:
    """Cash volume of a customer within ``window`` of at least ``min_amount`` and ``multiple`` times
    its typical cash day (own history over ``history`` whole local days before, and the peer group
    of the same customer type, whichever is larger); or ``frequent_count`` cash payments of at least
    ``large_amount`` each within ``frequent_window``. The volume rule needs ``min_history_days``
    days of peer cash history before the anchor's day."""

    LIMITS: ClassVar[dict[str, tuple[Any, ...]]] = {
        "multiple": (1.0, 1000.0, True),
        "frequent_count": (2,),
        "min_history_days": (1,),
    }

    window: timedelta = timedelta(hours=24)
    history: timedelta = timedelta(days=90)
    min_amount: Decimal = Decimal("50000")
    multiple: float = 5.0
    large_amount: Decimal = Decimal("50000")
    frequent_window: timedelta = timedelta(days=7)
    frequent_count: int = 3
    # Without a few days of peer history "far above typical" means nothing (start of the data).
    min_history_days: int = 3

    def __post_init__(self) -> None:
        _validate(self, "unusual_cash")
        if self.history % timedelta(days=1):
            raise ParameterError("unusual_cash.history", "must be a whole number of days")


ALL_TYPOLOGIES = (
    "structuring",
    "pass_through",
    "fan_in",
    "fan_out",
    "cycle",
    "scatter_gather",
    "gather_scatter",
    "dormant",
    "unusual_cash",
)


@dataclass(frozen=True, kw_only=True)
class InputParams:
    """How boundary rows map to cash and transfers."""

    transfer_types: tuple[str, ...] = ("transfer", "remittance")
    cash_types: tuple[str, ...] = ("deposit", "withdrawal")
    cash_channels: tuple[str, ...] = ("cash", "atm", "counter")
    non_monetary: tuple[str, ...] = ("inquiry", "information_change", "account_opening")
    # Local calendar days (peer and own cash history) are China Standard Time, as in the engine.
    utc_offset: timedelta = timedelta(hours=8)
    # Known collection/payout accounts (merchants, payroll) never become the subject of an account
    # flow alert (pass-through, fan-in/out, gather-scatter); they still count as counterparties.
    exempt_prefixes: tuple[str, ...] = ()
    fx_rates: tuple[tuple[str, Decimal], ...] = ()

    def __post_init__(self) -> None:
        for name in ("transfer_types", "cash_types", "cash_channels"):
            value = getattr(self, name)
            if not isinstance(value, tuple) or not value or not all(isinstance(v, str) for v in value):
                raise ParameterError(f"input.{name}", f"must be a non-empty tuple of strings, got {value!r}")
        for currency, rate in self.fx_rates:
            if not isinstance(rate, Decimal) or not rate.is_finite() or rate <= 0:
                raise ParameterError("input.fx_rates", f"rate for {currency} must be a positive Decimal")


@dataclass(frozen=True, kw_only=True)
class TypologyConfig:
    """Every typology's parameters plus which typologies run."""

    enabled: tuple[str, ...] = ALL_TYPOLOGIES
    input: InputParams = field(default_factory=InputParams)
    structuring: StructuringParams = field(default_factory=StructuringParams)
    pass_through: PassThroughParams = field(default_factory=PassThroughParams)
    fan_in: FanParams = field(default_factory=FanParams)
    fan_out: FanParams = field(default_factory=FanParams)
    cycle: CycleParams = field(default_factory=CycleParams)
    scatter_gather: ScatterGatherParams = field(default_factory=ScatterGatherParams)
    gather_scatter: GatherScatterParams = field(default_factory=GatherScatterParams)
    dormant: DormantParams = field(default_factory=DormantParams)
    unusual_cash: UnusualCashParams = field(default_factory=UnusualCashParams)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.enabled) - set(ALL_TYPOLOGIES))
        if unknown:
            known = ", ".join(ALL_TYPOLOGIES)
            raise ParameterError("enabled", f"unknown typologies {unknown}; known: {known}")
