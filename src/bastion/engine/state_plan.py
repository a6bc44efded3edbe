"""Layout of the real-time state and the generated Python that maintains it (0103, 0108, 0109).

Every attribute that keys a feature (payer, customer, device, ...) has one dict ``key value ->
record``; a record is a flat list holding, for that key, all window tracks, the day totals, the
"last seen" dicts and the history statistics. One dict lookup per key and per payment, and
generated straight-line code per window, are what make the real-time path fit in a few
microseconds. Layout (snapshot format 2):

* record: ``[day, tracks..., (count, sum) per day filter..., seen dicts..., n, s1, s2, last_e, hours]``
* track: ``[clock, times, amounts, base, values per distinct attr..., heads..., sums..., max queues...,
  distinct counts...]``. ``times``, ``amounts`` and the max queues are ``array('q')``; entries are stored
  from absolute index ``base``; ``heads[j]`` is the first entry inside window ``j``; a max queue
  holds absolute indices of a decreasing run of amounts.
* seen dict ``(attr, filter)``: value -> effective time it was last seen with this key. It answers
  ``is_new`` and drives every ``distinct`` count of the track with the same filter: a value is in
  window ``w`` iff its last-seen time is ``> e - w``, so a distinct count goes up when a value
  arrives whose last-seen time was outside the window, and down when the entry that carries its
  last-seen time leaves. Several payments of one value at the same effective time store the value
  only on the first entry (the others store None), so exactly one entry carries each last-seen time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .config import MICROS_PER_DAY, MICROS_PER_HOUR, EngineConfig
from .features import DayFeature, Feature, NoveltyFeature, WindowFeature, default_value

# Compact a window column once this many leading entries have expired (and they are half of it).
COMPACT_MIN = 8


@dataclass
class SeenPlan:
    """One "last seen" dict of a key: values of ``attr`` among payments passing ``filter_text``."""

    slot: int  # position in the record
    attr: str
    filter_text: str | None
    retention_us: int  # entries last seen this long ago or longer can be dropped
    novelty: bool = False


@dataclass
class TrackPlan:
    index: int  # position of this track in the record
    attr: str
    filter_text: str | None
    windows: list[int]
    distinct_attrs: list[str] = field(default_factory=list)
    distinct_slots: list[tuple[int, int]] = field(default_factory=list)  # (window j, attr a)
    max_windows: list[int] = field(default_factory=list)
    sum_windows: list[int] = field(default_factory=list)

    @property
    def keeps_amounts(self) -> bool:
        return bool(self.sum_windows or self.max_windows)

    @property
    def values_at(self) -> int:
        return 4

    @property
    def heads_at(self) -> int:
        return 4 + len(self.distinct_attrs)

    @property
    def sums_at(self) -> int:
        return self.heads_at + len(self.windows)

    @property
    def maxq_at(self) -> int:
        return self.sums_at + len(self.sum_windows)

    @property
    def counters_at(self) -> int:
        return self.maxq_at + len(self.max_windows)

    @property
    def size(self) -> int:
        return self.counters_at + len(self.distinct_slots)

    @property
    def longest_head(self) -> int:
        return self.heads_at + len(self.windows) - 1

    def reset_lines(self) -> list[str]:
        """Statements that turn a pooled track ``t`` into a new one at time ``e`` (see emit_new)."""
        lines = ["t[0] = e", "del t[1][:]", "t[3] = 0"]
        if self.keeps_amounts:
            lines.append("del t[2][:]")
        lines += [f"t[{self.values_at + a}].clear()" for a in range(len(self.distinct_attrs))]
        lines += [f"t[{i}] = 0" for i in range(self.heads_at, self.maxq_at)]
        lines += [f"del t[{i}][:]" for i in range(self.maxq_at, self.counters_at)]
        lines += [f"t[{i}] = 0" for i in range(self.counters_at, self.size)]
        return lines

    def new_literal(self) -> str:
        parts = ["e", "array('q')", "array('q')" if self.keeps_amounts else "None", "0"]
        parts += ["[]"] * len(self.distinct_attrs)
        parts += ["0"] * (len(self.windows) + len(self.sum_windows))
        parts += ["array('q')"] * len(self.max_windows)
        parts += ["0"] * len(self.distinct_slots)
        return f"[{', '.join(parts)}]"


@dataclass
class KeyPlan:
    attr: str
    tracks: list[TrackPlan] = field(default_factory=list)
    day_filters: list[str | None] = field(default_factory=list)
    seen: list[SeenPlan] = field(default_factory=list)
    history: bool = False
    hours: bool = False

    @property
    def days_at(self) -> int:
        return 1 + len(self.tracks)

    @property
    def seen_at(self) -> int:
        return self.days_at + 2 * len(self.day_filters)

    @property
    def history_at(self) -> int:
        return self.seen_at + len(self.seen)

    @property
    def size(self) -> int:
        return self.history_at + (5 if self.history else 2)

    @property
    def droppable(self) -> bool:
        """Keys without history statistics are forgotten once nothing of theirs is in any window."""
        return not self.history

    @property
    def last_at(self) -> int:
        """Droppable keys: [..., effective time of the last payment, time the expiry check is due]."""
        return self.history_at

    @property
    def retention_us(self) -> int:
        """How long after its last payment a droppable key still influences a feature."""
        return max([*(max(t.windows) for t in self.tracks), *(s.retention_us for s in self.seen), 1])

    def track(self, filter_text: str | None) -> TrackPlan:
        for track in self.tracks:
            if track.filter_text == filter_text:
                return track
        raise KeyError(filter_text)  # pragma: no cover - planned before use

    def seen_for(self, attr: str, filter_text: str | None) -> SeenPlan:
        for seen in self.seen:
            if seen.attr == attr and seen.filter_text == filter_text:
                return seen
        raise KeyError((attr, filter_text))  # pragma: no cover - planned before use

    def add_seen(self, attr: str, filter_text: str | None, retention_us: int, novelty: bool) -> None:
        try:
            seen = self.seen_for(attr, filter_text)
        except KeyError:
            seen = SeenPlan(-1, attr, filter_text, 0)
            self.seen.append(seen)
        seen.retention_us = max(seen.retention_us, retention_us)
        seen.novelty |= novelty

    def reset_lines(self) -> list[str]:
        """Statements that turn a pooled record ``r`` of a droppable key into a new one at ``e``."""
        lines = ["r[0] = -1"]
        for track in self.tracks:
            lines += [f"t = r[{track.index}]", "if t is not None:"]
            lines += [f"    {line}" for line in track.reset_lines()]
        lines += [f"r[{i}] = 0" for i in range(self.days_at, self.seen_at)]
        for seen in self.seen:
            lines += [f"d = r[{seen.slot}]", "if d is not None: d.clear()"]
        lines += [f"r[{self.last_at}] = e", f"r[{self.last_at + 1}] = e + {self.retention_us}"]
        return lines

    def new_literal(self) -> str:
        parts = ["-1"] + ["None"] * len(self.tracks) + ["0"] * (2 * len(self.day_filters))
        parts += ["None"] * len(self.seen)
        if self.history:
            parts += ["0", "0", "0.0", "e", "array('I', ZERO_HOURS)" if self.hours else "None"]
        else:
            parts += ["e", f"e + {self.retention_us}"]
        return f"[{', '.join(parts)}]"


def plan_keys(features: tuple[Feature, ...], config: EngineConfig) -> dict[str, KeyPlan]:
    keys: dict[str, KeyPlan] = {}

    def key(attr: str) -> KeyPlan:
        return keys.setdefault(attr, KeyPlan(attr))

    for f in features:
        if isinstance(f, WindowFeature):
            plan = key(f.data)
            text = _ftext(f)
            try:
                track = plan.track(text)
            except KeyError:
                track = TrackPlan(len(plan.tracks) + 1, f.data, text, [])
                plan.tracks.append(track)
            if f.window_us not in track.windows:
                track.windows.append(f.window_us)
            if f.agg == "distinct":
                assert f.distinct is not None
                plan.add_seen(f.distinct, text, f.window_us, novelty=False)
        elif isinstance(f, DayFeature):
            text = _ftext(f)
            if text not in key(f.key).day_filters:
                key(f.key).day_filters.append(text)
        elif isinstance(f, NoveltyFeature):
            key(f.key).add_seen(f.attr, None, config.novelty_horizon_us, novelty=True)
        else:
            key(f.key).history = True
            key(f.key).hours |= f.stat == "unusual_hour"
    for plan in keys.values():
        for track in plan.tracks:
            track.windows.sort()
        for i, seen in enumerate(plan.seen):
            seen.slot = plan.seen_at + i
    for f in features:
        if isinstance(f, WindowFeature) and f.agg in ("max", "distinct", "sum"):
            track = keys[f.data].track(_ftext(f))
            j = track.windows.index(f.window_us)
            if f.agg == "sum" and j not in track.sum_windows:
                track.sum_windows.append(j)
            if f.agg == "max" and j not in track.max_windows:
                track.max_windows.append(j)
            if f.agg == "distinct":
                assert f.distinct is not None
                if f.distinct not in track.distinct_attrs:
                    track.distinct_attrs.append(f.distinct)
                slot = (j, track.distinct_attrs.index(f.distinct))
                if slot not in track.distinct_slots:
                    track.distinct_slots.append(slot)
    return keys


class Emitter:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.depth = 0

    def __call__(self, line: str) -> None:
        self.lines.append("    " * self.depth + line)

    def indent(self) -> Emitter:
        self.depth += 1
        return self

    def dedent(self) -> None:
        self.depth -= 1

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def emit_evict(out: Emitter, plan: KeyPlan, track: TrackPlan) -> None:
    """Function ev_<attr>_<i>(t, e, r): the eviction below as a function (sweep and snapshot)."""
    out(f"def ev_{track.attr}_{track.index}(t, e, r):")
    out.indent()
    for width in track.windows:
        out(f"th{width} = e - {width}")
    emit_evict_body(out, plan, track, "r")
    out.dedent()


def emit_evict_body(out: Emitter, plan: KeyPlan, track: TrackPlan, record: str) -> None:
    """Move every window of track ``t`` (of record ``record``) to effective time ``e``.

    A window that only counts moves its head with a C-level bisect; windows with sums or distinct
    counts walk the expiring entries to update their running aggregates. The scoring code inlines
    this (no call per key and payment).
    """
    out("t[0] = e")
    out("times = t[1]; amounts = t[2]; base = t[3]; end = base + len(times)")
    for a, attr in enumerate(track.distinct_attrs):
        slot = plan.seen_for(attr, track.filter_text).slot
        out(f"vals{a} = t[{track.values_at + a}]; seen{a} = {record}[{slot}]")
    for j, width in enumerate(track.windows):
        head = track.heads_at + j
        counters = [(slot, a) for slot, (window, a) in enumerate(track.distinct_slots) if window == j]
        # th<width> = e - width, computed once per payment by the caller.
        out(f"h = t[{head}]; th = th{width}")
        out("if h < end and times[h - base] <= th:")
        out.indent()
        if j not in track.sum_windows and not counters:
            # Each entry leaves each window once: a plain loop is O(1) amortised, cheaper than
            # bisect's argument parsing.
            out("h += 1")
            out("while h < end and times[h - base] <= th: h += 1")
        else:
            out("while h < end:")
            out.indent()
            out("i = h - base; ti = times[i]")
            out("if ti > th: break")
            if j in track.sum_windows:
                out(f"t[{track.sums_at + track.sum_windows.index(j)}] -= amounts[i]")
            for slot, a in counters:
                # The entry carrying a value's last-seen time leaves: the value leaves the window.
                out(f"v = vals{a}[i]")
                out(f"if v is not None and seen{a}[v] == ti: t[{track.counters_at + slot}] -= 1")
            out("h += 1")
            out.dedent()
        out(f"t[{head}] = h")
        for m, window in enumerate(track.max_windows):
            if window == j:
                out(f"q = t[{track.maxq_at + m}]")
                out("while q and q[0] < h: del q[0]")
        out.dedent()
    out(f"drop = t[{track.longest_head}] - base")
    out(f"if drop >= {COMPACT_MIN} and drop + drop >= len(times):")
    out("    del times[:drop]")
    if track.keeps_amounts:
        out("    del amounts[:drop]")
    for a in range(len(track.distinct_attrs)):
        out(f"    del vals{a}[:drop]")
    out("    t[3] = base + drop")


def emit_append(out: Emitter, plan: KeyPlan, track: TrackPlan) -> None:
    """Append the payment (e, amount, distinct values) to track ``t`` (already evicted or fresh).

    Expects ``ls_<key>_<slot>`` = the value's last-seen time before this payment (None if unseen) for each
    seen dict the track's distinct counts use; temporaries are named d*, never v* (feature values).
    """
    out("t[1].append(e)")
    if track.keeps_amounts:
        out("t[2].append(amount)")
    for k in range(len(track.sum_windows)):
        out(f"t[{track.sums_at + k}] += amount")
    if track.max_windows:
        out("amounts = t[2]; base = t[3]; idx = base + len(amounts) - 1")
        for m in range(len(track.max_windows)):
            out(f"q = t[{track.maxq_at + m}]")
            out("while q and amounts[q[-1] - base] <= amount: q.pop()")
            out("q.append(idx)")
    for a, attr in enumerate(track.distinct_attrs):
        seen = plan.seen_for(attr, track.filter_text)
        last = f"ls_{plan.attr}_{seen.slot}"
        out(f"if k_{attr} is None or {last} == e:")
        out(f"    t[{track.values_at + a}].append(None)")
        out("else:")
        out(f"    t[{track.values_at + a}].append(k_{attr})")
        for slot, (j, a2) in enumerate(track.distinct_slots):
            if a2 == a:
                counter = track.counters_at + slot
                out(f"    if {last} is None or {last} <= th{track.windows[j]}: t[{counter}] += 1")


def history_locals(config: EngineConfig) -> dict[str, object]:
    return {
        "MIN_Z": config.zscore_min_history,
        "MIN_UH": config.unusual_hour_min_history,
        "PCT_UH": config.unusual_hour_max_percent,
        "OFF": config.utc_offset_us,
        "HOUR": MICROS_PER_HOUR,
        "DAY": MICROS_PER_DAY,
        "HORIZON": config.novelty_horizon_us,
    }


def default_literals(features: tuple[Feature, ...]) -> list[str]:
    out = []
    for f in features:
        value = default_value(f)
        out.append("INF" if value == float("inf") else repr(value))
    return out


def _ftext(f: WindowFeature | DayFeature) -> str | None:
    return f.filter.text if f.filter is not None else None
