"""Typology rules at the edges of their parameters, on small hand-made payment frames."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from bastion.aml.typologies import (
    Alert,
    CycleParams,
    DormantParams,
    FanParams,
    ParameterError,
    PassThroughParams,
    StructuringParams,
    TypologyConfig,
    TypologyInputError,
    UnusualCashParams,
    detect,
)
from bastion.aml.typologies.synthetic import payment_frame

H = timedelta(hours=1)
D = timedelta(days=1)
US = timedelta(microseconds=1)


def run(rows: list[dict[str, Any]], code: str, **params: Any) -> list[Alert]:
    config = TypologyConfig(enabled=(code,), **params)
    return detect(payment_frame(rows), config)


def cash(i: int, at: timedelta, amount: str, who: str = "A", kind: str = "deposit") -> dict[str, Any]:
    return {"id": f"c{i}", "at": at, "amount": amount, "payer": who, "business_type": kind}


def pay(i: str, at: timedelta, amount: str, payer: str, payee: str) -> dict[str, Any]:
    return {"id": i, "at": at, "amount": amount, "payer": payer, "payee": payee}


# --- structuring -------------------------------------------------------------------------------


def test_structuring_three_cash_deposits_just_under_50000() -> None:
    rows = [cash(i, i * 5 * H, "45000.00") for i in range(3)]
    alerts = run(rows, "structuring")
    assert [a.payment_ids for a in alerts] == [("c0", "c1", "c2")]
    alert = alerts[0]
    assert alert.subject == "C:A" and alert.total == "135,000.00" and alert.total_fen == 13_500_000
    assert "min_count=3" in alert.explanation_en and "50,000.00" in alert.explanation_zh


@pytest.mark.parametrize(
    ("amount", "fires"), [("45000.00", True), ("44999.99", False), ("49999.99", True), ("50000.00", False)]
)
def test_structuring_band_edges(amount: str, fires: bool) -> None:
    rows = [cash(0, 0 * H, "46000.00"), cash(1, H, "47000.00"), cash(2, 2 * H, amount)]
    assert bool(run(rows, "structuring")) is fires


@pytest.mark.parametrize(("gap", "fires"), [(7 * D - US, True), (7 * D, False)])
def test_structuring_window_edge(gap: timedelta, fires: bool) -> None:
    rows = [cash(0, 0 * H, "46000.00"), cash(1, H, "47000.00"), cash(2, gap, "48000.00")]
    assert bool(run(rows, "structuring")) is fires


@pytest.mark.parametrize(("second", "fires"), [("30000.00", True), ("29999.99", False)])
def test_structuring_sum_must_reach_threshold(second: str, fires: bool) -> None:
    params = StructuringParams(band=0.6, min_count=2)
    rows = [cash(0, 0 * H, "20000.00"), cash(1, H, second)]
    assert bool(run(rows, "structuring", structuring=params)) is fires


def test_structuring_person_transfers_under_500000() -> None:
    rows = [pay(f"t{i}", i * D, "480000.00", "A", f"B{i}") for i in range(3)]
    alerts = run(rows, "structuring")
    assert len(alerts) == 1 and alerts[0].metrics["kind"] == "transfer"


def test_structuring_repeats_are_suppressed_within_the_window() -> None:
    rows = [cash(i, i * 5 * H, "45000.00") for i in range(6)]
    assert len(run(rows, "structuring")) == 1


# --- pass-through ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("out", "at", "fires"),
    [
        ("80000.00", 2 * H, True),
        ("79999.99", 2 * H, False),
        ("80000.00", D - US, True),
        ("80000.00", D, False),
    ],
)
def test_pass_through_ratio_and_window(out: str, at: timedelta, fires: bool) -> None:
    rows = [pay("in", 0 * H, "100000.00", "X", "M"), pay("out", at, out, "M", "Y")]
    alerts = run(rows, "pass_through")
    assert bool(alerts) is fires
    if fires:
        assert alerts[0].subject == "M" and set(alerts[0].payment_ids) == {"in", "out"}


def test_pass_through_inflow_floor_and_max_ratio() -> None:
    below = [pay("in", 0 * H, "49999.99", "X", "M"), pay("out", H, "49999.99", "M", "Y")]
    assert not run(below, "pass_through")
    too_much = [pay("in", 0 * H, "60000.00", "X", "M"), pay("out", H, "80000.00", "M", "Y")]
    assert not run(too_much, "pass_through")
    assert run(too_much, "pass_through", pass_through=PassThroughParams(max_out_ratio=1.5))


def test_pass_through_counts_cash_in_and_out() -> None:
    rows = [cash(0, 0 * H, "90000.00", "M"), cash(1, 3 * H, "88000.00", "M", "withdrawal")]
    assert run(rows, "pass_through")
    assert not run(rows, "pass_through", pass_through=PassThroughParams(include_cash=False))


# --- fan-in / fan-out --------------------------------------------------------------------------


@pytest.mark.parametrize(("payers", "fires"), [(10, True), (9, False)])
def test_fan_in_distinct_payers(payers: int, fires: bool) -> None:
    rows = [pay(f"f{i}", i * H, "2000.00", f"P{i % payers}", "T") for i in range(10)]
    alerts = run(rows, "fan_in")
    assert bool(alerts) is fires
    if fires:
        assert alerts[0].metrics["parties"] == 10 and alerts[0].total == "20,000.00"


def test_fan_out_window_edge() -> None:
    inside = [pay(f"f{i}", i * (D - US) / 9, "2000.00", "S", f"P{i}") for i in range(10)]
    assert run(inside, "fan_out")
    outside = [pay(f"f{i}", i * D / 9, "2000.00", "S", f"P{i}") for i in range(10)]
    assert not run(outside, "fan_out")
    assert run(outside, "fan_out", fan_out=FanParams(min_counterparties=9))


# --- cycles ------------------------------------------------------------------------------------


def ring(length: int, *, step: timedelta = H, amount: int = 100_000) -> list[dict[str, Any]]:
    names = [f"R{i}" for i in range(length)]
    return [
        pay(f"h{i}", i * step, f"{amount - i * 100}.00", names[i], names[(i + 1) % length])
        for i in range(length)
    ]


@pytest.mark.parametrize("length", [2, 3, 4, 5, 6])
def test_cycles_of_length_2_to_6_are_found(length: int) -> None:
    alerts = run(ring(length), "cycle")
    assert len(alerts) == 1
    assert alerts[0].metrics["length"] == length
    assert alerts[0].payment_ids == tuple(f"h{i}" for i in range(length))
    assert alerts[0].subject == ">".join(f"R{i}" for i in range(length))


def test_cycle_longer_than_max_length_is_not_reported() -> None:
    assert not run(ring(7), "cycle")
    assert run(ring(7), "cycle", cycle=CycleParams(max_length=7))


def test_time_violating_cycle_is_not_a_cycle() -> None:
    rows = ring(4)
    rows[2]["at"] = rows[1]["at"] - timedelta(minutes=1)  # third hop before the second
    assert not run(rows, "cycle")
    rows = ring(3)
    rows[2]["at"] = rows[1]["at"]  # equal times: not strictly after
    assert not run(rows, "cycle")


def test_cycle_window_and_tolerance_edges() -> None:
    assert run(ring(3, step=36 * H), "cycle")  # last hop exactly 72 h after the first
    assert not run(ring(3, step=36 * H + US), "cycle")
    rows = ring(3)
    rows[1]["amount"] = "110000.00"  # +10 % of 100,000.00 is still within tolerance
    rows[2]["amount"] = "110000.00"
    assert run(rows, "cycle")
    rows[1]["amount"] = "110000.01"
    assert not run(rows, "cycle")


# --- scatter-gather / gather-scatter -----------------------------------------------------------


def scatter(mids: int) -> list[dict[str, Any]]:
    rows = []
    for i in range(mids):
        rows.append(pay(f"a{i}", i * H, "20000.00", "S", f"M{i}"))
        rows.append(pay(f"b{i}", (i + 5) * H, "19500.00", f"M{i}", "T"))
    return rows


def test_scatter_gather_needs_three_intermediaries() -> None:
    alerts = run(scatter(3), "scatter_gather")
    assert len(alerts) == 1 and alerts[0].subject == "S=>T" and alerts[0].metrics["intermediaries"] == 3
    assert len(alerts[0].payment_ids) == 6
    assert not run(scatter(2), "scatter_gather")


def test_scatter_gather_second_leg_must_follow_the_first() -> None:
    rows = scatter(3)
    rows[-1]["at"] = rows[-2]["at"] - H  # M2 pays T before S paid M2
    assert not run(rows, "scatter_gather")


def test_gather_scatter_hub() -> None:
    rows = [pay(f"i{i}", i * H, "10000.00", f"S{i}", "HUB") for i in range(4)]
    rows += [pay(f"o{i}", (5 + i) * H, "9000.00", "HUB", f"T{i}") for i in range(4)]
    alerts = run(rows, "gather_scatter")
    assert len(alerts) == 1 and alerts[0].subject == "HUB" and len(alerts[0].payment_ids) == 8
    assert not run(rows[:-1], "gather_scatter")  # only 3 targets


# --- dormant -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("idle", "fires"), [(180 * D, True), (180 * D - US, False)])
def test_dormant_gap_edge(idle: timedelta, fires: bool) -> None:
    rows = [pay("old", 0 * D, "100.00", "A", "B")]
    rows += [pay(f"n{i}", idle + i * H, "30000.00", "A", f"X{i}") for i in range(2)]
    alerts = run(rows, "dormant", dormant=DormantParams(min_total=Decimal("60000")))
    assert bool(alerts) is fires
    if fires:
        assert alerts[0].payment_ids == ("n0", "n1") and alerts[0].metrics["gap_us"] == idle // US


def test_dormant_level_must_be_reached_within_active_window() -> None:
    rows = [pay("old", 0 * D, "100.00", "A", "B"), pay("n0", 200 * D, "30000.00", "A", "X")]
    rows.append(pay("n1", 207 * D, "30000.00", "A", "Y"))  # exactly active_window later: outside
    assert not run(rows, "dormant")


# --- unusual cash ------------------------------------------------------------------------------


def test_unusual_cash_against_own_and_peer_history() -> None:
    history = [cash(i, i * D, "1000.00", f"P{i % 3}") for i in range(10)]
    spike = [cash(99, 10 * D + H, "60000.00", "P0")]
    alerts = run(history + spike, "unusual_cash")
    assert [a.payment_ids for a in alerts] == [("c99",)]
    assert alerts[0].metrics["rule"] == "volume" and "multiple=5.0" in alerts[0].explanation_en
    # Not enough peer history yet: no baseline, no volume alert.
    assert not run([*history[:2], cash(99, 2 * D + H, "60000.00", "P0")], "unusual_cash")
    # A customer whose own cash days are large is not unusual at 60,000.
    rich = [cash(50 + i, i * D, "20000.00", "P0") for i in range(5)]
    assert not run(history + rich + spike, "unusual_cash")


@pytest.mark.parametrize(("count", "fires"), [(3, True), (2, False)])
def test_unusual_cash_frequent_large(count: int, fires: bool) -> None:
    rows = [cash(i, i * 2 * D, "50000.00", "A", "withdrawal") for i in range(count)]
    params = UnusualCashParams(min_amount=Decimal("10000000"))  # isolate the frequency rule
    alerts = run(rows, "unusual_cash", unusual_cash=params)
    assert bool(alerts) is fires
    if fires:
        assert alerts[0].metrics["rule"] == "frequent"


# --- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "name"),
    [
        (lambda: StructuringParams(band=1.5), "structuring.band"),
        (lambda: StructuringParams(cash_threshold=Decimal("1.001")), "structuring.cash_threshold"),
        (lambda: StructuringParams(cash_threshold=50000), "structuring.cash_threshold"),
        (lambda: StructuringParams(window=timedelta(0)), "structuring.window"),
        (lambda: StructuringParams(min_count=1), "structuring.min_count"),
        (lambda: PassThroughParams(min_out_ratio=0.9, max_out_ratio=0.8), "pass_through.max_out_ratio"),
        (lambda: CycleParams(max_length=9), "cycle.max_length"),
        (lambda: CycleParams(min_length=4, max_length=3), "cycle.max_length"),
        (lambda: UnusualCashParams(history=timedelta(days=1, hours=1)), "unusual_cash.history"),
        (lambda: TypologyConfig(enabled=("smurfing",)), "enabled"),
    ],
)
def test_parameter_errors_name_the_parameter(build: Any, name: str) -> None:
    with pytest.raises(ParameterError) as info:
        build()
    assert info.value.parameter == name and str(info.value).startswith(f"{name}: ")


def test_bad_input_names_the_column() -> None:
    frame = payment_frame([cash(0, H, "1.234")])
    with pytest.raises(TypologyInputError, match=r"^amount: "):
        detect(frame)
    with pytest.raises(TypologyInputError, match=r"^payer_account: "):
        detect(payment_frame([cash(0, H, "1.00")]).drop("payer_account"))
    naive = payment_frame([cash(0, H, "1.00")])
    with pytest.raises(TypologyInputError, match=r"^timestamp: "):
        detect(naive.with_columns(naive["timestamp"].dt.replace_time_zone(None)))


def test_foreign_currency_needs_a_rate() -> None:
    from bastion.aml.typologies import InputParams

    frame = payment_frame([cash(i, i * H, "6500.00") for i in range(3)])
    frame = frame.with_columns(currency=frame["id"].map_elements(lambda _: "USD", return_dtype=str))
    with pytest.raises(TypologyInputError, match=r"^currency: "):
        detect(frame, TypologyConfig(enabled=("structuring",)))
    rates = InputParams(fx_rates=(("USD", Decimal("7.10")),))  # 6,500 USD = 46,150 CNY each
    assert detect(frame, TypologyConfig(enabled=("structuring",), input=rates))


def test_package_does_not_import_django() -> None:
    import subprocess
    import sys

    code = "import sys, bastion.aml.typologies.synthetic; print(any(m.startswith('django') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
