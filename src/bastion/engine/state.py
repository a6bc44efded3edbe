"""Real-time feature state: incremental window, calendar-day, novelty and history aggregates.

One ``FeatureState`` serves one ordered stream of payments (one worker / partition). ``observe(p)``
returns the feature vector of ``p`` computed from the payments that arrived before it, then records
``p``. The semantics (effective time, half-open windows, ties by arrival order) are specified in
docs/engine/window-semantics.md and mirrored column-wise by ``batch_features.py``.

The per-payment work is generated Python (see ``state_plan.py``) specialised for the features the
active rules need. Memory stays bounded: window tracks keep only entries inside their longest
window, novelty pairs expire after the novelty horizon, and ``sweep()`` (every ``SWEEP_EVERY``
payments) trims every key and drops keys that no longer influence any feature.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from array import array
from bisect import bisect_right
from collections.abc import Callable, Mapping
from math import inf, sqrt
from typing import Any

from .config import MICROS_PER_DAY, EngineConfig
from .errors import SnapshotError
from .features import DayFeature, Feature, HistoryFeature, NoveltyFeature, WindowFeature
from .state_plan import (
    Emitter,
    KeyPlan,
    TrackPlan,
    default_literals,
    emit_append,
    emit_append_function,
    emit_evict,
    history_locals,
    plan_keys,
)

SNAPSHOT_MAGIC = b"BSTNSTATE"
SNAPSHOT_VERSION = 1
SWEEP_EVERY = 1 << 16
# The sweep runs in slices, so no single payment pays for walking the whole state (short latency
# tail). A full pass takes at least SWEEP_EVERY payments and at least SWEEP_KEY_FACTOR payments per
# key: keys in use are trimmed whenever they are read, so the sweep only reclaims keys that went
# quiet, and sweeping one record per payment would cost about 10 us (measured on 65k keys).
SWEEP_SLICES = 256
SWEEP_KEY_FACTOR = 8
ZERO_HOURS = bytes(4 * 24)


class FeatureState:
    """All incremental state of one payment stream, for a fixed list of features."""

    def __init__(
        self,
        features: tuple[Feature, ...],
        config: EngineConfig,
        filter_exprs: Mapping[str, str] | None = None,
        constants: Mapping[str, object] | None = None,
    ) -> None:
        self.features = tuple(features)
        self.config = config
        self.keys: dict[str, KeyPlan] = plan_keys(self.features)
        self.records: dict[str, dict[str, list[Any]]] = {attr: {} for attr in self.keys}
        self._clock = [0]
        self.observed = 0
        self._sweep_queue: list[tuple[str, str]] = []
        self._sweep_budget = 0
        self._sweep_period = max(1, SWEEP_EVERY // SWEEP_SLICES)
        self._filter_exprs = dict(filter_exprs or {})
        namespace = self._compile(dict(constants or {}))
        self._observe: Callable[[Any], list[Any]] = namespace["observe"]
        self._evict = {(t.attr, t.index): namespace[f"ev_{t.attr}_{t.index}"] for t in self._tracks()}
        self._append = {(t.attr, t.index): namespace[f"ap_{t.attr}_{t.index}"] for t in self._tracks()}
        self._new_track = {(t.attr, t.index): namespace[f"nt_{t.attr}_{t.index}"] for t in self._tracks()}
        self._new_record = {attr: namespace[f"new_{attr}"] for attr in self.keys}

    @property
    def clock(self) -> int:
        """The stream's effective time: the largest timestamp observed so far (UTC microseconds)."""
        return self._clock[0]

    def _tracks(self) -> list[TrackPlan]:
        return [t for plan in self.keys.values() for t in plan.tracks]

    # --- code generation ------------------------------------------------------------------
    def _compile(self, constants: dict[str, object]) -> dict[str, Any]:
        out = Emitter()
        for plan in self.keys.values():
            out(f"def new_{plan.attr}(e):")
            out(f"    return {plan.new_literal()}")
            for track in plan.tracks:
                emit_evict(out, track)
                emit_append_function(out, track)
                out(f"def nt_{track.attr}_{track.index}(e):")
                out(f"    return {track.new_literal()}")
        self._emit_observe(out)
        self.source = out.text()
        namespace: dict[str, Any] = {
            "__builtins__": {"len": len, "float": float, "bool": bool},
            "array": array,
            "ZERO_HOURS": ZERO_HOURS,
            "INF": inf,
            "CLK": self._clock,
            "sqrt": sqrt,
            "bisect_right": bisect_right,
            **history_locals(self.config),
            **constants,
            **{f"S_{attr}": records for attr, records in self.records.items()},
        }
        code = compile(self.source, "<bastion-state>", "exec")
        # Generated from the feature plan (fixed identifiers and integer constants), not from user text.
        exec(code, namespace)  # noqa: S102
        return namespace

    def _emit_observe(self, out: Emitter) -> None:
        out("def observe(p):")
        out.indent()
        out("ts = p.ts; e = CLK[0]")
        out("if ts > e:")
        out("    e = ts; CLK[0] = e")
        out("amount = p.amount; day = (e + OFF) // DAY")
        attrs = sorted(set(self.keys) | {f.query for f in self.features if isinstance(f, WindowFeature)}
                       | {f.attr for f in self.features if isinstance(f, NoveltyFeature)}
                       | {a for t in self._tracks() for a in t.distinct_attrs})  # fmt: skip
        for attr in attrs:
            out(f"k_{attr} = p.{attr}")
        for attr in self.keys:
            out(f"r_{attr} = S_{attr}.get(k_{attr}) if k_{attr} is not None else None")
        for index, default in enumerate(default_literals(self.features)):
            out(f"v{index} = {default}")
        self._emit_window_reads(out)
        self._emit_day_reads(out)
        self._emit_novelty_reads(out)
        self._emit_history_reads(out)
        for text, expr in self._filter_exprs.items():
            out(f"flt{list(self._filter_exprs).index(text)} = {expr}")
        for plan in self.keys.values():
            self._emit_update(out, plan)
        out(f"return [{', '.join(f'v{i}' for i in range(len(self.features)))}]")
        out.dedent()

    def _emit_window_reads(self, out: Emitter) -> None:
        by_record: dict[tuple[str, str], list[tuple[int, WindowFeature]]] = {}
        for index, f in enumerate(self.features):
            if isinstance(f, WindowFeature):
                by_record.setdefault((f.data, f.query), []).append((index, f))
        for (data, query), items in by_record.items():
            record = f"r_{data}"
            if data != query:
                record = f"ri_{data}_{query}"
                out(f"{record} = S_{data}.get(k_{query}) if k_{query} is not None else None")
            out(f"if {record} is not None:")
            out.indent()
            plan = self.keys[data]
            for track in plan.tracks:
                used = [(i, f) for i, f in items if _ftext(f) == track.filter_text]
                if not used:
                    continue
                out(f"t = {record}[{track.index}]")
                out("if t is not None:")
                out.indent()
                out(f"if t[0] != e: ev_{track.attr}_{track.index}(t, e)")
                for index, f in used:
                    j = track.windows.index(f.window_us)
                    if f.agg == "count":
                        out(f"v{index} = t[3] + len(t[1]) - t[{track.heads_at + j}]")
                    elif f.agg == "sum":
                        out(f"v{index} = t[{track.sums_at + track.sum_windows.index(j)}]")
                    elif f.agg == "max":
                        q = track.maxq_at + track.max_windows.index(j)
                        out(f"if t[{q}]: v{index} = t[2][t[{q}][0] - t[3]]")
                    else:
                        assert f.distinct is not None
                        slot = track.distinct_slots.index((j, track.distinct_attrs.index(f.distinct)))
                        out(f"v{index} = len(t[{track.counters_at + slot}])")
                out.dedent()
            out.dedent()

    def _emit_day_reads(self, out: Emitter) -> None:
        by_key: dict[str, list[str]] = {}
        for index, f in enumerate(self.features):
            if isinstance(f, DayFeature):
                plan = self.keys[f.key]
                slot = plan.days_at + 2 * plan.day_filters.index(_ftext(f)) + (0 if f.agg == "count" else 1)
                by_key.setdefault(f.key, []).append(f"v{index} = r_{f.key}[{slot}]")
        for key, lines in by_key.items():
            out(f"if r_{key} is not None and r_{key}[1] == day:")
            for line in lines:
                out(f"    {line}")

    def _emit_novelty_reads(self, out: Emitter) -> None:
        if any(isinstance(f, NoveltyFeature) for f in self.features):
            out("hz = e - HORIZON")
        for index, f in enumerate(self.features):
            if not isinstance(f, NoveltyFeature):
                continue
            slot = self.keys[f.key].novelty_at + self.keys[f.key].novelty_attrs.index(f.attr)
            out(f"if k_{f.key} is not None and k_{f.attr} is not None:")
            out(f"    v{index} = True")
            out(f"    if r_{f.key} is not None:")
            out(f"        d = r_{f.key}[{slot}]")
            out("        if d is not None:")
            out(f"            last = d.get(k_{f.attr})")
            out(f"            if last is not None and last > hz: v{index} = False")

    def _emit_history_reads(self, out: Emitter) -> None:
        """Inline statistics, spelled out step by step: batch_features.history repeats exactly these
        IEEE operations in the same order, so both paths produce bit-identical floats."""
        by_key: dict[str, list[tuple[int, HistoryFeature]]] = {}
        for index, f in enumerate(self.features):
            if isinstance(f, HistoryFeature):
                by_key.setdefault(f.key, []).append((index, f))
        for key, items in by_key.items():
            at = self.keys[key].history_at
            out(f"if r_{key} is not None:")
            out.indent()
            out(f"hn = r_{key}[{at}]")
            stats = {f.stat for _, f in items}
            if stats & {"mean", "std", "zlimit"}:
                out(f"hmean = float(r_{key}[{at + 1}]) / float(hn)")
                out(f"hvar = r_{key}[{at + 2}] / float(hn) - hmean * hmean")
                out("hstd = sqrt(hvar) if hvar > 0.0 else 0.0")
            for index, f in items:
                if f.stat == "count":
                    out(f"v{index} = hn")
                elif f.stat == "since_last":
                    out(f"v{index} = e - r_{key}[{at + 3}]")
                elif f.stat == "mean":
                    out(f"v{index} = hmean")
                elif f.stat == "std":
                    out(f"v{index} = hstd")
                elif f.stat == "zlimit":
                    out(f"if hn >= MIN_Z: v{index} = hmean + {f.k!r} * hstd")
                else:
                    out(
                        f"if hn >= MIN_UH: v{index} = r_{key}[{at + 4}][(ts + OFF) // HOUR % 24] * 100 < PCT_UH * hn"
                    )
            out.dedent()

    def _emit_update(self, out: Emitter, plan: KeyPlan) -> None:
        attr = plan.attr
        out(f"if k_{attr} is not None:")
        out.indent()
        out(f"r = r_{attr}")
        out("if r is None:")
        out(f"    r = S_{attr}[k_{attr}] = new_{attr}(e)")
        for track in plan.tracks:
            if track.filter_text is not None:
                out(f"if flt{list(self._filter_exprs).index(track.filter_text)}:")
                out.indent()
            out(f"t = r[{track.index}]")
            out("if t is None:")
            out(f"    t = r[{track.index}] = nt_{track.attr}_{track.index}(e)")
            out(f"elif t[0] != e: ev_{track.attr}_{track.index}(t, e)")
            emit_append(out, track, [f"k_{a}" for a in track.distinct_attrs])
            if track.filter_text is not None:
                out.dedent()
        if plan.day_filters:
            out("if r[1] != day:")
            resets = "; ".join(f"r[{plan.days_at + i}] = 0" for i in range(2 * len(plan.day_filters)))
            out(f"    r[1] = day; {resets}")
            for i, text in enumerate(plan.day_filters):
                guard = f"if flt{list(self._filter_exprs).index(text)}: " if text is not None else ""
                out(f"{guard}r[{plan.days_at + 2 * i}] += 1; r[{plan.days_at + 2 * i + 1}] += amount")
        for i, other in enumerate(plan.novelty_attrs):
            slot = plan.novelty_at + i
            out(f"if k_{other} is not None:")
            out(f"    d = r[{slot}]")
            out(f"    if d is None: r[{slot}] = {{k_{other}: e}}")
            out(f"    else: d[k_{other}] = e")
        if plan.history:
            at = plan.history_at
            out(f"x = float(amount); r[{at}] += 1; r[{at + 1}] += amount; r[{at + 2}] = r[{at + 2}] + x * x")
            out(f"r[{at + 3}] = e")
            if plan.hours:
                out(f"r[{at + 4}][(ts + OFF) // HOUR % 24] += 1")
        out.dedent()

    # --- scoring path -----------------------------------------------------------------------
    def observe(self, p: Any) -> list[Any]:
        """Feature vector of ``p`` over earlier payments, then record ``p``."""
        values = self._observe(p)
        self.observed += 1
        if not self.observed % self._sweep_period:
            self.sweep_step()
        return values

    # --- housekeeping ----------------------------------------------------------------------
    def sweep_step(self) -> None:
        """Trim the next slice of keys; a full pass over all keys takes SWEEP_SLICES steps."""
        if not self._sweep_queue:
            self._sweep_queue = [(attr, key) for attr, records in self.records.items() for key in records]
            self._sweep_queue.reverse()
            self._sweep_budget = len(self._sweep_queue) // SWEEP_SLICES + 1
            pass_length = max(SWEEP_EVERY, SWEEP_KEY_FACTOR * len(self._sweep_queue))
            self._sweep_period = max(1, pass_length // SWEEP_SLICES)
        clock = self.clock
        today = (clock + self.config.utc_offset_us) // MICROS_PER_DAY
        horizon = clock - self.config.novelty_horizon_us
        for _ in range(min(self._sweep_budget, len(self._sweep_queue))):
            attr, key = self._sweep_queue.pop()
            record = self.records[attr].get(key)
            if record is not None:
                self._sweep_record(attr, key, record, clock, today, horizon)

    def _sweep_record(
        self, attr: str, key: str, record: list[Any], clock: int, today: int, horizon: int
    ) -> None:
        plan = self.keys[attr]
        live = self._trim(plan, record, clock, horizon)
        today_totals = plan.day_filters and record[1] == today
        if not live and not plan.history and not today_totals:
            del self.records[attr][key]

    def sweep(self) -> None:
        """Trim state that can no longer influence any feature (never changes feature values)."""
        clock = self.clock
        today = (clock + self.config.utc_offset_us) // MICROS_PER_DAY
        horizon = clock - self.config.novelty_horizon_us
        for attr, records in self.records.items():
            for key in list(records):
                self._sweep_record(attr, key, records[key], clock, today, horizon)

    def _trim(self, plan: KeyPlan, record: list[Any], clock: int, horizon: int) -> bool:
        """Evict one record to ``clock``; return True if anything in it is still live."""
        live = False
        for track in plan.tracks:
            t = record[track.index]
            if t is None:
                continue
            self._evict[(track.attr, track.index)](t, clock)
            if t[track.heads_at + len(track.windows) - 1] - t[3] >= len(t[1]):
                record[track.index] = None
            else:
                live = True
        for i in range(len(plan.novelty_attrs)):
            seen = record[plan.novelty_at + i]
            if seen is None:
                continue
            for value in [v for v, last in seen.items() if last <= horizon]:
                del seen[value]
            if seen:
                live = True
            else:
                record[plan.novelty_at + i] = None
        return live

    def stats(self) -> dict[str, int]:
        """Counts that explain memory use."""
        entries = novelty = 0
        for attr, plan in self.keys.items():
            for record in self.records[attr].values():
                entries += sum(len(record[t.index][1]) for t in plan.tracks if record[t.index] is not None)
                novelty += sum(len(record[plan.novelty_at + i] or ()) for i in range(len(plan.novelty_attrs)))
        return {
            "keys": sum(len(r) for r in self.records.values()),
            "window_entries": entries,
            "novelty_pairs": novelty,
            **{f"keys_{attr}": len(records) for attr, records in self.records.items()},
        }

    # --- snapshot / restore ------------------------------------------------------------------
    def fingerprint(self) -> str:
        names = "\n".join(f.name for f in self.features)
        return hashlib.sha256(f"{names}\n{self.config.fingerprint()}".encode()).hexdigest()

    def snapshot(self) -> bytes:
        """A versioned, compressed JSON image of the state (no pickle: safe to load from disk)."""
        keys = {attr: [[key, self._record_to_json(plan, rec)] for key, rec in self.records[attr].items()]
                for attr, plan in self.keys.items()}  # fmt: skip
        body = {
            "version": SNAPSHOT_VERSION,
            "fingerprint": self.fingerprint(),
            "clock": self.clock,
            "observed": self.observed,
            "keys": keys,
        }
        return SNAPSHOT_MAGIC + zlib.compress(json.dumps(body, separators=(",", ":")).encode(), 6)

    def _record_to_json(self, plan: KeyPlan, record: list[Any]) -> list[Any]:
        tracks: list[list[Any] | None] = []
        for track in plan.tracks:
            t = record[track.index]
            if t is None:
                tracks.append(None)
                continue
            self._evict[(track.attr, track.index)](t, self.clock)
            start = t[track.heads_at + len(track.windows) - 1] - t[3]
            columns = [t[1][start:], t[2][start:] if track.keeps_amounts else []]
            columns += [t[track.values_at + a][start:] for a in range(len(track.distinct_attrs))]
            tracks.append(columns)
        days = record[plan.days_at : plan.novelty_at]
        novelty = record[plan.novelty_at : plan.history_at]
        history = None
        if plan.history:
            n, s1, s2, last, hours = record[plan.history_at : plan.history_at + 5]
            history = [n, s1, s2, last, None if hours is None else list(hours)]
        return [record[0], record[1], tracks, days, novelty, history]

    def restore(self, blob: bytes) -> None:
        """Replace this state with a snapshot taken from a state with the same features and config."""
        body = _load_snapshot(blob)
        if body.get("fingerprint") != self.fingerprint():
            raise SnapshotError("snapshot was taken with a different rule set or engine configuration")
        try:
            self._clock[0] = int(body["clock"])
            self.observed = int(body["observed"])
            for attr, plan in self.keys.items():
                records = self.records[attr]
                records.clear()
                for key, saved in body["keys"][attr]:
                    records[str(key)] = self._record_from_json(plan, saved)
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise SnapshotError(f"snapshot is malformed: {exc}") from None

    def _record_from_json(self, plan: KeyPlan, saved: list[Any]) -> list[Any]:
        last, day, tracks, days, novelty, history = saved
        record: list[Any] = self._new_record[plan.attr](int(last))
        record[1] = int(day)
        for track, columns in zip(plan.tracks, tracks, strict=True):
            if columns is None:
                continue
            t = self._new_track[(track.attr, track.index)](self.clock)
            append = self._append[(track.attr, track.index)]
            amounts = columns[1] if track.keeps_amounts else [0] * len(columns[0])
            for i, (e, amount) in enumerate(zip(columns[0], amounts, strict=True)):
                append(t, int(e), int(amount), [column[i] for column in columns[2:]])
            self._evict[(track.attr, track.index)](t, self.clock)
            record[track.index] = t
        record[plan.days_at : plan.novelty_at] = [int(x) for x in days]
        record[plan.novelty_at : plan.history_at] = [
            None if seen is None else {str(v): int(t) for v, t in seen.items()} for seen in novelty
        ]
        if plan.history:
            n, s1, s2, last_e, hours = history
            record[plan.history_at : plan.history_at + 5] = [
                int(n),
                int(s1),
                float(s2),
                int(last_e),
                None if hours is None else array("I", [int(h) for h in hours]),
            ]
        return record


def _load_snapshot(blob: bytes) -> dict[str, Any]:
    if not isinstance(blob, bytes | bytearray) or not blob.startswith(SNAPSHOT_MAGIC):
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
