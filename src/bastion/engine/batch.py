"""Batch scoring: validate a table of payments, compute features column-wise, apply the same rules.

Row order is arrival order. Validation mirrors ``Payment.from_mapping`` exactly: values that the
vectorised fast paths cannot prove valid go through the very same Python validators, so a record
is accepted (and normalised to the same fen and microseconds) in batch iff it is in real time.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
import pyarrow as pa

from .batch_features import FeatureComputer, attributes_of, family_of
from .batch_memory import keep_freed_memory
from .config import EngineConfig
from .errors import BatchInputError, PaymentValidationError
from .features import Feature, feature_type
from .money import BASE_CURRENCY, MAX_AMOUNT_FEN, parse_decimal, to_base_fen
from .rules.to_polars import PolarsCompiler, feature_column
from .schema import (
    ENUMS,
    MAX_TEXT_LENGTH,
    OPTIONAL_TEXT,
    REQUIRED_FIELDS,
    REQUIRED_TEXT,
    timestamp_to_micros,
    validate_bool,
    validate_currency,
    validate_enum,
    validate_ip,
)
from .scoring import ACTIONS, LEVEL_LABELS_ZH, LEVELS, Decision

if TYPE_CHECKING:
    from .engine import Engine

Progress = Callable[[str, int, int], None]
# Threads for the feature families. Sequential unless set: threads only pay when glibc was asked
# for one shared arena before any thread allocated, which the engine commands and the benchmark
# do at start-up (bastion.cli.prepare_batch_process; otherwise page faults eat the gain, 0119).
FEATURE_THREADS = int(os.environ.get("BASTION_BATCH_THREADS") or 1)
ISO_FAST = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}:\d{2}$"
CNY_FAST = r"^[1-9]\d{0,9}(\.\d{1,2})?$|^0\.(0[1-9]|[1-9]\d?)$"
# Dotted quads without leading zeros: exactly what ipaddress.ip_address accepts for IPv4.
_OCTET = r"(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
IPV4_FAST = rf"^{_OCTET}(\.{_OCTET}){{3}}$"
ENGINE_COLUMNS = (
    "id",
    "ts",
    "amount",
    "currency",
    "channel",
    "business_type",
    "customer_type",
    "auth_method",
    "payer",
    "customer",
    "payee",
    "payee_customer",
    "institution",
    "device",
    "ip",
    "city",
    "cross_border",
)


# --- reading and writing -------------------------------------------------------------------------
def read_table(path: str | Path) -> pl.DataFrame:
    """Read Parquet, CSV or Arrow IPC (.arrow/.ipc/.feather). CSV columns are read as text."""
    path = Path(path)
    if not path.exists():
        raise BatchInputError(f"input file {path} does not exist")
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            return pl.read_parquet(path)
        if suffix == ".csv":
            return pl.read_csv(path, infer_schema=False)
        if suffix in (".arrow", ".ipc", ".feather"):
            return pl.read_ipc(path)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise BatchInputError(f"cannot read {path}: {exc}") from None
    raise BatchInputError(f"unsupported input format {suffix!r}; use .parquet, .csv or .arrow")


def write_table(frame: pl.DataFrame, path: str | Path) -> None:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        # lz4 rather than Polars' default zstd: a third less CPU for a scored 1M-row table
        # (0.57 s against 0.84 s) for a file about 30 % larger (decision 0120).
        frame.write_parquet(path, compression="lz4")
    elif suffix in (".arrow", ".ipc", ".feather"):
        frame.write_ipc(path)
    elif suffix == ".csv":
        lists = [name for name, dtype in frame.schema.items() if isinstance(dtype, pl.List)]
        flat = frame.with_columns(pl.col(name).list.join(" | ") for name in lists)
        flat.write_csv(path)
    else:
        raise BatchInputError(f"unsupported output format {suffix!r}; use .parquet, .csv or .arrow")


# --- validation and normalisation ---------------------------------------------------------------
def normalize(frame: pl.DataFrame, config: EngineConfig) -> pl.DataFrame:
    """Boundary columns -> engine columns (fen, UTC microseconds); raise naming field and row."""
    missing = sorted(name for name in REQUIRED_FIELDS if name not in frame.columns)
    if missing:
        raise BatchInputError(f"missing required column(s): {', '.join(missing)}")
    n = frame.height
    for name in sorted(REQUIRED_FIELDS):
        _require_no_nulls(frame[name], name)
    jobs: dict[str, Callable[[], pl.Series]] = {}
    done: dict[str, Future[pl.Series]] = {}
    for name, attr in {**REQUIRED_TEXT, **OPTIONAL_TEXT}.items():
        series = frame[name] if name in frame.columns else pl.Series(name, [None] * n, dtype=pl.String)
        jobs[attr] = partial(_text, series, name)
    jobs["currency"] = partial(_currency, frame, n)
    jobs["ts"] = partial(_timestamps, frame["timestamp"])
    # Submitted after the currency job, so a worker waiting on it never blocks the job it awaits.
    jobs["amount"] = lambda: _amounts(frame["amount"], done["currency"].result(), config)
    for name in ENUMS:
        jobs[name] = partial(_enum, frame[name], name)
    jobs["cross_border"] = partial(_cross_border, frame, n)
    jobs["ip"] = partial(_ip, frame, n)
    # The fields are independent column passes and Polars releases the GIL: checking them side by
    # side halves validation's wall time on two cores. Results are read in the order above, so the
    # error reported for a table with several bad fields is the same as when checked one by one.
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="bastion-validate") as pool:
        for field, job in jobs.items():
            done[field] = pool.submit(job)
        columns = {field: future.result() for field, future in done.items()}
    return pl.DataFrame({name: columns[name].rename(name) for name in ENGINE_COLUMNS})


def _currency(frame: pl.DataFrame, n: int) -> pl.Series:
    if "currency" not in frame.columns:
        return pl.repeat(BASE_CURRENCY, n, dtype=pl.String, eager=True)
    return _by_unique(_as_text(frame["currency"], "currency"), "currency", validate_currency)


def _ip(frame: pl.DataFrame, n: int) -> pl.Series:
    ip = frame["ip"] if "ip" in frame.columns else pl.Series("ip", [None] * n, dtype=pl.String)
    ip_text = _as_text(ip, "ip")
    unproven = ip_text.filter(~ip_text.str.contains(IPV4_FAST).fill_null(True))
    return _by_unique(ip_text, "ip", validate_ip, skip_null=True, candidates=unproven)


def _first_row(mask: pl.Series) -> int:
    return int(mask.arg_true()[0])


def _require_no_nulls(series: pl.Series, name: str) -> None:
    if series.null_count():
        raise PaymentValidationError(name, "is required", row=_first_row(series.is_null()))


def _as_text(series: pl.Series, name: str) -> pl.Series:
    if series.dtype in (pl.String, pl.Categorical, pl.Enum, pl.Null):
        return series.cast(pl.String)
    raise PaymentValidationError(name, f"must be text, found column type {series.dtype}", row=0)


def _text(series: pl.Series, name: str) -> pl.Series:
    text = _as_text(series, name)
    lengths = text.str.len_chars()
    if (lengths == 0).any():
        raise PaymentValidationError(
            name, "must not be empty", row=_first_row((lengths == 0).fill_null(False))
        )
    too_long = (lengths > MAX_TEXT_LENGTH).fill_null(False)
    if too_long.any():
        raise PaymentValidationError(
            name, f"is longer than {MAX_TEXT_LENGTH} characters", row=_first_row(too_long)
        )
    return text


def _by_unique(
    series: pl.Series,
    name: str,
    check: Callable[[Any], Any],
    *,
    skip_null: bool = False,
    candidates: pl.Series | None = None,
) -> pl.Series:
    """Validate each distinct value once with the real-time validator; report the first bad row.

    ``candidates`` narrows the values to check to those a vectorised fast path could not prove.
    """
    for value in (series if candidates is None else candidates).unique().to_list():
        if value is None and skip_null:
            continue
        try:
            check(value)
        except PaymentValidationError as exc:
            bad = series.is_null() if value is None else (series == value).fill_null(False)
            raise PaymentValidationError(exc.field, exc.message, row=_first_row(bad)) from None
    return series


def _enum(series: pl.Series, name: str) -> pl.Series:
    """Enumerated text as a Polars Enum: one cast validates every row, and the rules then compare
    small integer codes instead of strings (decision 0117). Values read back are the same text."""
    text = _as_text(series, name)
    coded = text.cast(pl.Enum(ENUMS[name]), strict=False)
    unknown = (coded.is_null() & text.is_not_null()).fill_null(False)
    if unknown.any():
        row = _first_row(unknown)
        try:
            validate_enum(name, text[row])
        except PaymentValidationError as exc:
            raise PaymentValidationError(exc.field, exc.message, row=row) from None
    return coded


def _timestamps(series: pl.Series) -> pl.Series:
    if isinstance(series.dtype, pl.Datetime):
        if series.dtype.time_zone is None:
            raise PaymentValidationError(
                "timestamp", "must be timezone-aware (column has no time zone)", row=0
            )
        micros = series.dt.convert_time_zone("UTC").dt.epoch("us")
    elif series.dtype == pl.String:
        fast = series.str.contains(ISO_FAST).fill_null(False)
        parsed = series.str.to_datetime(
            "%Y-%m-%dT%H:%M:%S%.f%:z", time_unit="us", time_zone="UTC", strict=False
        )
        micros = pl.Series(parsed.dt.epoch("us")).set(~fast, None)
        slow = micros.is_null()
        if slow.any():
            micros = _slow_path(series, micros, slow, timestamp_to_micros, "timestamp")
    else:
        raise PaymentValidationError(
            "timestamp", f"must be an ISO-8601 text or datetime, found {series.dtype}", row=0
        )
    negative = (micros < 0).fill_null(False)
    if negative.any():
        raise PaymentValidationError("timestamp", "is before 1970-01-01", row=_first_row(negative))
    return micros.cast(pl.Int64)


def _amounts(series: pl.Series, currency: pl.Series, config: EngineConfig) -> pl.Series:
    if series.dtype.is_float():
        raise PaymentValidationError(
            "amount", "must be an exact decimal (string or Decimal), not a float", row=0
        )
    if series.dtype.is_integer() or isinstance(series.dtype, pl.Decimal):
        series = series.cast(pl.String)
    elif series.dtype != pl.String:
        raise PaymentValidationError("amount", f"must be a decimal amount, found {series.dtype}", row=0)
    fast = (series.str.contains(CNY_FAST).fill_null(False) & (currency == BASE_CURRENCY)).fill_null(False)
    # Only texts the fast pattern proves (at most 10 integer digits, at most 2 decimals) are taken
    # from the decimal cast, where they are exact: its physical value is the amount in fen.
    fen = series.cast(pl.Decimal(18, 2), strict=False).to_physical().cast(pl.Int64).set(~fast, None)
    slow = fen.is_null()
    if slow.any():
        currencies = currency.to_list()

        def convert(value: Any, row: int) -> int:
            return to_base_fen(parse_decimal(value, "amount"), currencies[row], config.fx_rates)

        fen = _slow_path(series, fen, slow, convert, "amount", with_row=True)
    too_big = (fen > MAX_AMOUNT_FEN).fill_null(False)
    if too_big.any():  # pragma: no cover - the fast path admits at most 10 integer digits
        raise PaymentValidationError("amount", "exceeds the engine maximum", row=_first_row(too_big))
    return fen.cast(pl.Int64)


def _slow_path(
    source: pl.Series,
    result: pl.Series,
    slow: pl.Series,
    convert: Callable[..., int],
    name: str,
    *,
    with_row: bool = False,
) -> pl.Series:
    """Convert the rows the fast path could not prove valid with the real-time function."""
    rows = slow.arg_true().to_list()
    values = source.gather(rows).to_list()
    converted = result.to_list()
    for row, value in zip(rows, values, strict=True):
        try:
            converted[row] = convert(value, row) if with_row else convert(value)
        except PaymentValidationError as exc:
            raise PaymentValidationError(exc.field, exc.message, row=row) from None
    return pl.Series(name, converted, dtype=pl.Int64)


def _cross_border(frame: pl.DataFrame, n: int) -> pl.Series:
    if "cross_border" not in frame.columns:
        return pl.Series("cross_border", [False] * n, dtype=pl.Boolean)
    series = frame["cross_border"]
    if series.dtype == pl.Boolean:
        if series.null_count():
            raise PaymentValidationError(
                "cross_border", "must be true or false, got None", row=_first_row(series.is_null())
            )
        return series
    text = _as_text(series, "cross_border")
    _by_unique(text, "cross_border", lambda v: validate_bool("cross_border", v))
    return text == "true"


# --- scoring ---------------------------------------------------------------------------------------
@dataclass
class BatchResult:
    """Scored table: ``frame`` holds the normalised payments, features ``f0..``, rule flags ``r0..``
    and the decision columns; ``output()`` is the analyst-facing view."""

    engine: Engine
    frame: pl.DataFrame

    @property
    def feature_columns(self) -> dict[str, str]:
        return {f.name: feature_column(i) for i, f in enumerate(self.engine.features)}

    def output(self) -> pl.DataFrame:
        """id, decision columns and every feature under its canonical name."""
        renamed = [pl.col(column).alias(name) for name, column in self.feature_columns.items()]
        decision = [
            "score",
            "level",
            "level_zh",
            "action",
            "required_auth",
            "fired",
            "reasons_zh",
            "reasons_en",
        ]
        return self.frame.select(
            pl.col("id"), *(pl.col(c) for c in decision), pl.col("model_points"), *renamed
        )

    def decisions(self) -> Iterator[Decision]:
        """Decision objects built by the same code as real time (for APIs and differential tests)."""
        engine = self.engine
        rule_columns = [f"r{j}" for j in range(len(engine.rules))]
        feature_cols = [feature_column(i) for i in range(len(engine.features))]
        for row in self.frame.iter_rows(named=True):
            fired = [j for j, column in enumerate(rule_columns) if row[column]]
            values = [row[c] for c in feature_cols]
            yield engine.decide(row["id"], fired, values, row.__getitem__, row["model_points"])


def score_frame(engine: Engine, frame: pl.DataFrame, *, progress: Progress | None = None) -> BatchResult:
    report = progress or (lambda stage, done, total: None)
    keep_freed_memory()
    total_steps = len(engine.features) + 3
    report("validate", 0, total_steps)
    payments = normalize(frame, engine.config)
    return score_normalized(engine, payments, report, total_steps)


def score_normalized(
    engine: Engine, payments: pl.DataFrame, report: Progress, total_steps: int
) -> BatchResult:
    compiler = PolarsCompiler(engine.feature_index, engine.config.utc_offset_us, engine.lists)
    masks: dict[str, np.ndarray] = {}
    if engine.filters:
        mask_frame = payments.select(
            compiler.expr(node).fill_null(False).alias(text) for text, node in engine.filters.items()
        )
        masks = {text: mask_frame[text].to_numpy() for text in engine.filters}
    report("features", 1, total_steps)
    used = [a for feature in engine.features for a in attributes_of(feature)]
    computer = FeatureComputer(payments, engine.config, masks, used)
    values = _compute_features(engine, computer, lambda done: report("features", 2 + done, total_steps))
    columns = []
    for index, feature in enumerate(engine.features):
        dtype = {"bool": pl.Boolean, "int": pl.Int64, "duration": pl.Int64}.get(feature_type(feature))
        series = pl.Series(feature_column(index), values[index])
        columns.append(series.cast(dtype) if dtype is not None else series)
    scored = payments.with_columns(columns)
    report("rules", total_steps - 1, total_steps)
    rules = [compiler.expr(r.condition).fill_null(False).alias(f"r{j}") for j, r in enumerate(engine.rules)]
    scored = scored.with_columns(rules) if rules else scored
    model_points = _model_points(engine, scored)
    scored = _with_decisions(engine, scored.with_columns(model_points.alias("model_points")))
    report("rules", total_steps, total_steps)
    return BatchResult(engine, scored)


def _compute_features(
    engine: Engine, computer: FeatureComputer, done: Callable[[int], None], threads: int | None = None
) -> dict[int, np.ndarray]:
    """Compute every feature, key family by key family, on up to ``threads`` threads.

    numpy releases the GIL in the sorts, searches and gathers that make up a family, so families
    can run side by side; the largest family starts first so the others fill the second core.
    Each family's sorts and prefix sums are dropped when it is done (decisions 0115, 0119).
    """
    tasks: dict[tuple[str, ...], list[tuple[int, Feature]]] = {}
    for index, feature in enumerate(engine.features):
        tasks.setdefault(family_of(feature), []).append((index, feature))
    families = sorted(tasks, key=lambda family: -len(tasks[family]))
    workers = max(1, min(len(families), threads or FEATURE_THREADS))
    results: dict[int, np.ndarray] = {}
    if workers == 1:
        computer.prepare_codes([a for feature in engine.features for a in attributes_of(feature)])
        for family in families:
            results.update(computer.compute_task(family, tasks[family]))
            done(len(results))
        return results
    # Codes are built on demand (memoised under a lock): a family encodes what it reads first.
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bastion-features") as pool:
        futures = [pool.submit(computer.compute_task, family, tasks[family]) for family in families]
        for future in as_completed(futures):
            results.update(future.result())
            done(len(results))
    return results


def _model_points(engine: Engine, scored: pl.DataFrame) -> pl.Series:
    if engine.model is None:
        return pl.Series("model_points", [0] * scored.height, dtype=pl.Int64)
    columns = {f.name: feature_column(i) for i, f in enumerate(engine.features)}
    points = engine.model.score_batch(scored, columns).cast(pl.Int64)
    bad = (points.is_null() | (points < 0) | (points > 100)).fill_null(True)
    if len(points) != scored.height or bad.any():
        raise BatchInputError("model contribution must be whole points from 0 to 100 for every row")
    return points


def _label_lists(rows: np.ndarray, columns: np.ndarray, labels: list[str], height: int) -> pl.Series:
    """Per row, the labels of its fired rules in rule order, built in bulk as an Arrow list column."""
    offsets = np.zeros(height + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=height), out=offsets[1:])
    values = pa.array(np.asarray(labels, dtype=object)[columns] if labels else [], type=pa.large_string())
    array = pa.LargeListArray.from_arrays(pa.array(offsets, type=pa.int64()), values)
    series = pl.from_arrow(array)
    assert isinstance(series, pl.Series)
    return series.cast(pl.List(pl.String))


def _with_decisions(engine: Engine, scored: pl.DataFrame) -> pl.DataFrame:
    """Score, level, action and reason lists from the rule flags (same policy as Engine.decide).

    Only the few rows that fired a rule (about 5 %) are read out of Polars: the rule points,
    minimum levels and actions are applied to that subset as one small matrix.
    """
    policy = engine.policy
    n = scored.height
    compiled = engine.rules
    total = scored["model_points"].to_numpy().astype(np.int64)
    if compiled:
        rule_columns = [f"r{j}" for j in range(len(compiled))]
        any_fired = scored.select(pl.any_horizontal(rule_columns).arg_true()).to_series().to_numpy()
        matrix = scored.select(rule_columns)[any_fired].to_numpy().astype(bool)
        sub_rows, columns = np.nonzero(matrix)  # row-major: rule order within a row
        rows = any_fired[sub_rows].astype(np.int64)
        points = np.array([c.rule.points for c in compiled], dtype=np.int64)
        total[any_fired] += matrix.astype(np.int64) @ points
    else:
        any_fired = rows = columns = np.zeros(0, dtype=np.int64)
        matrix = np.zeros((0, 0), dtype=bool)
    score = np.clip(total, 0, 100)
    level = np.select(
        [score >= policy.high_risk, score >= policy.warning, score >= policy.attention], [3, 2, 1], 0
    )
    if compiled:
        min_ranks = np.array([c.min_rank for c in compiled], dtype=np.int64)
        level[any_fired] = np.maximum(level[any_fired], (matrix * min_ranks).max(axis=1))
    action = np.array([ACTIONS.index(policy.actions[name]) for name in LEVELS], dtype=np.int64)[level]
    if compiled:
        action_ranks = np.array([c.action_rank for c in compiled], dtype=np.int64)
        action[any_fired] = np.maximum(action[any_fired], (matrix * action_ranks).max(axis=1))
    challenge = np.flatnonzero(action == ACTIONS.index("challenge"))
    methods = list(policy.challenge_methods)
    auth_rows = np.repeat(challenge, len(methods))
    auth_columns = np.tile(np.arange(len(methods), dtype=np.int64), len(challenge))
    level_index = pl.Series(level.astype(np.uint32))
    rules = [c.rule for c in compiled]
    return scored.with_columns(
        pl.Series("score", score, dtype=pl.Int64),
        pl.Series("level", LEVELS, dtype=pl.String).gather(level_index),
        pl.Series("level_zh", [LEVEL_LABELS_ZH[x] for x in LEVELS], dtype=pl.String).gather(level_index),
        pl.Series("action", ACTIONS, dtype=pl.String).gather(pl.Series(action.astype(np.uint32))),
        _label_lists(auth_rows, auth_columns, methods, n).alias("required_auth"),
        _label_lists(rows, columns, [r.id for r in rules], n).alias("fired"),
        _label_lists(rows, columns, [r.reason_zh for r in rules], n).alias("reasons_zh"),
        _label_lists(rows, columns, [r.reason_en for r in rules], n).alias("reasons_en"),
    )
