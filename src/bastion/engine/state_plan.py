"""Layout of the real-time state and the generated Python that maintains it.

Every attribute that keys a feature (payer, customer, device, ...) has one dict ``key value ->
record``; a record is a flat list holding, for that key, all window tracks, the day totals, the
novelty dicts and the history statistics. One dict lookup per key and per payment, and generated
straight-line code per window, are what make the real-time path fit in a few microseconds.

A window track is a list: ``[clock, times, amounts, base, values per distinct attr..., heads...,
sums..., max queues..., distinct counters...]``. Entries are stored from absolute index ``base``;
``heads[j]`` is the first entry inside window ``j``; the max queue holds absolute indices of a
decreasing run of amounts; counters map a value to its multiplicity inside the window.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .config import MICROS_PER_DAY, MICROS_PER_HOUR, EngineConfig
from .features import DayFeature, Feature, NoveltyFeature, WindowFeature, default_value

# Compact a window list once this many leading entries have expired (and they are half of it).
COMPACT_MIN = 4


@dataclass
class TrackPlan:
    index: int  # position of this track in the record
    attr: str
    filter_text: str | None
    windows: list[int]
    distinct_attrs: list[str] = field(default_factory=list)
    distinct_slots: list[tuple[int, int]] = field(default_factory=list)
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

    def new_literal(self) -> str:
        parts = ["e", "[]", "[]" if self.keeps_amounts else "None", "0"]
        parts += ["[]"] * len(self.distinct_attrs)
        parts += ["0"] * (len(self.windows) + len(self.sum_windows))
        parts += ["[]"] * len(self.max_windows)
        parts += ["{}"] * len(self.distinct_slots)
        return f"[{', '.join(parts)}]"


@dataclass
class KeyPlan:
    attr: str
    tracks: list[TrackPlan] = field(default_factory=list)
    day_filters: list[str | None] = field(default_factory=list)
    novelty_attrs: list[str] = field(default_factory=list)
    history: bool = False
    hours: bool = False

    # Record layout: [created, day, tracks..., (count, sum) per day filter..., novelty dicts...,
    #                 n, s1, s2, last_e, hours]  (``created`` is informational only)
    @property
    def days_at(self) -> int:
        return 2 + len(self.tracks)

    @property
    def novelty_at(self) -> int:
        return self.days_at + 2 * len(self.day_filters)

    @property
    def history_at(self) -> int:
        return self.novelty_at + len(self.novelty_attrs)

    @property
    def size(self) -> int:
        return self.history_at + (5 if self.history else 0)

    def track(self, filter_text: str | None) -> TrackPlan:
        for track in self.tracks:
            if track.filter_text == filter_text:
                return track
        raise KeyError(filter_text)  # pragma: no cover - planned before use

    def new_literal(self) -> str:
        parts = ["e", "-1"] + ["None"] * len(self.tracks) + ["0"] * (2 * len(self.day_filters))
        parts += ["None"] * len(self.novelty_attrs)
        if self.history:
            parts += ["0", "0", "0.0", "e", "array('I', ZERO_HOURS)" if self.hours else "None"]
        return f"[{', '.join(parts)}]"


def plan_keys(features: tuple[Feature, ...]) -> dict[str, KeyPlan]:
    keys: dict[str, KeyPlan] = {}

    def key(attr: str) -> KeyPlan:
        return keys.setdefault(attr, KeyPlan(attr))

    for f in features:
        if isinstance(f, WindowFeature):
            plan = key(f.data)
            text = f.filter.text if f.filter else None
            try:
                track = plan.track(text)
            except KeyError:
                track = TrackPlan(len(plan.tracks) + 2, f.data, text, [])
                plan.tracks.append(track)
            if f.window_us not in track.windows:
                track.windows.append(f.window_us)
        elif isinstance(f, DayFeature):
            text = f.filter.text if f.filter else None
            if text not in key(f.key).day_filters:
                key(f.key).day_filters.append(text)
        elif isinstance(f, NoveltyFeature):
            if f.attr not in key(f.key).novelty_attrs:
                key(f.key).novelty_attrs.append(f.attr)
        else:
            key(f.key).history = True
            key(f.key).hours |= f.stat == "unusual_hour"
    for plan in keys.values():
        for track in plan.tracks:
            track.windows.sort()
    for f in features:
        if isinstance(f, WindowFeature) and f.agg in ("max", "distinct", "sum"):
            track = keys[f.data].track(f.filter.text if f.filter else None)
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


def emit_evict(out: Emitter, track: TrackPlan) -> None:
    """Function ev_<attr>_<i>(t, e): move every window of track t to effective time e.

    A window that only counts moves its head with a C-level bisect; windows with sums or distinct
    counters walk the expiring entries to update their running aggregates.
    """
    out(f"def ev_{track.attr}_{track.index}(t, e):")
    out.indent()
    out("t[0] = e")
    out("times = t[1]; amounts = t[2]; base = t[3]; end = base + len(times)")
    for a in range(len(track.distinct_attrs)):
        out(f"vals{a} = t[{track.values_at + a}]")
    for j, width in enumerate(track.windows):
        head = track.heads_at + j
        counters = [(slot, a) for slot, (window, a) in enumerate(track.distinct_slots) if window == j]
        out(f"h = t[{head}]; th = e - {width}")
        out("if h < end and times[h - base] <= th:")
        out.indent()
        if j not in track.sum_windows and not counters:
            out("h = bisect_right(times, th, h - base) + base")
        else:
            out("while h < end and times[h - base] <= th:")
            out.indent()
            out("i = h - base")
            if j in track.sum_windows:
                out(f"t[{track.sums_at + track.sum_windows.index(j)}] -= amounts[i]")
            for slot, a in counters:
                out(f"v = vals{a}[i]")
                out("if v is not None:")
                out(f"    c = t[{track.counters_at + slot}]; n = c[v] - 1")
                out("    if n: c[v] = n")
                out("    else: del c[v]")
            out("h += 1")
            out.dedent()
        out(f"t[{head}] = h")
        for m, window in enumerate(track.max_windows):
            if window == j:
                out(f"q = t[{track.maxq_at + m}]")
                out("while q and q[0] < h: del q[0]")
        out.dedent()
    out(f"drop = t[{track.heads_at + len(track.windows) - 1}] - base")
    out(f"if drop >= {COMPACT_MIN} and drop + drop >= len(times):")
    out("    del times[:drop]")
    if track.keeps_amounts:
        out("    del amounts[:drop]")
    for a in range(len(track.distinct_attrs)):
        out(f"    del vals{a}[:drop]")
    out("    t[3] = base + drop")
    out.dedent()


def emit_append(out: Emitter, track: TrackPlan, value_exprs: list[str]) -> None:
    """Append (e, amount, values) to track list ``t`` (already evicted or fresh)."""
    out("times = t[1]; times.append(e)")
    if track.keeps_amounts:
        out("amounts = t[2]; amounts.append(amount)")
    for k in range(len(track.sum_windows)):
        out(f"t[{track.sums_at + k}] += amount")
    if track.max_windows:
        out("idx = t[3] + len(times) - 1; base = t[3]")
        for m in range(len(track.max_windows)):
            out(f"q = t[{track.maxq_at + m}]")
            out("while q and amounts[q[-1] - base] <= amount: q.pop()")
            out("q.append(idx)")
    # Temporaries are named dv*, never v*: v<i> holds feature values in the generated observe().
    for a, expr in enumerate(value_exprs):
        out(f"dv{a} = {expr}")
        out(f"t[{track.values_at + a}].append(dv{a})")
    for slot, (_, a) in enumerate(track.distinct_slots):
        out(f"if dv{a} is not None:")
        out(f"    c = t[{track.counters_at + slot}]; c[dv{a}] = c.get(dv{a}, 0) + 1")


def emit_append_function(out: Emitter, track: TrackPlan) -> None:
    """Function ap_<i>(t, e, amount, values): used by restore, same code as the inline path."""
    out(f"def ap_{track.attr}_{track.index}(t, e, amount, values):")
    out.indent()
    emit_append(out, track, [f"values[{a}]" for a in range(len(track.distinct_attrs))])
    out.dedent()


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
