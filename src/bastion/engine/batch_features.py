"""Column-wise computation of the same features ``FeatureState`` computes one payment at a time.

Rows are in arrival order. For a grouping attribute we sort the qualifying rows ("data points") by
(group, arrival) once; in that order the effective time is non-decreasing inside each group, so
every window is a contiguous run ``[start, end)`` that two binary searches find:

* ``end``   = data points of the group that arrived before the scored row;
* ``start`` = first data point of the group whose effective time is above the window's lower bound.

Counts and sums then come from prefix sums (exact int64), maxima from a sparse table, distinct
counts from "previous occurrence" positions, and float history statistics from sequential
per-group accumulation in the same order as the real-time path, so results are bit-identical.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from .config import MICROS_PER_DAY, MICROS_PER_HOUR, EngineConfig
from .features import DayFeature, Feature, HistoryFeature, NoveltyFeature, WindowFeature

I64 = np.int64
SEQUENTIAL_RANKS = 256
CODE_FAMILIES = {
    "payer": ("payer", "payee"),
    "payee": ("payer", "payee"),
    "customer": ("customer", "payee_customer"),
    "payee_customer": ("customer", "payee_customer"),
}
DISTINCT_BLOCK = 64


def effective_time(ts: np.ndarray) -> np.ndarray:
    """Running maximum of timestamps in arrival order (see window-semantics.md)."""
    return np.maximum.accumulate(ts)


def category_codes(*columns: pl.Series) -> list[np.ndarray]:
    """Dense int64 codes shared by all given columns; null becomes -1."""
    joined = pl.concat([c.cast(pl.String).rename("k") for c in columns])
    codes = joined.cast(pl.Categorical).to_physical().cast(pl.Int64).fill_null(-1).to_numpy()
    out, offset = [], 0
    for column in columns:
        out.append(np.ascontiguousarray(codes[offset : offset + len(column)]))
        offset += len(column)
    return out


@dataclass
class Groups:
    """Data points of one grouping, sorted by (group, arrival)."""

    order: np.ndarray  # row index of each data point, in sorted order
    group: np.ndarray  # group code per data point
    seq_key: np.ndarray  # group * n_rows + row, sorted
    time_key: np.ndarray  # group * m + rank(effective time), sorted
    prefix: np.ndarray  # exclusive prefix sums of amounts, len = points + 1


class FeatureComputer:
    """Computes all features of an engine for one normalised frame (engine column names)."""

    def __init__(self, frame: pl.DataFrame, config: EngineConfig, masks: Mapping[str, np.ndarray]) -> None:
        self.frame = frame
        self.config = config
        self.masks = masks  # filter text -> boolean mask per row
        self.n = frame.height
        self.ts = frame["ts"].to_numpy().astype(I64, copy=False)
        self.amount = frame["amount"].to_numpy().astype(I64, copy=False)
        self.e = effective_time(self.ts)
        # e is non-decreasing in arrival order, so its distinct values and ranks come in O(n).
        change = np.ones(self.n, dtype=bool)
        change[1:] = self.e[1:] != self.e[:-1]
        self.times = self.e[change]
        self.m = len(self.times) + 1
        self.rank_e = np.cumsum(change).astype(I64)  # = searchsorted(times, e, "right")
        self._codes: dict[tuple[str, ...], list[np.ndarray]] = {}
        self._groups: dict[tuple[str, str, str | None], Groups] = {}
        self._queries: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
        self._orders: dict[tuple[str, str, str], np.ndarray] = {}
        self._history: dict[str, tuple[np.ndarray, ...]] = {}
        self._previous: dict[tuple[object, ...], np.ndarray] = {}
        self._lower_ranks: dict[int, np.ndarray] = {}

    def codes(self, *attrs: str) -> list[np.ndarray]:
        # Accounts and customers appear on both sides of a payment; one code space per family
        # lets inflow features reuse the same sort as the payee's own features.
        key = tuple(sorted({member for a in attrs for member in CODE_FAMILIES.get(a, (a,))}))
        if key not in self._codes:
            self._codes[key] = category_codes(*(self.frame[a] for a in key))
        found = dict(zip(key, self._codes[key], strict=True))
        return [found[a] for a in attrs]

    def lower_rank(self, width: int) -> np.ndarray:
        """Per row, the rank of e - width (sorted keys in arrival order: one fast pass)."""
        if width not in self._lower_ranks:
            self._lower_ranks[width] = np.searchsorted(self.times, self.e - width, side="right").astype(I64)
        return self._lower_ranks[width]

    def queries(self, data: str, query: str) -> tuple[np.ndarray, np.ndarray]:
        """Rows with a query key, sorted by (group, arrival), and their group codes.

        Sorted queries make every later binary search walk forward, which is many times faster
        than random probes on large arrays.
        """
        if (data, query) not in self._queries:
            codes = self.codes(data, query)[1]
            # Query and data attributes share one code space, so the query attribute's own
            # (group, arrival) order is the order we need.
            rows = self.sorted_rows(query, query)
            self._queries[(data, query)] = (rows, codes[rows])
        return self._queries[(data, query)]

    def compute(self, features: Sequence[Feature]) -> dict[int, np.ndarray]:
        return {index: self.compute_one(feature) for index, feature in enumerate(features)}

    def compute_one(self, feature: Feature) -> np.ndarray:
        if isinstance(feature, WindowFeature):
            return self.window(feature)
        if isinstance(feature, DayFeature):
            return self.day(feature)
        if isinstance(feature, NoveltyFeature):
            return self.novelty(feature)
        return self.history(feature)

    # --- windows -------------------------------------------------------------------------------
    def sorted_rows(self, data: str, query: str) -> np.ndarray:
        """Rows with a data key, sorted by (group, arrival); shared by every filter on the key."""
        # Within a code family the data codes do not depend on the query attribute.
        key = ("__order__", data, data)
        if key not in self._orders:
            codes = self.codes(data, query)[0]
            rows = np.flatnonzero(codes >= 0)
            self._orders[key] = rows[group_order(codes[rows])]
        return self._orders[key]

    def groups(self, data: str, query: str, filter_text: str | None) -> Groups:
        key = (data, query, filter_text)
        if key not in self._groups:
            data_codes = self.codes(data, query)[0]
            order = self.sorted_rows(data, query)
            if filter_text is not None:
                order = order[self.masks[filter_text][order]]  # a subset keeps the sort order
            group = data_codes[order]
            prefix = np.zeros(len(order) + 1, dtype=I64)
            np.cumsum(self.amount[order], out=prefix[1:])
            self._groups[key] = Groups(
                order, group, group * self.n + order, group * self.m + self.rank_e[order], prefix
            )
        return self._groups[key]

    def bounds(self, groups: Groups, query: str, data: str, lower_rank: np.ndarray) -> tuple[np.ndarray, ...]:
        """Rows with a query key, and for each the data-point run [start, end) of its window.

        ``lower_rank`` is, per row, the rank of the window's exclusive lower bound.
        """
        rows, g = self.queries(data, query)
        if data == query:
            # Queries are the key's rows in (group, arrival) order and the data points are those
            # rows (or a filtered subset, in the same order): the run ends at the number of data
            # points before the query, an exclusive running count; no search needed.
            if len(groups.order) == len(rows):
                end = np.arange(len(rows), dtype=I64)
            else:
                kept = np.zeros(self.n, dtype=bool)
                kept[groups.order] = True
                end = np.cumsum(kept[rows], dtype=I64) - kept[rows]
        else:
            end = np.searchsorted(groups.seq_key, g * self.n + rows, side="left")
        start = np.searchsorted(groups.time_key, g * self.m + lower_rank[rows], side="right")
        return rows, start, end

    def window(self, f: WindowFeature) -> np.ndarray:
        text = f.filter.text if f.filter else None
        groups = self.groups(f.data, f.query, text)
        rows, start, end = self.bounds(groups, f.query, f.data, self.lower_rank(f.window_us))
        return self._aggregate(f.agg, groups, rows, start, end, f)

    def _aggregate(
        self, agg: str, groups: Groups, rows: np.ndarray, start: np.ndarray, end: np.ndarray, f: Feature
    ) -> np.ndarray:
        result = np.zeros(self.n, dtype=I64)
        if agg == "count":
            result[rows] = end - start
        elif agg == "sum":
            result[rows] = groups.prefix[end] - groups.prefix[start]
        elif agg == "max":
            result[rows] = range_max(self.amount[groups.order], start, end)
        else:
            assert isinstance(f, WindowFeature) and f.distinct is not None
            values = self.codes(f.distinct)[0][groups.order]
            cache_key = (f.data, f.query, f.filter.text if f.filter else None, f.distinct)
            if cache_key not in self._previous:
                self._previous[cache_key] = _previous_occurrence(groups.group, values)
            result[rows] = range_distinct(self._previous[cache_key], values, start, end)
        return result

    # --- calendar days -----------------------------------------------------------------------
    def day(self, f: DayFeature) -> np.ndarray:
        text = f.filter.text if f.filter else None
        groups = self.groups(f.key, f.key, text)
        offset = self.config.utc_offset_us
        day_start = (self.e + offset) // MICROS_PER_DAY * MICROS_PER_DAY - offset
        lower_rank = np.searchsorted(self.times, day_start - 1, side="right").astype(I64)
        rows, start, end = self.bounds(groups, f.key, f.key, lower_rank)
        return self._aggregate(f.agg, groups, rows, start, end, f)

    # --- novelty ---------------------------------------------------------------------------------
    def novelty(self, f: NoveltyFeature) -> np.ndarray:
        key_codes, value_codes = self.codes(f.key)[0], self.codes(f.attr)[0]
        rows = np.flatnonzero((key_codes >= 0) & (value_codes >= 0))
        pair = key_codes[rows] * (int(value_codes.max()) + 1) + value_codes[rows]
        order = group_order(pair)
        sorted_rows, sorted_pair = rows[order], pair[order]
        has_prev = np.zeros(len(order), dtype=bool)
        has_prev[1:] = sorted_pair[1:] == sorted_pair[:-1]
        last = np.full(len(order), -1, dtype=I64)
        last[1:] = self.e[sorted_rows[:-1]]
        is_new = ~has_prev | (last <= self.e[sorted_rows] - self.config.novelty_horizon_us)
        result = np.zeros(self.n, dtype=bool)
        result[sorted_rows] = is_new
        return result

    # --- history -----------------------------------------------------------------------------
    def history(self, f: HistoryFeature) -> np.ndarray:
        stats = self._history_stats(f.key)
        rows, n, s1, s2, last_e = stats
        config = self.config
        if f.stat == "count":
            return _scatter(self.n, rows, n, 0)
        if f.stat == "since_last":
            return _scatter(self.n, rows, np.where(n > 0, self.e[rows] - last_e, 0), 0)
        if f.stat == "unusual_hour":
            return self._unusual_hour(f.key, rows, n)
        seen = n > 0
        nf = np.where(seen, n, 1).astype(np.float64)
        mean = np.where(seen, s1.astype(np.float64) / nf, 0.0)
        if f.stat == "mean":
            return _scatter(self.n, rows, mean, 0.0)
        variance = s2 / nf - mean * mean
        std = np.where(seen & (variance > 0.0), np.sqrt(np.maximum(variance, 0.0)), 0.0)
        if f.stat == "std":
            return _scatter(self.n, rows, std, 0.0)
        limit = np.where(n >= config.zscore_min_history, mean + f.k * std, np.inf)
        return _scatter(self.n, rows, limit, np.inf)

    def _history_stats(self, key: str) -> tuple[np.ndarray, ...]:
        if key not in self._history:
            self._history[key] = self._compute_history_stats(key)
        return self._history[key]

    def _compute_history_stats(self, key: str) -> tuple[np.ndarray, ...]:
        groups = self.groups(key, key, None)
        order, group = groups.order, groups.group
        first = np.ones(len(order), dtype=bool)
        first[1:] = group[1:] != group[:-1]
        starts = np.flatnonzero(first)
        rank = np.arange(len(order), dtype=I64) - np.repeat(starts, np.diff(np.append(starts, len(order))))
        s1 = (
            groups.prefix[:-1] - groups.prefix[:-1][np.repeat(starts, np.diff(np.append(starts, len(order))))]
        )
        last_e = np.full(len(order), -1, dtype=I64)
        last_e[1:] = self.e[order[:-1]]
        x = self.amount[order].astype(np.float64)
        s2 = grouped_exclusive_float_cumsum(x * x, starts, rank)
        return order, rank, s1, s2, last_e

    def _unusual_hour(self, key: str, rows: np.ndarray, n: np.ndarray) -> np.ndarray:
        config = self.config
        hour = (self.ts[rows] + config.utc_offset_us) // MICROS_PER_HOUR % 24
        key_codes = self.codes(key)[0][rows]
        composite = key_codes * 24 + hour
        order = group_order(composite)
        sorted_c = composite[order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = sorted_c[1:] != sorted_c[:-1]
        starts = np.flatnonzero(first)
        in_hour = np.empty(len(order), dtype=I64)
        in_hour[order] = np.arange(len(order)) - np.repeat(starts, np.diff(np.append(starts, len(order))))
        flag = (n >= config.unusual_hour_min_history) & (in_hour * 100 < config.unusual_hour_max_percent * n)
        return _scatter(self.n, rows, flag, False)


def group_order(keys: np.ndarray) -> np.ndarray:
    """Stable argsort of non-negative int keys (ties keep arrival order).

    Making every key unique (key * n + position) lets an unstable, multi-threaded sort give the
    stable result; it is much faster than a stable merge sort on 64-bit keys.
    """
    n = len(keys)
    if n == 0:
        return np.zeros(0, dtype=I64)
    unique = keys.astype(I64) * n + np.arange(n, dtype=I64)
    return pl.Series(unique).arg_sort().to_numpy().astype(I64, copy=False)


def _scatter(n: int, rows: np.ndarray, values: np.ndarray, default: object) -> np.ndarray:
    result = np.full(n, default, dtype=np.asarray(values).dtype if len(values) else type(default))
    result[rows] = values
    return result


def grouped_exclusive_float_cumsum(values: np.ndarray, starts: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """Per-group exclusive running sum, added strictly in order (bit-identical to a Python loop).

    Ranks below SEQUENTIAL_RANKS advance all groups together; the rare longer groups finish with
    one sequential np.cumsum each, seeded with the running total reached so far.
    """
    out = np.zeros(len(values), dtype=np.float64)
    if not len(values):
        return out
    by_rank = np.argsort(rank, kind="stable")
    counts = np.bincount(rank)
    bounds = np.concatenate(([0], np.cumsum(counts)))
    top = min(len(counts), SEQUENTIAL_RANKS)
    for r in range(1, top):
        positions = by_rank[bounds[r] : bounds[r + 1]]
        out[positions] = out[positions - 1] + values[positions - 1]
    if len(counts) > SEQUENTIAL_RANKS:
        sizes = np.diff(np.append(starts, len(values)))
        for start in starts[sizes > SEQUENTIAL_RANKS]:
            size = int(sizes[np.searchsorted(starts, start)])
            first = start + SEQUENTIAL_RANKS - 1  # last position already computed above
            seed = np.concatenate(([out[first]], values[first : start + size - 1]))
            out[first : start + size] = np.cumsum(seed)
    return out


def range_max(values: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """max(values[start:end]) per query (0 when empty), via a sparse table built level by level."""
    result = np.zeros(len(start), dtype=I64)
    length = end - start
    live = np.flatnonzero(length > 0)
    if not len(live):
        return result
    level_of = np.zeros(len(live), dtype=I64)
    level_of[:] = np.floor(np.log2(length[live])).astype(I64)
    # Guard against log2 rounding at exact powers of two.
    level_of -= (1 << level_of) > length[live]
    level_of += (1 << (level_of + 1)) <= length[live]
    table = values.astype(I64, copy=True)
    for k in range(int(level_of.max()) + 1):
        pick = live[level_of == k]
        if len(pick):
            lo, hi = start[pick], end[pick] - (1 << k)
            result[pick] = np.maximum(table[lo], table[hi])
        span = 1 << k
        if len(table) > span:
            table = np.maximum(table[:-span], table[span:])
    return result


def range_distinct(prev: np.ndarray, values: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Distinct non-null values in values[start:end] per query.

    A position counts when it is the first occurrence of its value inside the run, i.e. its
    previous occurrence (same group and value) lies before ``start``. Short runs are scanned
    directly; long runs use per-block sorted "previous" positions to stay near-linear.
    """
    valid = values >= 0
    result = np.zeros(len(start), dtype=I64)
    length = end - start
    short = np.flatnonzero((length > 0) & (length <= 2 * DISTINCT_BLOCK))
    _scan(result, short, start, start, end, prev, valid)
    long = np.flatnonzero(length > 2 * DISTINCT_BLOCK)
    if len(long):
        _distinct_long(result, long, start, end, prev, valid)
    return result


