"""The batch path's building blocks, each against a plain reference, and a dense differential run.

The batch path computes windows from radix-sorted key orders, counts distinct values with a
difference array, searches window bounds per distinct effective time and tunes the allocator;
these tests pin each piece to the obvious (slow) definition and run long, dense streams through
both paths so windows hold many payments and many repeats.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bastion.engine import Engine, EngineConfig, RuleSet
from bastion.engine import batch as batch_module
from bastion.engine.batch_features import (
    SEQUENTIAL_RANKS,
    FeatureComputer,
    category_codes,
    family_codes,
    grouped_exclusive_float_cumsum,
    previous_in_pairs,
    radix_order,
    range_max,
    sorted_search,
    window_starts,
)
from bastion.engine.batch_memory import keep_freed_memory
from bastion.engine.errors import PaymentValidationError
from bastion.engine.generator import generate

from .conftest import T0, both, engine_for, frame_of, record, with_ids

US = 1_000_000


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 300_000), max_size=400), st.integers(0, 3))
def test_radix_order_is_a_stable_argsort(values: list[int], spread: int) -> None:
    codes = np.array(values, dtype=np.int64) // (1 + spread * 1000)  # many ties when spread > 0
    assert radix_order(codes).tolist() == np.argsort(codes, kind="stable").tolist()


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.integers(-5, 60), max_size=300),
    st.lists(st.integers(-8, 70), max_size=300),
)
def test_sorted_search_by_merging_equals_a_binary_search(keys: list[int], needles: list[int]) -> None:
    """Ties between keys and needles, needles outside the keys' range, empty sides."""
    sorted_keys = np.array(sorted(keys), dtype=np.int64)
    sorted_needles = np.array(sorted(needles), dtype=np.int64)
    expected = np.searchsorted(sorted_keys, sorted_needles, side="right")
    assert sorted_search(sorted_keys, sorted_needles).tolist() == expected.tolist()


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(-1, 6)), max_size=300))
def test_previous_in_pairs_is_the_last_earlier_point_of_the_same_group_and_value(
    rows: list[tuple[int, int]],
) -> None:
    ordered = sorted(enumerate(rows), key=lambda item: (item[1][0], item[0]))  # (group, arrival)
    group = np.array([g for _, (g, _) in ordered], dtype=np.int64)
    values = np.array([v for _, (_, v) in ordered], dtype=np.int64)
    expected, last = [], {}
    for position, pair in enumerate(zip(group.tolist(), values.tolist(), strict=True)):
        expected.append(last.get(pair, -1) if pair[1] >= 0 else -1)
        if pair[1] >= 0:
            last[pair] = position
    points = np.flatnonzero(values >= 0)
    assert previous_in_pairs(group, values, points).tolist() == expected


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.integers(0, 1_000), min_size=1, max_size=300),
    st.lists(st.tuples(st.integers(0, 299), st.integers(0, 299)), max_size=100),
)
def test_range_max_equals_the_maximum_of_each_run(values: list[int], runs: list[tuple[int, int]]) -> None:
    """Runs of every length up to the whole array (all sparse-table levels), empty runs give 0."""
    size = len(values)
    bounds = [(min(a, b) % (size + 1), max(a, b) % (size + 1)) for a, b in runs]
    bounds = [(lo, max(lo, hi)) for lo, hi in bounds]
    start = np.array([lo for lo, _ in bounds], dtype=np.int64)
    end = np.array([hi for _, hi in bounds], dtype=np.int64)
    expected = [max(values[lo:hi], default=0) for lo, hi in bounds]
    assert range_max(np.array(values, dtype=np.int64), start, end).tolist() == expected


def test_radix_order_of_nothing_is_empty() -> None:
    assert radix_order(np.zeros(0, dtype=np.int64)).tolist() == []


def test_a_family_shares_one_code_space_and_nulls_are_minus_one() -> None:
    frame = pl.DataFrame({"payer": ["A", "B", "A", None], "payee": ["B", None, "C", "A"]})
    payer, payee = family_codes(frame, [("payer", "payee")])[0]
    assert payer[0] == payer[2] == payee[3]  # "A" on either side
    assert payer[1] == payee[0]  # "B"
    assert payee[2] not in payer  # "C" only ever received
    assert payer[3] == payee[1] == -1
    assert len({payer[0], payer[1], payee[2]}) == 3
    single = category_codes(pl.Series(["x", None, "x", "y"]))[0]
    assert single[0] == single[2] != single[3] and single[1] == -1


