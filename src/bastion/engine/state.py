"""Real-time feature state: incremental window, calendar-day, novelty and history aggregates.

One ``FeatureState`` serves one ordered stream of payments (one worker / partition). ``observe(p)``
returns the feature vector of ``p`` computed from the payments that arrived before it, then records
``p``; ``score(p, lists)`` does the same and also evaluates the rules in the same generated
function, building the feature vector only when a rule fires. The semantics (effective time,
half-open windows, ties by arrival order) are specified in docs/engine/window-semantics.md and
mirrored column-wise by ``batch_features.py``.

The per-payment work is generated Python (see ``state_plan.py``) specialised for the features the
active rules need. Memory stays bounded: window tracks keep only entries inside their longest
window, last-seen values expire after their retention, and an incremental sweep trims every key
and drops keys that no longer influence any feature. Text values kept in the state are interned
(``sys.intern``), so each account, device or IP string is held once however often it is stored.
"""

from __future__ import annotations

import hashlib
import re
import sys
from array import array
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from math import inf, sqrt
from typing import Any

from .config import MICROS_PER_DAY, EngineConfig
from .features import DayFeature, Feature, HistoryFeature, NoveltyFeature, WindowFeature
from .state_plan import (
    Emitter,
    KeyPlan,
    TrackPlan,
    default_literals,
    emit_append,
    emit_evict,
    emit_evict_body,
    history_locals,
    plan_keys,
)
from .state_snapshot import SNAPSHOT_MAGIC, SNAPSHOT_VERSION, dump_state, load_state

__all__ = ["SNAPSHOT_MAGIC", "SNAPSHOT_VERSION", "FeatureState"]

SWEEP_EVERY = 1 << 16
# The sweep runs in slices, so no single payment pays for walking the whole state (short latency
# tail). A full pass takes at least SWEEP_EVERY payments and at least SWEEP_KEY_FACTOR payments per
# key: keys in use are trimmed whenever they are read, so the sweep only reclaims keys that went
# quiet, and sweeping one record per payment would cost about 10 us (measured on 65k keys).
SWEEP_SLICES = 256
# A key without history that must stay (today's day totals) is checked again this much later
# (stream time); an expiry run with nothing queued waits as long.
EXPIRE_EVERY_US = 60 * 1_000_000
# Expiry runs at most once per this many payments (keeps each run's drops within POOL_SIZE).
EXPIRE_EVERY_PAYMENTS = 64
SWEEP_KEY_FACTOR = 8
# Records and tracks kept for reuse per family (see _emit_reuse): a new key takes an old record
# instead of allocating five lists. Bounded, so the pools hold at most a few hundred KB.
POOL_SIZE = 512
ZERO_HOURS = bytes(4 * 24)
# Payment fields the generated rule and filter code reads as locals (see rules/to_python.py).
_FIELD_LOCAL = re.compile(r"\bp_([a-z_]+)\b")
# Attributes a validated payment always has (the generated code skips their None checks).
ALWAYS_PRESENT = frozenset({"payer", "customer", "channel", "business_type", "customer_type", "auth_method"})