def _scan(
    result: np.ndarray,
    queries: np.ndarray,
    window_start: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    prev: np.ndarray,
    valid: np.ndarray,
) -> None:
    """Add #{j in [lo, hi): valid[j] and prev[j] < window_start} for each query (direct scan)."""
    active = queries
    position = lo[active].copy()
    while len(active):
        ok = valid[position] & (prev[position] < window_start[active])
        result[active] += ok
        position += 1
        keep = position < hi[active]
        active, position = active[keep], position[keep]


def _distinct_long(
    result: np.ndarray,
    queries: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    prev: np.ndarray,
    valid: np.ndarray,
) -> None:
    block = DISTINCT_BLOCK
    total = len(prev)
    block_of = np.arange(total, dtype=I64) // block
    # Invalid positions never count: give them a "previous" that is never below any start.
    effective_prev = np.where(valid, prev, total + 1)
    keys = block_of * (total + 2) + (effective_prev + 1)
    flat = np.sort(keys)
    first_full = (start[queries] + block - 1) // block
    last_full = end[queries] // block  # exclusive
    head_end = np.minimum(first_full * block, end[queries])
    _scan(result, queries, start, start, _full(head_end, queries, len(start)), prev, valid)
    tail_start = np.maximum(last_full * block, head_end)
    has_tail = queries[tail_start < end[queries]]
    tail_lo = _full(tail_start, queries, len(start))
    _scan(result, has_tail, start, tail_lo, end, prev, valid)
    for offset in range(int((last_full - first_full).max(initial=0))):
        b = first_full + offset
        live = b < last_full
        if not live.any():
            break
        q, blk = queries[live], b[live]
        threshold = blk * (total + 2) + (start[q] + 1)  # counts entries with prev + 1 < start + 1
        below = np.searchsorted(flat, threshold, side="left") - np.searchsorted(flat, blk * (total + 2))
        result[q] += below


def _full(partial: np.ndarray, queries: np.ndarray, size: int) -> np.ndarray:
    out = np.zeros(size, dtype=I64)
    out[queries] = partial
    return out


def _previous_occurrence(group: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Position of the previous data point with the same group and value (-1 if none)."""
    prev = np.full(len(values), -1, dtype=I64)
    rows = np.flatnonzero(values >= 0)
    if not len(rows):
        return prev
    composite = group[rows] * (int(values.max()) + 1) + values[rows]
    order = group_order(composite)
    sorted_rows, sorted_c = rows[order], composite[order]
    same = sorted_c[1:] == sorted_c[:-1]
    prev[sorted_rows[1:][same]] = sorted_rows[:-1][same]
    return prev