def test_families_encoded_together_equal_families_encoded_alone() -> None:
    frame = pl.DataFrame({"device": ["d1", "d2", None, "d1"], "ip": ["1", "1", "2", None]})
    together = family_codes(frame, [("device",), ("ip",)])
    assert [c.tolist() for c in together[0]] == [c.tolist() for c in family_codes(frame, [("device",)])[0]]
    assert [c.tolist() for c in together[1]] == [c.tolist() for c in family_codes(frame, [("ip",)])[0]]


def test_lower_bounds_searched_per_distinct_time_equal_a_direct_search() -> None:
    ts = np.array([0, 5, 5, 3, 9, 9, 20, 86_400 * US + 7, 2, 86_400 * US * 2], dtype=np.int64)
    frame = pl.DataFrame({"ts": ts, "amount": np.ones(len(ts), dtype=np.int64)})
    config = EngineConfig()
    computer = FeatureComputer(frame, config, {})
    e = np.maximum.accumulate(ts)
    for width in (1, 4, 5, 6, 86_400 * US):
        assert (
            computer.lower_rank(width).tolist()
            == np.searchsorted(computer.times, e - width, "right").tolist()
        )
    offset = config.utc_offset_us
    day_start = (e + offset) // (86_400 * US) * (86_400 * US) - offset
    assert (
        computer.lower_rank(-1).tolist() == np.searchsorted(computer.times, day_start - 1, "right").tolist()
    )


def test_grouped_float_sums_add_in_order_also_past_the_vectorised_ranks() -> None:
    rng = np.random.default_rng(3)
    sizes = [1, 2, SEQUENTIAL_RANKS - 1, SEQUENTIAL_RANKS, SEQUENTIAL_RANKS + 1, 3 * SEQUENTIAL_RANKS + 5, 7]
    values = rng.lognormal(10, 3, sum(sizes)) ** 2
    starts = np.repeat(np.cumsum([0, *sizes[:-1]]), sizes)
    rank = np.arange(len(values)) - starts
    expected = []
    for begin, size in zip(np.cumsum([0, *sizes[:-1]]), sizes, strict=True):
        total = 0.0
        for x in values[begin : begin + size]:
            expected.append(total)
            total = total + x
    assert grouped_exclusive_float_cumsum(values, starts, rank).tolist() == expected


def test_allocator_tuning_is_applied_once_and_reports_the_same_answer() -> None:
    first = keep_freed_memory()
    assert keep_freed_memory() is first


DENSE_RULES = (
    "distinct(payer, payee, 1h) >= 2",
    "distinct(device, payer, 1d, amount < 100) >= 2",
    "distinct(ip, payer, 10m) >= 2",
    "distinct(payee, payer, 1h) >= 2",
    'max(payer, 1h, channel == "cash") > 5000',
    "count(device, 10m, cross_border) >= 2",
    "sum(customer, 1h, amount >= 100) > 1000",
    "day_count(customer, cross_border) > 1",
    "in_count(payer, 10m) >= 2",
    "in_sum(customer, 1h) > 100",
    "is_new(payee, payer) and is_new(device, payer)",
    "history_count(payer) > 3 and unusual_hour(payer)",
)
DENSE = engine_for(
    *DENSE_RULES,
    config=EngineConfig(unusual_hour_min_history=4, novelty_horizon_seconds=1800, zscore_min_history=2),
)


@st.composite
def dense_streams(draw: Any) -> list[dict[str, Any]]:
    """Long streams over few keys: windows hold many payments, values repeat inside windows."""
    size = draw(st.integers(20, 160))
    now, out = 0, []
    for _ in range(size):
        now = max(now + draw(st.sampled_from([0, 1, 30 * US, 300 * US, 600 * US, -120 * US, 3000 * US])), 0)
        out.append(
            record(
                timestamp=T0 + timedelta(microseconds=now),
                payer_account=draw(st.sampled_from(["A", "B"])),
                payer_customer=draw(st.sampled_from(["C1", "C2"])),
                payee_account=draw(st.sampled_from(["A", "B", "X", "Y", "Z", None])),
                payee_customer=draw(st.sampled_from(["C1", "C2", None])),
                device_id=draw(st.sampled_from(["D1", "D2", "D3", None])),
                ip=draw(st.sampled_from(["10.0.0.1", "10.0.0.2", "10.0.0.3", None])),
                amount=draw(st.sampled_from(["0.50", "99.99", "100.00", "6000.00"])),
                channel=draw(st.sampled_from(["cash", "mobile"])),
                cross_border=draw(st.booleans()),
            )
        )
    return out


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(dense_streams())
def test_dense_streams_agree_with_real_time(stream: list[dict[str, Any]]) -> None:
    both(DENSE, stream)