class FeatureState:
    """All incremental state of one payment stream, for a fixed list of features."""

    def __init__(
        self,
        features: tuple[Feature, ...],
        config: EngineConfig,
        filter_exprs: Mapping[str, str] | None = None,
        constants: Mapping[str, object] | None = None,
        rules: Sequence[Sequence[str]] = (),
    ) -> None:
        self.features = tuple(features)
        self.config = config
        self.keys: dict[str, KeyPlan] = plan_keys(self.features, config)
        self.records: dict[str, dict[str, list[Any]]] = {attr: {} for attr in self.keys}
        # [stream clock, payments until the next sweep step, payments observed,
        #  local day of the clock, first effective time of the next local day, next expiry run,
        #  payments observed when the next expiry run may start]
        self._clock = [0, 1, 0, 0, 0, 0, 0]
        # Droppable keys (no history) in order of the time their expiry check is due.
        self._due: dict[str, tuple[deque[int], deque[str]]] = {
            attr: (deque(), deque()) for attr, plan in self.keys.items() if plan.droppable
        }
        # Records of dropped keys and tracks emptied by the sweep, kept for reuse by new keys (see
        # _emit_reuse): P_<attr> for records, P_<attr>_<track> for tracks.
        self._pools: dict[str, list[list[Any]]] = {attr: [] for attr in self._due}
        self._pools.update({f"{t.attr}_{t.index}": [] for t in self._tracks()})
        self._sweep_queue: list[tuple[str, str]] = []
        self._sweep_budget = 0
        self._sweep_period = max(1, SWEEP_EVERY // SWEEP_SLICES)
        self._filter_exprs = dict(filter_exprs or {})
        self._rules = tuple(tuple(conjuncts) for conjuncts in rules)
        namespace = self._compile(dict(constants or {}))
        self._observe: Callable[[Any], list[Any]] = namespace["observe"]
        self.score: Callable[[Any, Mapping[str, frozenset[str]]], tuple[list[int], list[Any]] | None]
        self.score = namespace["score"]
        self._evict = {(t.attr, t.index): namespace[f"ev_{t.attr}_{t.index}"] for t in self._tracks()}
        self._reset = {name: namespace[f"rs_{name}"] for name in self._pools}
        # Per droppable family, what expire() needs: due queues, records, slots, retention, pool.
        self._expiry = [
            (due[0], due[1], self.records[attr], self.keys[attr].last_at, self.keys[attr].retention_us,
             bool(self.keys[attr].day_filters), self._pools[attr], self._reset[attr])
            for attr, due in self._due.items()
        ]  # fmt: skip

    @property
    def clock(self) -> int:
        """The stream's effective time: the largest timestamp observed so far (UTC microseconds)."""
        return self._clock[0]

    @property
    def observed(self) -> int:
        return self._clock[2]

    def _tracks(self) -> list[TrackPlan]:
        return [t for plan in self.keys.values() for t in plan.tracks]

    # --- code generation ------------------------------------------------------------------
    def _compile(self, constants: dict[str, object]) -> dict[str, Any]:
        out = Emitter()
        for plan in self.keys.values():
            out(f"def new_{plan.attr}(e):")
            if plan.droppable:
                at = plan.last_at
                _emit_reuse(
                    out, f"P_{plan.attr}", "r", [f"r[{at}] = e; r[{at + 1}] = e + {plan.retention_us}"]
                )
            out(f"    return {plan.new_literal()}")
            if plan.droppable:
                _emit_reset(out, f"rs_{plan.attr}(r)", plan.reset_lines())
            for track in plan.tracks:
                emit_evict(out, plan, track)
                out(f"def nt_{track.attr}_{track.index}(e):")
                _emit_reuse(out, f"P_{track.attr}_{track.index}", "t", ["t[0] = e"])
                out(f"    return {track.new_literal()}")
                _emit_reset(out, f"rs_{track.attr}_{track.index}(t)", track.reset_lines())
        self._emit_function(out, "observe(p)", rules=False)
        self._emit_function(out, "score(p, L)", rules=True)
        self.source = out.text()
        namespace: dict[str, Any] = {
            "__builtins__": {"len": len, "float": float, "bool": bool},
            "array": array,
            "intern": sys.intern,
            "ZERO_HOURS": ZERO_HOURS,
            "INF": inf,
            "CLK": self._clock,
            "SWEEP": self.sweep_step,
            "EXPIRE": self.expire,
            **{f"DUE_T_{attr}": due[0] for attr, due in self._due.items()},
            **{f"DUE_K_{attr}": due[1] for attr, due in self._due.items()},
            "sqrt": sqrt,
            **history_locals(self.config),
            **constants,
            **{f"S_{attr}": records for attr, records in self.records.items()},
            **{f"P_{name}": pool for name, pool in self._pools.items()},
        }
        code = compile(self.source, "<bastion-state>", "exec")
        # Generated from the feature plan (fixed identifiers and integer constants) and the checked
        # rule trees (see rules/to_python.py), never from analyst text directly.
        exec(code, namespace)  # noqa: S102
        return namespace

    def _stored_attrs(self) -> set[str]:
        stored = set(self.keys) | {a for t in self._tracks() for a in t.distinct_attrs}
        return stored | {s.attr for plan in self.keys.values() for s in plan.seen}

    def _emit_function(self, out: Emitter, signature: str, *, rules: bool) -> None:
        """The per-payment function: cross-key reads first (they may read a record this payment
        updates), then one block per key that reads its features and records the payment, then the
        rules on the feature locals."""
        out(f"def {signature}:")
        out.indent()
        out("ts = p.ts; e = CLK[0]")
        out("if ts > e:")
        out("    e = ts; CLK[0] = e")
        out("amount = p.amount")
        if any(plan.day_filters for plan in self.keys.values()):
            # The local day changes once a day: divide only when e passes the next midnight.
            out("if e < CLK[4]: day = CLK[3]")
            out("else: day = CLK[3] = (e + OFF) // DAY; CLK[4] = day * DAY + DAY - OFF")
        if any(plan.hours for plan in self.keys.values()):
            out("hour = (ts + OFF) // HOUR % 24")
        widths = sorted({w for t in self._tracks() for w in t.windows})
        if widths:
            out("; ".join(f"th{w} = e - {w}" for w in widths))
        stored = self._stored_attrs()
        attrs = sorted(stored | {f.query for f in self.features if isinstance(f, WindowFeature)})
        for attr in attrs:
            if attr not in stored:
                out(f"k_{attr} = p.{attr}")
            elif attr in ALWAYS_PRESENT:
                out(f"k_{attr} = intern(p.{attr})")
            else:
                out(f"k_{attr} = p.{attr}")
                out(f"if k_{attr} is not None: k_{attr} = intern(k_{attr})")
        texts = list(self._filter_exprs.values()) + [c for rule in self._rules for c in rule]
        for attr in sorted({m for text in texts for m in _FIELD_LOCAL.findall(text)}):
            out(f"p_{attr} = p.{attr}")
        for index, default in enumerate(default_literals(self.features)):
            out(f"v{index} = {default}")
        for text, expr in self._filter_exprs.items():
            out(f"flt{list(self._filter_exprs).index(text)} = {expr}")
        if any(isinstance(f, NoveltyFeature) for f in self.features):
            out("hz = e - HORIZON")
        self._emit_cross_reads(out)
        for plan in self.keys.values():
            self._emit_key(out, plan)
        if rules:
            # No list unless a rule fires: one allocation less per payment (and less GC work).
            out("fired = None")
            _emit_rules(out, [(i, list(conjuncts)) for i, conjuncts in enumerate(self._rules)])
        if any(plan.droppable for plan in self.keys.values()):
            out("if e >= CLK[5] and CLK[2] >= CLK[6]: EXPIRE(e)")
        out("CLK[2] += 1; c = CLK[1] - 1")
        out("if c: CLK[1] = c")
        out("else: SWEEP()")
        values = f"[{', '.join(f'v{i}' for i in range(len(self.features)))}]"
        if rules:
            out("if fired:")
            out("    fired.sort()")  # grouped rules may fire out of rule order
            out(f"    return fired, {values}")
            out("return None")
        else:
            out(f"return {values}")
        out.dedent()

    def _window_items(self) -> dict[tuple[str, str], list[tuple[int, WindowFeature]]]:
        items: dict[tuple[str, str], list[tuple[int, WindowFeature]]] = {}
        for index, f in enumerate(self.features):
            if isinstance(f, WindowFeature):
                items.setdefault((f.data, f.query), []).append((index, f))
        return items

    def _emit_track_reads(
        self, out: Emitter, track: TrackPlan, items: list[tuple[int, WindowFeature]]
    ) -> None:
        for index, f in items:
            if _ftext(f) != track.filter_text:
                continue
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
                out(f"v{index} = t[{track.counters_at + slot}]")

    def _emit_cross_reads(self, out: Emitter) -> None:
        """Features of another key's record (in_count(payer, ..) reads the payee record of the payer)."""
        for (data, query), items in self._window_items().items():
            if data == query:
                continue
            plan = self.keys[data]
            record = f"ri_{data}_{query}"
            out(f"{record} = S_{data}.get(k_{query}) if k_{query} is not None else None")
            out(f"if {record} is not None:")
            out.indent()
            for track in plan.tracks:
                if not any(_ftext(f) == track.filter_text for _, f in items):
                    continue
                out(f"t = {record}[{track.index}]")
                out("if t is not None:")
                out.indent()
                out("if t[0] != e:")
                out.indent()
                emit_evict_body(out, plan, track, record)
                out.dedent()
                self._emit_track_reads(out, track, items)
                out.dedent()
            out.dedent()

    def _emit_key(self, out: Emitter, plan: KeyPlan) -> None:
        attr = plan.attr
        out(f"if k_{attr} is not None:")
        out.indent()
        out(f"r = S_{attr}.get(k_{attr})")
        out("if r is None:")
        out(f"    r = S_{attr}[k_{attr}] = new_{attr}(e)")
        if plan.droppable:
            # Expiry check when the key's last payment leaves every window (see expire()).
            out(f"    DUE_T_{attr}.append(e + {plan.retention_us}); DUE_K_{attr}.append(k_{attr})")
            out(f"else: r[{plan.last_at}] = e")
        self._emit_seen_reads(out, plan)
        items = self._window_items().get((attr, attr), [])
        for track in plan.tracks:
            self._emit_track(out, plan, track, items)
        self._emit_seen_updates(out, plan)
        self._emit_days(out, plan)
        self._emit_history(out, plan)
        out.dedent()

    def _emit_track(self, out: Emitter, plan: KeyPlan, track: TrackPlan, items: list[Any]) -> None:
        """Evict, read the features, append the payment (when it passes the track's filter)."""
        flt = self._flt(track.filter_text)
        out(f"t = r[{track.index}]")
        if flt is None:
            out("if t is None:")
            out(f"    t = r[{track.index}] = nt_{track.attr}_{track.index}(e)")
            out("else:")
        else:
            out("if t is not None:")
        out.indent()
        out("if t[0] != e:")
        out.indent()
        emit_evict_body(out, plan, track, "r")
        out.dedent()
        self._emit_track_reads(out, track, items)
        out("pass")
        out.dedent()
        if flt is not None:
            out(f"if {flt}:")
            out.indent()
            out("if t is None:")
            out(f"    t = r[{track.index}] = nt_{track.attr}_{track.index}(e)")
        emit_append(out, plan, track)
        if flt is not None:
            out.dedent()

    def _emit_seen_reads(self, out: Emitter, plan: KeyPlan) -> None:
        """ls_<key>_<slot>: when this key last saw the payment's value (None: never / forgotten)."""
        for seen in plan.seen:
            name = f"ls_{plan.attr}_{seen.slot}"
            out(f"{name} = None")
            out(f"if k_{seen.attr} is not None:")
            out(f"    d = r[{seen.slot}]")
            out(f"    if d is not None: {name} = d.get(k_{seen.attr})")
        for index, f in enumerate(self.features):
            if isinstance(f, NoveltyFeature) and f.key == plan.attr:
                name = f"ls_{f.key}_{plan.seen_for(f.attr, None).slot}"
                out(f"if k_{f.attr} is not None: v{index} = {name} is None or {name} <= hz")

    def _emit_seen_updates(self, out: Emitter, plan: KeyPlan) -> None:
        """After the tracks: their eviction compares entries with the last-seen times before this
        payment."""
        for seen in plan.seen:
            flt = self._flt(seen.filter_text)
            cond = f"k_{seen.attr} is not None" + (f" and {flt}" if flt else "")
            out(f"if {cond}:")
            out(f"    d = r[{seen.slot}]")
            out(f"    if d is None: r[{seen.slot}] = {{k_{seen.attr}: e}}")
            out(f"    else: d[k_{seen.attr}] = e")

    def _emit_days(self, out: Emitter, plan: KeyPlan) -> None:
        if not plan.day_filters:
            return
        reads = []
        for index, f in enumerate(self.features):
            if isinstance(f, DayFeature) and f.key == plan.attr:
                slot = plan.days_at + 2 * plan.day_filters.index(_ftext(f)) + (0 if f.agg == "count" else 1)
                reads.append(f"v{index} = r[{slot}]")
        out("if r[0] == day:")
        out(f"    {'; '.join(reads) or 'pass'}")
        out("else:")
        resets = "; ".join(f"r[{plan.days_at + i}] = 0" for i in range(2 * len(plan.day_filters)))
        out(f"    r[0] = day; {resets}")
        for i, text in enumerate(plan.day_filters):
            flt = self._flt(text)
            guard = f"if {flt}: " if flt else ""
            out(f"{guard}r[{plan.days_at + 2 * i}] += 1; r[{plan.days_at + 2 * i + 1}] += amount")

    def _emit_history(self, out: Emitter, plan: KeyPlan) -> None:
        """Inline statistics, spelled out step by step: batch_features.history repeats exactly these
        IEEE operations in the same order, so both paths produce bit-identical floats."""
        if not plan.history:
            return
        at = plan.history_at
        items = [
            (i, f)
            for i, f in enumerate(self.features)
            if isinstance(f, HistoryFeature) and f.key == plan.attr
        ]
        out(f"hn = r[{at}]")
        out("if hn:")
        out.indent()
        stats = {f.stat for _, f in items}
        if stats & {"mean", "std", "zlimit"}:
            out(f"hmean = float(r[{at + 1}]) / float(hn)")
            out(f"hvar = r[{at + 2}] / float(hn) - hmean * hmean")
            out("hstd = sqrt(hvar) if hvar > 0.0 else 0.0")
        for index, f in items:
            if f.stat == "count":
                out(f"v{index} = hn")
            elif f.stat == "since_last":
                out(f"v{index} = e - r[{at + 3}]")
            elif f.stat == "mean":
                out(f"v{index} = hmean")
            elif f.stat == "std":
                out(f"v{index} = hstd")
            elif f.stat == "zlimit":
                out(f"if hn >= MIN_Z: v{index} = hmean + {f.k!r} * hstd")
            else:
                out(f"if hn >= MIN_UH: v{index} = r[{at + 4}][hour] * 100 < PCT_UH * hn")
        out.dedent()
        out(f"x = float(amount); r[{at}] = hn + 1; r[{at + 1}] += amount; r[{at + 2}] = r[{at + 2}] + x * x")
        out(f"r[{at + 3}] = e")
        if plan.hours:
            out(f"r[{at + 4}][hour] += 1")

    def _flt(self, text: str | None) -> str | None:
        return None if text is None else f"flt{list(self._filter_exprs).index(text)}"

    # --- scoring path -----------------------------------------------------------------------
    def observe(self, p: Any) -> list[Any]:
        """Feature vector of ``p`` over earlier payments, then record ``p``."""
        return self._observe(p)

    # --- housekeeping ----------------------------------------------------------------------
    def expire(self, clock: int) -> None:
        """Drop keys without history whose last payment has left every window and horizon.

        Each such key is checked when its last payment could have expired (a queue ordered by
        that time); a key that paid again is re-queued for its new expiry. The next run is due at
        the earliest queued time and at least EXPIRE_EVERY_PAYMENTS payments later, so the cost per
        payment is two comparisons, and each run drops few enough keys for the pools to take them
        all (a dense stream used to drop a minute's worth of keys at once).
        """
        today = -1
        next_run = 0
        for due_t, due_k, records, last_at, retention, days, pool, reset in self._expiry:
            while due_t and due_t[0] <= clock:
                due = due_t.popleft()
                key = due_k.popleft()
                record = records.get(key)
                if record is None or record[last_at + 1] != due:
                    continue  # dropped already, or queued again later
                expires = record[last_at] + retention
                if days and today < 0:
                    today = (clock + self.config.utc_offset_us) // MICROS_PER_DAY
                if expires > clock or (days and record[0] == today):
                    record[last_at + 1] = expires = max(expires, clock + EXPIRE_EVERY_US)
                    due_t.append(expires)
                    due_k.append(key)
                elif len(pool) < POOL_SIZE:
                    record = records.pop(key)
                    reset(record)
                    pool.append(record)
                else:
                    del records[key]
            if due_t and (not next_run or due_t[0] < next_run):
                next_run = due_t[0]
        self._clock[5] = next_run or clock + EXPIRE_EVERY_US
        self._clock[6] = self._clock[2] + EXPIRE_EVERY_PAYMENTS

    def sweep_step(self) -> None:
        """Trim the next slice of keys; a full pass over all keys takes SWEEP_SLICES steps."""
        if not self._sweep_queue:
            self._sweep_queue = [
                (attr, key)
                for attr, records in self.records.items()
                if self.keys[attr].history
                for key in records
            ]
            self._sweep_queue.reverse()
            self._sweep_budget = len(self._sweep_queue) // SWEEP_SLICES + 1
            pass_length = max(SWEEP_EVERY, SWEEP_KEY_FACTOR * len(self._sweep_queue))
            self._sweep_period = max(1, pass_length // SWEEP_SLICES)
        self._clock[1] = self._sweep_period
        clock = self.clock
        today = (clock + self.config.utc_offset_us) // MICROS_PER_DAY
        for _ in range(min(self._sweep_budget, len(self._sweep_queue))):
            attr, key = self._sweep_queue.pop()
            record = self.records[attr].get(key)
            if record is not None:
                self._sweep_record(attr, key, record, clock, today)

    def _sweep_record(self, attr: str, key: str, record: list[Any], clock: int, today: int) -> None:
        plan = self.keys[attr]
        live = self._trim(plan, record, clock)
        today_totals = plan.day_filters and record[0] == today
        if not live and not plan.history and not today_totals:
            del self.records[attr][key]

    def sweep(self) -> None:
        """Trim state that can no longer influence any feature (never changes feature values)."""
        clock = self.clock
        today = (clock + self.config.utc_offset_us) // MICROS_PER_DAY
        for attr, records in self.records.items():
            for key in list(records):
                self._sweep_record(attr, key, records[key], clock, today)

    def _trim(self, plan: KeyPlan, record: list[Any], clock: int) -> bool:
        """Evict one record to ``clock``; return True if anything in it is still live.

        Tracks first: their eviction reads the last-seen dicts, whose retention is at least as long
        as every window that uses them.
        """
        live = False
        for track in plan.tracks:
            t = record[track.index]
            if t is None:
                continue
            self._evict[(track.attr, track.index)](t, clock, record)
            if t[track.longest_head] - t[3] >= len(t[1]):
                record[track.index] = None
                name = f"{track.attr}_{track.index}"
                pool = self._pools[name]
                if len(pool) < POOL_SIZE:
                    self._reset[name](t)
                    pool.append(t)
            else:
                live = True
        for seen_plan in plan.seen:
            seen = record[seen_plan.slot]
            if seen is None:
                continue
            expired = clock - seen_plan.retention_us
            for value in [v for v, last in seen.items() if last <= expired]:
                del seen[value]
            if seen:
                live = True
            else:
                record[seen_plan.slot] = None
        return live

    def stats(self) -> dict[str, int]:
        """Counts that explain memory use."""
        entries = seen_values = 0
        for attr, plan in self.keys.items():
            for record in self.records[attr].values():
                entries += sum(len(record[t.index][1]) for t in plan.tracks if record[t.index] is not None)
                seen_values += sum(len(record[s.slot] or ()) for s in plan.seen)
        return {
            "keys": sum(len(r) for r in self.records.values()),
            "window_entries": entries,
            "seen_values": seen_values,
            **{f"keys_{attr}": len(records) for attr, records in self.records.items()},
        }

    # --- snapshot / restore ------------------------------------------------------------------
    def fingerprint(self) -> str:
        names = "\n".join(f.name for f in self.features)
        return hashlib.sha256(f"{names}\n{self.config.fingerprint()}".encode()).hexdigest()

    def snapshot(self) -> bytes:
        """A versioned, compressed JSON image of the state (no pickle: safe to load from disk)."""
        for plan in self.keys.values():
            for track in plan.tracks:
                evict = self._evict[(track.attr, track.index)]
                for record in self.records[plan.attr].values():
                    t = record[track.index]
                    if t is not None and t[0] != self.clock:
                        evict(t, self.clock, record)
        return dump_state(self)

    def restore(self, blob: bytes) -> None:
        """Replace this state with a snapshot taken from a state with the same features and config."""
        load_state(self, blob)


def _ftext(f: WindowFeature | DayFeature) -> str | None:
    return f.filter.text if f.filter is not None else None


def _emit_reuse(out: Emitter, pool: str, name: str, reset: list[str]) -> None:
    """Take a record or track from ``pool`` and reset it, if the pool has one.

    Why: keys without history (device, IP, payee) are created and dropped all the time. Every new
    list is a young object for the cyclic collector, which walks each one in the young
    generations and again in full collections; reusing old lists keeps the young generation small
    (measured: most of the collector's time per payment went to these lists).
    """
    out(f"    if {pool}:")
    out(f"        {name} = {pool}.pop()")
    for line in reset:
        out(f"        {line}")
    out(f"        return {name}")


def _emit_reset(out: Emitter, signature: str, body: list[str]) -> None:
    """The function that empties a record or track when it enters its pool (frees its entries at
    once; reuse then only sets the times)."""
    out(f"def {signature}:")
    out("    e = 0")
    for line in body:
        out(f"    {line}")


_FIRE = "fired = [{0}] if fired is None else fired + [{0}]"


def _emit_rules(out: Emitter, rules: list[tuple[int, list[str]]]) -> None:
    """Rules sharing a leading condition are nested under one test of it (most payments fail the
    first test of most rules, e.g. channel == "cash"); conditions are pure, so only the order of
    the fired list changes, and the caller sorts it."""
    groups: dict[str, list[tuple[int, list[str]]]] = {}
    for index, conjuncts in rules:
        groups.setdefault(conjuncts[0] if conjuncts else "True", []).append((index, conjuncts))
    for first, members in groups.items():
        if len(members) == 1:
            index, conjuncts = members[0]
            out(f"if {' and '.join(conjuncts) or 'True'}: {_FIRE.format(index)}")
            continue
        out(f"if {first}:")
        out.indent()
        rest = [(index, conjuncts[1:]) for index, conjuncts in members]
        for index, _ in [m for m in rest if not m[1]]:
            out(_FIRE.format(index))
        if any(conjuncts for _, conjuncts in rest):
            _emit_rules(out, [m for m in rest if m[1]])
        out.dedent()
