"""Snapshot/restore: a restarted worker continues exactly where it stopped."""

from __future__ import annotations

import json
import zlib

import pytest

from bastion.engine import Engine, Payment, SnapshotError
from bastion.engine import state as state_module
from bastion.engine.generator import generate, records

from .conftest import engine_for
from .test_differential import WIDE


def payments(engine: Engine, count: int, seed: int) -> list[Payment]:
    return [
        Payment.from_mapping(r, engine.config)
        for r in records(generate(count, seed=seed, pattern_share=0.05))
    ]


@pytest.mark.parametrize("engine_name", ["default", "wide"])
def test_scoring_after_restore_equals_uninterrupted_scoring(default_engine: Engine, engine_name: str) -> None:
    engine = default_engine if engine_name == "default" else WIDE
    stream = payments(engine, 6_000, seed=13)
    uninterrupted = engine.scorer()
    expected = [uninterrupted.score(p) for p in stream]
    worker = engine.scorer()
    got = []
    for cut in (1_000, 2_500, 2_501, 4_000, 6_000):
        while len(got) < cut:
            got.append(worker.score(stream[len(got)]))
        blob = worker.snapshot()
        worker = engine.scorer()  # a fresh process
        worker.restore(blob)
    assert got == expected
    assert worker.state.clock == uninterrupted.state.clock


def test_snapshot_is_versioned_json_not_pickle(default_engine: Engine) -> None:
    scorer = default_engine.scorer()
    for p in payments(default_engine, 300, seed=2):
        scorer.score(p)
    blob = scorer.snapshot()
    body = json.loads(zlib.decompress(blob[len(state_module.SNAPSHOT_MAGIC) :]))
    assert body["version"] == state_module.SNAPSHOT_VERSION and body["observed"] == 300


def test_restore_refuses_bad_snapshots(default_engine: Engine) -> None:
    scorer = default_engine.scorer()
    blob = scorer.snapshot()
    with pytest.raises(SnapshotError, match="not a Bastion"):
        scorer.restore(b"\x80\x04pickle")
    with pytest.raises(SnapshotError, match="corrupt"):
        scorer.restore(state_module.SNAPSHOT_MAGIC + b"garbage")
    old = state_module.SNAPSHOT_MAGIC + zlib.compress(json.dumps({"version": 0}).encode())
    with pytest.raises(SnapshotError, match="version 0"):
        scorer.restore(old)
    with pytest.raises(SnapshotError, match="different rule set"):
        engine_for("count(payer, 1h) > 1").scorer().restore(blob)
    body = json.loads(zlib.decompress(blob[len(state_module.SNAPSHOT_MAGIC) :]))
    del body["keys"]
    with pytest.raises(SnapshotError, match="malformed"):
        scorer.restore(state_module.SNAPSHOT_MAGIC + zlib.compress(json.dumps(body).encode()))


def test_sweep_never_changes_results_and_bounds_state(
    default_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream = payments(default_engine, 8_000, seed=17)
    plain = default_engine.scorer()
    expected = [plain.score(p) for p in stream]
    monkeypatch.setattr(state_module, "SWEEP_EVERY", 97)
    monkeypatch.setattr(state_module, "SWEEP_SLICES", 3)
    swept = default_engine.scorer()
    assert [swept.score(p) for p in stream] == expected
    assert swept.state.stats()["window_entries"] < plain.state.stats()["window_entries"]


def test_sweep_drops_keys_that_left_every_window() -> None:
    engine = engine_for("distinct(device, payer, 1h) > 1")
    scorer = engine.scorer()
    late = None
    for p in payments(engine, 2_000, seed=3):
        scorer.score(p)
        late = p
    assert late is not None and scorer.state.stats()["keys_device"] > 0
    # Far in the future, one payment: every device window has expired.
    late.ts += 10 * 86400 * 1_000_000
    late.device = "FRESH"
    scorer.score(late)
    scorer.state.sweep()
    assert scorer.state.stats()["keys_device"] == 1


def test_restore_refuses_window_times_beyond_64_bits(default_engine: Engine) -> None:
    """Window columns are array('q'): an out-of-range time is a malformed snapshot, not a crash."""
    scorer = default_engine.scorer()
    for p in payments(default_engine, 200, seed=5):
        scorer.score(p)
    body = json.loads(zlib.decompress(scorer.snapshot()[len(state_module.SNAPSHOT_MAGIC) :]))
    _key, saved = body["keys"]["payer"][0]
    track = next(t for t in saved[1] if t is not None and t[0])
    track[0][0] = 2**70
    with pytest.raises(SnapshotError, match="malformed"):
        scorer.restore(state_module.SNAPSHOT_MAGIC + zlib.compress(json.dumps(body).encode()))