POLICY_RULES = (
    ("E0", 'channel == "cash"', 35, None, None),
    ("E1", "channel == auth_method or channel != business_type", 5, None, None),  # two Enums
    ("E2", 'business_type in ["transfer"] and customer_type == "institution"', 30, "warning", None),
    ("E3", "amount >= 5000", 20, None, "challenge"),
    ("E4", 'auth_method in list("weak")', 50, "high_risk", "hold"),
)
POLICY_ENGINE = Engine(
    RuleSet.from_rules(
        {"id": i, "when": w, "points": p, "reason_zh": f"理由{i}", "reason_en": f"reason {i}"}
        | ({"min_level": m} if m else {})
        | ({"action": a} if a else {})
        for i, w, p, m, a in POLICY_RULES
    ),
    lists={"weak": {"none", "password"}},
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "channel": st.sampled_from(["cash", "mobile", "atm"]),
                "business_type": st.sampled_from(["transfer", "purchase"]),
                "customer_type": st.sampled_from(["natural_person", "institution"]),
                "auth_method": st.sampled_from(["password", "face", "none"]),
                "amount": st.sampled_from(["1.00", "4999.99", "5000.00"]),
            }
        ),
        min_size=1,
        max_size=40,
    )
)
def test_decision_columns_equal_the_decisions_built_like_real_time(rows: list[dict[str, Any]]) -> None:
    """The vectorised score/level/action/reason columns (what the output file holds) must equal
    the Decision objects, which the differential tests compare with real time."""
    stream = [record(timestamp=T0 + timedelta(seconds=i), **row) for i, row in enumerate(rows)]
    both(POLICY_ENGINE, stream)
    result = POLICY_ENGINE.score_frame(frame_of(with_ids(stream)))
    output = result.output()
    for decision, row in zip(result.decisions(), output.iter_rows(named=True), strict=True):
        assert row["score"] == decision.score
        assert (row["level"], row["action"]) == (decision.level, decision.action)
        assert row["required_auth"] == list(decision.required_auth)
        assert row["fired"] == [f.id for f in decision.fired]
        assert row["reasons_zh"] == [f.reason_zh for f in decision.fired]
        assert row["reasons_en"] == [f.reason_en for f in decision.fired]


def test_an_unknown_enumerated_value_names_the_field_and_its_first_row() -> None:
    stream = with_ids([record(), record(channel="fax"), record(channel="telex")])
    with pytest.raises(PaymentValidationError) as caught:
        POLICY_ENGINE.score_frame(frame_of(stream))
    assert (caught.value.field, caught.value.row) == ("channel", 1)
    assert "'fax' is not one of" in caught.value.message


def test_feature_families_on_threads_give_the_sequential_result(
    default_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = generate(3000, seed=5, days=2)
    sequential = default_engine.score_frame(frame).output()
    monkeypatch.setattr(batch_module, "FEATURE_THREADS", 2)
    assert default_engine.score_frame(frame).output().equals(sequential)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 40)), min_size=1, max_size=300),
    st.sampled_from([0, 1, 3, 12, 60]),
)
def test_window_starts_by_stepping_back_equal_a_binary_search(
    points: list[tuple[int, int]], width: int
) -> None:
    """Groups with non-decreasing ranks; short and long windows (both code paths, also the
    fallback search after SCAN_STEPS steps)."""
    m = 100
    points.sort()
    group = np.array([g for g, _ in points], dtype=np.int64)
    rank = np.array([r for _, r in points], dtype=np.int64) + 1
    time_key = group * m + rank
    needles = group * m + np.maximum(rank - 1 - width, 0)
    expected = np.searchsorted(time_key, needles, side="right")
    assert window_starts(time_key, needles).tolist() == expected.tolist()
