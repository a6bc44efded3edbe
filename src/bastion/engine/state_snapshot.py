"""Snapshot and restore of the real-time state: versioned, compressed JSON (never pickle).

Format 2 stores each record as it is laid out in memory (see ``state_plan``), after moving every
track to the stream clock and cutting the entries no window can see any more: window columns,
window heads, running sums, max queues, distinct counts, last-seen dicts, day totals, history
statistics (keys with history) or last-payment and expiry times (keys without). Restore rebuilds the same lists, so scoring after a restore equals scoring without
the interruption. Format 1 (before the compact layout) kept only window entries; it is refused
with a clear error rather than half-converted.
"""

from __future__ import annotations

import json
import sys
import zlib
from array import array
from typing import TYPE_CHECKING, Any

from .errors import SnapshotError
from .state_plan import KeyPlan, TrackPlan

if TYPE_CHECKING:
    from .state import FeatureState

SNAPSHOT_MAGIC = b"BSTNSTATE"
SNAPSHOT_VERSION = 2


def dump_state(state: FeatureState) -> bytes:
    """Encode ``state`` (its tracks already moved to the clock)."""
    keys = {
        attr: [[key, _record_to_json(plan, record)] for key, record in state.records[attr].items()]
        for attr, plan in state.keys.items()
    }
    body = {
        "version": SNAPSHOT_VERSION,
        "fingerprint": state.fingerprint(),
        "clock": state.clock,
        "observed": state.observed,
        "keys": keys,
    }
    return SNAPSHOT_MAGIC + zlib.compress(json.dumps(body, separators=(",", ":")).encode(), 6)


def load_state(state: FeatureState, blob: bytes) -> None:
    body = _load(blob)
    if body.get("fingerprint") != state.fingerprint():
        raise SnapshotError("snapshot was taken with a different rule set or engine configuration")
    try:
        clock = int(body["clock"])
        observed = int(body["observed"])
        restored = {
            attr: {
                sys.intern(str(key)): _record_from_json(plan, saved, clock)
                for key, saved in body["keys"][attr]
            }
            for attr, plan in state.keys.items()
        }
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise SnapshotError(f"snapshot is malformed: {exc}") from None
    for attr, records in state.records.items():
        # The generated code holds these dicts and queues: refill them in place.
        records.clear()
        records.update(restored[attr])
    for attr, (due_t, due_k) in state._due.items():
        at = state.keys[attr].last_at + 1
        queue = sorted((record[at], key) for key, record in state.records[attr].items())
        due_t.clear()
        due_k.clear()
        due_t.extend(due for due, _ in queue)
        due_k.extend(key for _, key in queue)
    state._clock[:] = [clock, 1, observed, 0, 0, 0, 0]  # day cache and expiry run recomputed


def _track_to_json(track: TrackPlan, t: list[Any]) -> list[Any]:
    base = t[3]
    start = t[track.longest_head] - base
    offset = base + start
    times, amounts = t[1], t[2]
    return [
        times[start:].tolist(),
        amounts[start:].tolist() if amounts is not None else None,
        [t[track.values_at + a][start:] for a in range(len(track.distinct_attrs))],
        [t[track.heads_at + j] - offset for j in range(len(track.windows))],
        [t[track.sums_at + k] for k in range(len(track.sum_windows))],
        [[i - offset for i in t[track.maxq_at + m]] for m in range(len(track.max_windows))],
        [t[track.counters_at + s] for s in range(len(track.distinct_slots))],
    ]


def _record_to_json(plan: KeyPlan, record: list[Any]) -> list[Any]:
    tracks = [None if record[t.index] is None else _track_to_json(t, record[t.index]) for t in plan.tracks]
    days = record[plan.days_at : plan.seen_at]
    seen = record[plan.seen_at : plan.history_at]
    history = None
    if plan.history:
        n, s1, s2, last, hours = record[plan.history_at : plan.history_at + 5]
        history = [n, s1, s2, last, None if hours is None else list(hours)]
    else:
        history = record[plan.last_at : plan.last_at + 2]  # last payment, expiry check due
    return [record[0], tracks, days, seen, history]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {type(value).__name__}")
    return sys.intern(value)


def _track_from_json(track: TrackPlan, saved: list[Any], clock: int) -> list[Any]:
    times, amounts, values, heads, sums, maxq, counts = saved
    if len(heads) != len(track.windows) or len(values) != len(track.distinct_attrs):
        raise ValueError("track layout differs")
    if len(sums) != len(track.sum_windows) or len(maxq) != len(track.max_windows):
        raise ValueError("track layout differs")
    if len(counts) != len(track.distinct_slots):
        raise ValueError("track layout differs")
    t: list[Any] = [
        clock,
        array("q", [int(x) for x in times]),
        array("q", [int(x) for x in amounts]) if track.keeps_amounts else None,
        0,
    ]
    t += [[_text(v) for v in column] for column in values]
    t += [int(h) for h in heads] + [int(s) for s in sums]
    t += [array("q", [int(i) for i in q]) for q in maxq] + [int(c) for c in counts]
    return t


def _record_from_json(plan: KeyPlan, saved: list[Any], clock: int) -> list[Any]:
    day, tracks, days, seen, history = saved
    record: list[Any] = [int(day)]
    for track, columns in zip(plan.tracks, tracks, strict=True):
        record.append(None if columns is None else _track_from_json(track, columns, clock))
    if len(days) != 2 * len(plan.day_filters) or len(seen) != len(plan.seen):
        raise ValueError("record layout differs")
    record += [int(x) for x in days]
    record += [None if d is None else {_text(v): int(last) for v, last in d.items()} for d in seen]
    if plan.history:
        n, s1, s2, last_e, hours = history
        record += [int(n), int(s1), float(s2), int(last_e), None if hours is None else array("I", hours)]
    else:
        last, due = history
        record += [int(last), int(due)]
    return record


def _load(blob: bytes) -> dict[str, Any]:
    if not isinstance(blob, bytes | bytearray) or not blob.startswith(SNAPSHOT_MAGIC):
        raise SnapshotError("not a Bastion engine state snapshot")
    try:
        body = json.loads(zlib.decompress(blob[len(SNAPSHOT_MAGIC) :]))
    except (zlib.error, ValueError) as exc:
        raise SnapshotError(f"snapshot is corrupt: {exc}") from None
    version = body.get("version") if isinstance(body, dict) else None
    if version != SNAPSHOT_VERSION:
        hint = (
            " (written before the compact state layout; replay the stream to rebuild it)"
            if version == 1
            else ""
        )
        raise SnapshotError(f"snapshot format version {version!r} is not {SNAPSHOT_VERSION}{hint}")
    return body
