"""The documented window semantics (docs/engine/window-semantics.md), checked on both paths.

Every test runs the real-time state and the batch computation and requires identical results.
"""

from __future__ import annotations

from datetime import timedelta

from bastion.engine import EngineConfig

from .conftest import T0, at, engine_for, feature, record, with_ids

MIN = 60
HOUR = 3600
DAY = 86400


def test_window_counts_only_earlier_payments() -> None:
    engine = engine_for("count(payer, 10m) > 100")
    assert feature(engine, [at(0), at(10), at(20)], "count(payer, 10m)") == [0, 1, 2]


def test_window_is_half_open_at_the_lower_edge() -> None:
    engine = engine_for("count(payer, 10m) > 100")
    one_us = 1e-6
    records = [at(0), at(10 * MIN), at(10 * MIN - one_us + 10 * MIN)]
    # The 2nd payment is exactly 10 minutes after the 1st: the 1st is out (t - w is excluded).
    # The 3rd is 1 microsecond less than 10 minutes after the 2nd: the 2nd is in.
    assert feature(engine, records, "count(payer, 10m)") == [0, 0, 1]


def test_ties_count_earlier_arrivals_only() -> None:
    engine = engine_for("count(payer, 1h) > 100", "sum(payer, 1h) > 100")
    records = [at(0, amount="1.00"), at(0, amount="2.00"), at(0, amount="4.00")]
    assert feature(engine, records, "count(payer, 1h)") == [0, 1, 2]
    assert feature(engine, records, "sum(payer, 1h)") == [0, 100, 300]


def test_late_arrival_takes_the_stream_clock() -> None:
    """A payment stamped earlier than one already seen is placed at the stream's effective time."""
    engine = engine_for("count(payer, 10m) > 100")
    records = [at(0), at(30 * MIN), at(25 * MIN), at(39 * MIN)]
    # 3rd arrives late (stamped 25m, clock at 30m): it sees the 30m payment (same effective time)
    # and the 4th (39m) still sees both the 30m and the late one (effective 30m) within 10m.
    assert feature(engine, records, "count(payer, 10m)") == [0, 0, 1, 2]


def test_late_arrival_keeps_its_own_hour_for_time_of_day_rules() -> None:
    engine = engine_for("hour < 6")
    late = at(-10 * HOUR)  # 23:00 Beijing the day before, arriving after a 17:00 payment
    _, decisions = __import__("tests.engine.conftest", fromlist=["realtime"]).realtime(
        engine, [dict(at(0), id="a"), dict(late, id="b")]
    )
    assert [d.score for d in decisions] == [0, 0]


def test_sum_max_and_distinct() -> None:
    engine = engine_for("sum(payer, 1h) > 0", "max(payer, 1h) > 0", "distinct(payer, payee, 1h) > 0")
    records = [
        at(0, amount="5.00", payee_account="X"),
        at(60, amount="7.50", payee_account="Y"),
        at(120, amount="1.00", payee_account="X"),
        at(HOUR + 61, amount="2.00", payee_account="Z"),  # the first two are now out of the window
        at(HOUR + 62, amount="3.00", payee_account=None),
    ]
    assert feature(engine, records, "sum(payer, 1h)") == [0, 500, 1250, 100, 300]
    assert feature(engine, records, "max(payer, 1h)") == [0, 500, 750, 100, 200]
    assert feature(engine, records, "distinct(payer, payee, 1h)") == [0, 1, 2, 1, 2]


def test_missing_key_gives_defaults_and_is_not_stored() -> None:
    engine = engine_for("count(device, 1h) > 5", "is_new(device, payer)")
    records = [at(0, device_id=None), at(1, device_id="D9"), at(2, device_id=None), at(3, device_id="D9")]
    assert feature(engine, records, "count(device, 1h)") == [0, 0, 0, 1]
    assert feature(engine, records, "is_new(device, payer)") == [False, True, False, False]


def test_filtered_windows_store_only_matching_payments() -> None:
    engine = engine_for('count(customer, 1d, channel == "cash") > 9')
    records = [at(0, channel="cash"), at(1, channel="mobile"), at(2, channel="cash"), at(3, channel="atm")]
    assert feature(engine, records, 'count(customer, 1d, channel == "cash")') == [0, 1, 1, 2]


def test_calendar_day_uses_beijing_midnight() -> None:
    engine = engine_for("day_sum(customer) > 0", "day_count(customer) > 0")
    midnight_beijing = T0.replace(hour=16)  # 16:00 UTC = 00:00 +08:00
    records = [
        record(timestamp=midnight_beijing - timedelta(microseconds=1), amount="1.00"),
        record(timestamp=midnight_beijing, amount="2.00"),
        record(timestamp=midnight_beijing + timedelta(hours=1), amount="4.00"),
    ]
    assert feature(engine, records, "day_sum(customer)") == [0, 0, 200]
    assert feature(engine, records, "day_count(customer)") == [0, 0, 1]


def test_day_follows_a_custom_offset() -> None:
    engine = engine_for("day_count(customer) > 0", config=EngineConfig(utc_offset_minutes=0))
    midnight_utc = T0.replace(day=3, hour=0)
    records = [record(timestamp=midnight_utc - timedelta(seconds=1)), record(timestamp=midnight_utc)]
    assert feature(engine, records, "day_count(customer)") == [0, 0]


