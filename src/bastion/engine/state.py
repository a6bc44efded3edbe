"""Real-time feature state: incremental window, calendar-day, novelty and history aggregates.

One ``FeatureState`` serves one ordered stream of payments (one worker / partition). ``observe(p)``
returns the feature vector of ``p`` computed from the payments that arrived before it, then records
``p``. The semantics (effective time, half-open windows, ties by arrival) are specified in
docs/engine/window-semantics.md and mirrored column-wise by ``batch_features.py``.

Memory stays bounded: a window key keeps only the payments inside its longest window, novelty pairs
expire after the novelty horizon, day totals after their day, and ``sweep()`` (run every
``SWEEP_EVERY`` payments) drops keys that have fallen entirely out of every window.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from array import array
from collections.abc import Callable, Sequence
from math import sqrt
from typing import Any

from .config import MICROS_PER_DAY, MICROS_PER_HOUR, EngineConfig
from .errors import SnapshotError
from .features import DayFeature, Feature, NoveltyFeature, WindowFeature, default_value

SNAPSHOT_MAGIC = b"BSTNSTATE"
SNAPSHOT_VERSION = 1
SWEEP_EVERY = 1 << 16
COMPACT_MIN = 32
KIND_COUNT, KIND_SUM, KIND_MAX, KIND_DISTINCT = 0, 1, 2, 3

Predicate = Callable[[Any], bool]


class KeyWindow:
    """The payments of one key inside the longest window of its track, plus running aggregates.

    Entries live in parallel lists indexed from ``base`` (entries before ``base`` were compacted
    away). ``heads[j]`` is the first entry still inside window ``j``.
    """

    __slots__ = ("amounts", "base", "clock", "counters", "heads", "maxqs", "sums", "times", "values")

    def __init__(self, track: WindowTrack) -> None:
        self.times: list[int] = []
        self.amounts: list[int] = []
        self.values: list[list[str | None]] = [[] for _ in track.distinct_attrs]
        self.base = 0
        self.clock = -1
        self.heads = [0] * len(track.windows)
        self.sums = [0] * len(track.windows)
        self.maxqs: list[list[int]] = [[] for _ in track.max_windows]
        self.counters: list[dict[str, int]] = [{} for _ in track.distinct_slots]


class WindowTrack:
    """Window aggregates over payments grouped by one attribute (optionally filtered)."""

    def __init__(self, attr: str, predicate: Predicate | None, windows: Sequence[int]) -> None:
        self.attr = attr
        self.predicate = predicate
        self.windows = sorted(set(windows))
        self.longest = self.windows[-1]
        self.max_windows: list[int] = []  # window indices that need a running max
        self.distinct_attrs: list[str] = []
        self.distinct_slots: list[tuple[int, int]] = []  # (window index, attr index)
        self.keys: dict[str, KeyWindow] = {}

    def need_max(self, window: int) -> int:
        j = self.windows.index(window)
        if j not in self.max_windows:
            self.max_windows.append(j)
        return self.max_windows.index(j)

    def need_distinct(self, window: int, attr: str) -> int:
        if attr not in self.distinct_attrs:
            self.distinct_attrs.append(attr)
        slot = (self.windows.index(window), self.distinct_attrs.index(attr))
        if slot not in self.distinct_slots:
            self.distinct_slots.append(slot)
        return self.distinct_slots.index(slot)

    def evict(self, kw: KeyWindow, e: int) -> None:
        """Advance every window of ``kw`` to effective time ``e``: drop entries with time <= e - w."""
        kw.clock = e
        times, amounts, base = kw.times, kw.amounts, kw.base
        end = base + len(times)
        heads, sums = kw.heads, kw.sums
        for j, width in enumerate(self.windows):
            h = heads[j]
            threshold = e - width
            if h == end or times[h - base] > threshold:
                continue
            while h < end and times[h - base] <= threshold:
                sums[j] -= amounts[h - base]
                h += 1
            self._forget_distinct(kw, j, heads[j], h)
            heads[j] = h
        for slot, j in enumerate(self.max_windows):
            queue, h = kw.maxqs[slot], heads[j]
            while queue and queue[0] < h:
                del queue[0]
        drop = heads[-1] - base
        if drop >= COMPACT_MIN and drop * 2 >= len(times):
            del times[:drop], amounts[:drop]
            for values in kw.values:
                del values[:drop]
            kw.base += drop

    def _forget_distinct(self, kw: KeyWindow, j: int, start: int, stop: int) -> None:
        for slot, (window_index, attr_index) in enumerate(self.distinct_slots):
            if window_index != j:
                continue
            counter, values = kw.counters[slot], kw.values[attr_index]
            for i in range(start - kw.base, stop - kw.base):
                value = values[i]
                if value is not None:
                    left = counter[value] - 1
                    if left:
                        counter[value] = left
                    else:
                        del counter[value]

    def append(self, kw: KeyWindow, e: int, amount: int, payment: Any) -> None:
        kw.times.append(e)
        kw.amounts.append(amount)
        index = kw.base + len(kw.times) - 1
        sums = kw.sums
        for j in range(len(sums)):
            sums[j] += amount
        amounts, base = kw.amounts, kw.base
        for queue in kw.maxqs:
            while queue and amounts[queue[-1] - base] <= amount:
                queue.pop()
            queue.append(index)
        if self.distinct_attrs:
            current = [getattr(payment, attr) for attr in self.distinct_attrs]
            for values, value in zip(kw.values, current, strict=True):
                values.append(value)
            for slot, (_, attr_index) in enumerate(self.distinct_slots):
                value = current[attr_index]
                if value is not None:
                    counter = kw.counters[slot]
                    counter[value] = counter.get(value, 0) + 1

    def sweep(self, clock: int) -> None:
        horizon = clock - self.longest
        stale = [key for key, kw in self.keys.items() if not kw.times or kw.times[-1] <= horizon]
        for key in stale:
            del self.keys[key]


class FeatureState:
    """All incremental state of one payment stream, for a fixed list of features."""

    def __init__(
        self,
        features: Sequence[Feature],
        config: EngineConfig,
        predicates: dict[str, Predicate] | None = None,
    ) -> None:
        self.features = tuple(features)
        self.config = config
        self.clock = 0
        self.observed = 0
        self.defaults: list[Any] = [default_value(f) for f in self.features]
        predicates = predicates or {}
        self.window_tracks: dict[tuple[str, str | None], WindowTrack] = {}
        self.window_groups: list[tuple[WindowTrack, str, list[tuple[int, int, int, int]]]] = []
        self.day_tracks: dict[tuple[str, str | None], dict[str, list[int]]] = {}
        self.day_filters: dict[tuple[str, str | None], Predicate | None] = {}
        self.day_readers: list[tuple[int, tuple[str, str | None], str, int]] = []
        self.novelty: dict[tuple[str, str], dict[str, dict[str, int]]] = {}
        self.novelty_readers: list[tuple[int, tuple[str, str]]] = []
        self.history: dict[str, dict[str, list[Any]]] = {}
        self.history_hours: set[str] = set()
        self.history_readers: list[tuple[int, str, str, float]] = []
        self._plan(predicates)

    # --- planning ---------------------------------------------------------------------------
    def _plan(self, predicates: dict[str, Predicate]) -> None:
        windows: dict[tuple[str, str | None], list[int]] = {}
        for f in self.features:
            if isinstance(f, WindowFeature):
                windows.setdefault((f.data, _ftext(f)), []).append(f.window_us)
        for (attr, text), widths in windows.items():
            pred = predicates[text] if text is not None else None
            self.window_tracks[(attr, text)] = WindowTrack(attr, pred, widths)
        groups: dict[tuple[tuple[str, str | None], str], list[tuple[int, int, int, int]]] = {}
        for out, f in enumerate(self.features):
            if isinstance(f, WindowFeature):
                track = self.window_tracks[(f.data, _ftext(f))]
                j = track.windows.index(f.window_us)
                reader = self._window_reader(track, f, out, j)
                groups.setdefault(((f.data, _ftext(f)), f.query), []).append(reader)
            elif isinstance(f, DayFeature):
                key = (f.key, _ftext(f))
                self.day_tracks.setdefault(key, {})
                self.day_filters[key] = predicates[key[1]] if key[1] is not None else None
                self.day_readers.append((out, key, f.key, 1 if f.agg == "count" else 2))
            elif isinstance(f, NoveltyFeature):
                self.novelty.setdefault((f.attr, f.key), {})
                self.novelty_readers.append((out, (f.attr, f.key)))
            else:
                self.history.setdefault(f.key, {})
                if f.stat == "unusual_hour":
                    self.history_hours.add(f.key)
                self.history_readers.append((out, f.key, f.stat, f.k))
        for (track_key, query), readers in groups.items():
            self.window_groups.append((self.window_tracks[track_key], query, readers))

    @staticmethod
    def _window_reader(track: WindowTrack, f: WindowFeature, out: int, j: int) -> tuple[int, int, int, int]:
        if f.agg == "count":
            return (out, KIND_COUNT, j, 0)
        if f.agg == "sum":
            return (out, KIND_SUM, j, 0)
        if f.agg == "max":
            return (out, KIND_MAX, j, track.need_max(f.window_us))
        assert f.distinct is not None
        return (out, KIND_DISTINCT, j, track.need_distinct(f.window_us, f.distinct))

    # --- scoring path -----------------------------------------------------------------------
    def observe(self, p: Any) -> list[Any]:
        """Feature vector of ``p`` over earlier payments, then record ``p``."""
        e = p.ts if p.ts > self.clock else self.clock
        self.clock = e
        values = self.defaults.copy()
        self._read_windows(p, e, values)
        if self.day_readers:
            self._read_days(p, e, values)
        if self.novelty_readers:
            self._read_novelty(p, e, values)
        if self.history_readers:
            self._read_history(p, e, values)
        self._record(p, e)
        self.observed += 1
        if not self.observed % SWEEP_EVERY:
            self.sweep()
        return values

    def _read_windows(self, p: Any, e: int, values: list[Any]) -> None:
        for track, query, readers in self.window_groups:
            key = getattr(p, query)
            kw = track.keys.get(key) if key is not None else None
            if kw is None:
                continue
            if kw.clock != e:
                track.evict(kw, e)
            for out, kind, j, aux in readers:
                if kind == KIND_COUNT:
                    values[out] = kw.base + len(kw.times) - kw.heads[j]
                elif kind == KIND_SUM:
                    values[out] = kw.sums[j]
                elif kind == KIND_MAX:
                    queue = kw.maxqs[aux]
                    values[out] = kw.amounts[queue[0] - kw.base] if queue else 0
                else:
                    values[out] = len(kw.counters[aux])

    def _read_days(self, p: Any, e: int, values: list[Any]) -> None:
        day = (e + self.config.utc_offset_us) // MICROS_PER_DAY
        for out, track_key, attr, slot in self.day_readers:
            key = getattr(p, attr)
            if key is None:
                continue
            entry = self.day_tracks[track_key].get(key)
            if entry is not None and entry[0] == day:
                values[out] = entry[slot]

    def _read_novelty(self, p: Any, e: int, values: list[Any]) -> None:
        horizon = e - self.config.novelty_horizon_us
        for out, pair in self.novelty_readers:
            key, value = getattr(p, pair[1]), getattr(p, pair[0])
            if key is None or value is None:
                continue
            seen = self.novelty[pair].get(key)
            last = seen.get(value) if seen is not None else None
            values[out] = last is None or last <= horizon

    def _read_history(self, p: Any, e: int, values: list[Any]) -> None:
        config = self.config
        for out, attr, stat, k in self.history_readers:
            key = getattr(p, attr)
            entry = self.history[attr].get(key) if key is not None else None
            if entry is None:
                continue
            values[out] = history_value(entry, stat, k, e, p.ts, config)

    def _record(self, p: Any, e: int) -> None:
        amount = p.amount
        for track in self.window_tracks.values():
            if track.predicate is not None and not track.predicate(p):
                continue
            key = getattr(p, track.attr)
            if key is None:
                continue
            kw = track.keys.get(key)
            if kw is None:
                kw = track.keys[key] = KeyWindow(track)
                kw.clock = e
            elif kw.clock != e:
                track.evict(kw, e)
            track.append(kw, e, amount, p)
        if self.day_tracks:
            self._record_days(p, e, amount)
        for (attr, key_attr), seen_by_key in self.novelty.items():
            key, value = getattr(p, key_attr), getattr(p, attr)
            if key is not None and value is not None:
                seen = seen_by_key.get(key)
                if seen is None:
                    seen_by_key[key] = {value: e}
                else:
                    seen[value] = e
        for attr, entries in self.history.items():
            key = getattr(p, attr)
            if key is not None:
                record_history(entries, key, amount, e, p.ts, attr in self.history_hours, self.config)

    def _record_days(self, p: Any, e: int, amount: int) -> None:
        day = (e + self.config.utc_offset_us) // MICROS_PER_DAY
        for track_key, entries in self.day_tracks.items():
            predicate = self.day_filters[track_key]
            if predicate is not None and not predicate(p):
                continue
            key = getattr(p, track_key[0])
            if key is None:
                continue
            entry = entries.get(key)
            if entry is None or entry[0] != day:
                entries[key] = [day, 1, amount]
            else:
                entry[1] += 1
                entry[2] += amount

    # --- housekeeping ----------------------------------------------------------------------
    def sweep(self) -> None:
        """Drop state that can no longer influence any feature (never changes feature values)."""
        clock = self.clock
        for track in self.window_tracks.values():
            track.sweep(clock)
        today = (clock + self.config.utc_offset_us) // MICROS_PER_DAY
        for entries in self.day_tracks.values():
            for key in [k for k, entry in entries.items() if entry[0] < today]:
                del entries[key]
        horizon = clock - self.config.novelty_horizon_us
        for seen_by_key in self.novelty.values():
            for key in list(seen_by_key):
                seen = seen_by_key[key]
                for value in [v for v, last in seen.items() if last <= horizon]:
                    del seen[value]
                if not seen:
                    del seen_by_key[key]

    def stats(self) -> dict[str, int]:
        """Counts that explain memory use: keys and stored entries per kind of state."""
        return {
            "window_keys": sum(len(t.keys) for t in self.window_tracks.values()),
            "window_entries": sum(
                len(kw.times) for t in self.window_tracks.values() for kw in t.keys.values()
            ),
            "day_keys": sum(len(d) for d in self.day_tracks.values()),
            "novelty_pairs": sum(len(s) for n in self.novelty.values() for s in n.values()),
            "history_keys": sum(len(h) for h in self.history.values()),
        }

    # --- snapshot / restore ------------------------------------------------------------------
    def fingerprint(self) -> str:
        names = "\n".join(f.name for f in self.features)
        return hashlib.sha256(f"{names}\n{self.config.fingerprint()}".encode()).hexdigest()

    def snapshot(self) -> bytes:
        """A versioned, compressed JSON image of the state (no pickle: safe to load from disk)."""
        windows = []
        for track in self.window_tracks.values():
            keys = []
            for key, kw in track.keys.items():
                track.evict(kw, self.clock)
                start = kw.heads[-1] - kw.base
                rows = [kw.times[start:], kw.amounts[start:], *[v[start:] for v in kw.values]]
                if rows[0]:
                    keys.append([key, rows])
            windows.append(keys)
        body = {
            "version": SNAPSHOT_VERSION,
            "fingerprint": self.fingerprint(),
            "clock": self.clock,
            "observed": self.observed,
            "windows": windows,
            "days": [entries for entries in self.day_tracks.values()],
            "novelty": [seen for seen in self.novelty.values()],
            "history": {
                attr: {k: _history_to_json(v) for k, v in e.items()} for attr, e in self.history.items()
            },
        }
        return SNAPSHOT_MAGIC + zlib.compress(json.dumps(body, separators=(",", ":")).encode(), 6)

    def restore(self, blob: bytes) -> None:
        """Replace this state with a snapshot taken from a state with the same features and config."""
        body = _load_snapshot(blob)
        if body.get("fingerprint") != self.fingerprint():
            raise SnapshotError("snapshot was taken with a different rule set or engine configuration")
        try:
            self._restore_body(body)
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise SnapshotError(f"snapshot is malformed: {exc}") from None

    def _restore_body(self, body: dict[str, Any]) -> None:
        self.clock = int(body["clock"])
        self.observed = int(body["observed"])
        for track, keys in zip(self.window_tracks.values(), body["windows"], strict=True):
            track.keys = {}
            for key, rows in keys:
                kw = track.keys[key] = KeyWindow(track)
                row_payment = _Row(track.distinct_attrs)
                for i, (e, amount) in enumerate(zip(rows[0], rows[1], strict=True)):
                    row_payment.load([column[i] for column in rows[2:]])
                    track.append(kw, int(e), int(amount), row_payment)
                track.evict(kw, self.clock)
        for entries, saved in zip(self.day_tracks.values(), body["days"], strict=True):
            entries.clear()
            entries.update({k: [int(x) for x in v] for k, v in saved.items()})
        for seen_by_key, saved in zip(self.novelty.values(), body["novelty"], strict=True):
            seen_by_key.clear()
            seen_by_key.update({k: {v: int(t) for v, t in seen.items()} for k, seen in saved.items()})
        for attr, entries in self.history.items():
            entries.clear()
            entries.update({k: _history_from_json(v) for k, v in body["history"][attr].items()})


class _Row:
    """A stand-in payment carrying only the distinct attributes, used while restoring windows."""

    def __init__(self, attrs: list[str]) -> None:
        self._attrs = attrs

    def load(self, values: list[Any]) -> None:
        for attr, value in zip(self._attrs, values, strict=True):
            setattr(self, attr, value)


def history_value(entry: list[Any], stat: str, k: float, e: int, ts: int, config: EngineConfig) -> Any:
    """One history statistic. Float operations are spelled out so numpy can repeat them exactly."""
    n = entry[0]
    if stat == "count":
        return n
    if stat == "since_last":
        return e - entry[3]
    if stat == "unusual_hour":
        if n < config.unusual_hour_min_history:
            return False
        hour = (ts + config.utc_offset_us) // MICROS_PER_HOUR % 24
        return bool(entry[4][hour] * 100 < config.unusual_hour_max_percent * n)
    mean = float(entry[1]) / float(n)
    if stat == "mean":
        return mean
    variance = entry[2] / float(n) - mean * mean
    std = sqrt(variance) if variance > 0.0 else 0.0
    if stat == "std":
        return std
    if n < config.zscore_min_history:
        return float("inf")
    return mean + k * std


def record_history(
    entries: dict[str, list[Any]], key: str, amount: int, e: int, ts: int, hours: bool, config: EngineConfig
) -> None:
    entry = entries.get(key)
    x = float(amount)
    if entry is None:
        entry = entries[key] = [1, amount, x * x, e, array("I", bytes(96)) if hours else None]
    else:
        entry[0] += 1
        entry[1] += amount
        entry[2] = entry[2] + x * x
        entry[3] = e
    if hours:
        entry[4][(ts + config.utc_offset_us) // MICROS_PER_HOUR % 24] += 1


def _history_to_json(entry: list[Any]) -> list[Any]:
    return [entry[0], entry[1], entry[2], entry[3], None if entry[4] is None else list(entry[4])]


def _history_from_json(saved: list[Any]) -> list[Any]:
    hours = None if saved[4] is None else array("I", [int(h) for h in saved[4]])
    return [int(saved[0]), int(saved[1]), float(saved[2]), int(saved[3]), hours]


def _load_snapshot(blob: bytes) -> dict[str, Any]:
    if not blob.startswith(SNAPSHOT_MAGIC):
        raise SnapshotError("not a Bastion engine state snapshot")
    try:
        body = json.loads(zlib.decompress(blob[len(SNAPSHOT_MAGIC) :]))
    except (zlib.error, ValueError) as exc:
        raise SnapshotError(f"snapshot is corrupt: {exc}") from None
    if not isinstance(body, dict) or body.get("version") != SNAPSHOT_VERSION:
        version = body.get("version") if isinstance(body, dict) else None
        raise SnapshotError(f"snapshot format version {version!r} is not {SNAPSHOT_VERSION}")
    return body


def _ftext(f: WindowFeature | DayFeature) -> str | None:
    return f.filter.text if f.filter is not None else None