def test_inflow_sees_payments_received_by_the_payer() -> None:
    engine = engine_for("in_sum(payer, 1d) > 0", "in_count(payer, 1d) > 0")
    records = [
        at(0, payer_account="S1", payer_customer="CS", payee_account="A1", amount="300.00"),
        at(60, payer_account="S2", payer_customer="CS2", payee_account="A1", amount="200.00"),
        at(120, payer_account="A1", payee_account="Z", amount="450.00"),
        at(DAY + 59, payer_account="A1", payee_account="Z", amount="1.00"),
        at(DAY + 60, payer_account="A1", payee_account="Z", amount="1.00"),
    ]
    assert feature(engine, records, "in_sum(payer, 1d)") == [0, 0, 50000, 20000, 0]
    assert feature(engine, records, "in_count(payer, 1d)") == [0, 0, 2, 1, 0]


def test_self_transfer_does_not_see_itself() -> None:
    engine = engine_for("in_count(payer, 1h) > 0")
    records = [at(0, payer_account="A1", payee_account="A1"), at(1, payer_account="A1", payee_account="A1")]
    assert feature(engine, records, "in_count(payer, 1h)") == [0, 1]


def test_novelty_horizon() -> None:
    engine = engine_for("is_new(device, payer)", config=EngineConfig(novelty_horizon_seconds=DAY))
    records = [at(0), at(DAY), at(2 * DAY - 1), at(2 * DAY - 1, device_id="D2")]
    # Last seen exactly one horizon ago counts as new again (half-open, like windows).
    assert feature(engine, records, "is_new(device, payer)") == [True, True, False, True]


def test_history_statistics_and_limits() -> None:
    engine = engine_for(
        "history_count(payer) > 99",
        "mean_amount(payer) > 0",
        "std_amount(payer) > 0",
        "zscore_limit(payer, 2) > 0",
    )
    amounts = ["10.00", "20.00", "30.00", "40.00", "50.00", "60.00"]
    records = [at(i * 60, amount=a) for i, a in enumerate(amounts)]
    counts = feature(engine, records, "history_count(payer)")
    means = feature(engine, records, "mean_amount(payer)")
    limits = feature(engine, records, "zscore_limit(payer, 2)")
    assert counts == [0, 1, 2, 3, 4, 5]
    assert means[1:] == [1000.0, 1500.0, 2000.0, 2500.0, 3000.0]
    assert limits[:5] == [float("inf")] * 5  # fewer than 5 earlier payments: no limit
    # Population standard deviation of 1000..5000 fen is sqrt(2,000,000).
    assert abs(limits[5] - (3000.0 + 2 * 2_000_000**0.5)) < 1e-6


def test_since_last_and_dormancy() -> None:
    engine = engine_for("dormant(payer, 180d)", "since_last(payer) > 1s")
    records = [at(0), at(10), at(10 + 180 * DAY), at(11 + 180 * DAY)]
    assert feature(engine, records, "since_last(payer)") == [0, 10_000_000, 180 * DAY * 1_000_000, 1_000_000]
    _, decisions = __import__("tests.engine.conftest", fromlist=["realtime"]).realtime(
        engine, [dict(r, id=f"p{i}") for i, r in enumerate(records)]
    )
    assert ["R0" in [f.id for f in d.fired] for d in decisions] == [False, False, True, False]


def test_unusual_hour_needs_history() -> None:
    engine = engine_for("unusual_hour(customer)", config=EngineConfig(unusual_hour_min_history=4))
    daytime = [at(i * DAY) for i in range(4)]  # 17:00 Beijing
    night = at(4 * DAY + 10 * HOUR)  # 03:00 Beijing
    assert feature(engine, [*daytime, night, at(5 * DAY)], "unusual_hour(customer)") == [
        False, False, False, False, True, False,
    ]  # fmt: skip


def test_expired_entries_leave_running_sums_exact() -> None:
    engine = engine_for("sum(payer, 1m) > 0", "count(payer, 1m) > 0", "max(payer, 1m) > 0")
    records = [at(i * 7, amount=f"{(i * 37) % 101 + 1}.{i % 100:02d}") for i in range(200)]
    both(engine, records)  # long stream with continuous expiry and compaction


def both(engine, records):  # type: ignore[no-untyped-def]
    from .conftest import both as run

    return run(engine, records)


def test_reused_records_of_dropped_keys_start_empty() -> None:
    # IPs, devices and payees come back hours after their windows emptied: the state drops their
    # records and gives the lists to the next new key (pools); values must be those of a new key.
    engine = engine_for(
        "distinct(ip, payer, 1h) > 100",
        "count(device, 10m) > 100",
        "sum(payee, 1h) > 0",
        "distinct(payee, payer, 1h) > 100",
        "max(payee, 1h) > 0",
    )
    records = [
        at(i * 10 * MIN, amount=f"{(i * 37) % 101 + 1}.00", payer_account=f"A{i % 3}",
           ip=f"10.0.{i % 37}.1", device_id=f"D{i % 29}", payee_account=f"B{i % 23}")
        for i in range(400)
    ]  # fmt: skip
    both(engine, records)
    scorer = engine.scorer()
    for r in with_ids(records):
        scorer.score_record(r)
    state = scorer.state
    assert state.stats()["keys_ip"] < 37  # dropped ...
    assert any(state._pools[attr] for attr in ("ip", "device", "payee"))  # ... and kept for reuse
