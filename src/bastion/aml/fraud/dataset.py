"""Training data for the fraud model: payments, the engine's features for each, labels, periods.

Features come from the engine's batch path with the active rule set, over every payment before the
end of the held-out period in arrival order, so each row's features are what real time computed
(or would have computed) when that payment arrived. Labels:

* stored payments: confirmed fraud (set by held-payment reviews) and payments attached as evidence
  to a case decided "report" are positive; everything else counts as legitimate (most payments
  never get an outcome, and in fraud data an unknown outcome is overwhelmingly a good one);
* synthetic payments (``engine.generator``): the injected patterns' ``label`` is positive.

Rows are split by the payment's date in the bank's time zone: train on [train_start, train_end],
evaluate on the later [test_start, test_end]; payments outside both only feed the features.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
from django.conf import settings

from bastion.aml.fraud.model import PAYMENT_COLUMNS, feature_matrix
from bastion.aml.fraud.train import Split, TrainingError
from bastion.engine import EngineConfig
from bastion.engine.generator import generate
from bastion.risk.ratings import ReferenceModel

Progress = Callable[[str, int, int], None]
MAX_SYNTHETIC_ROWS = 2_000_000


@dataclass(frozen=True)
class Periods:
    """The training and held-out date ranges (inclusive, bank time zone)."""

    train_start: dt.date
    train_end: dt.date
    test_start: dt.date
    test_end: dt.date

    def check(self) -> None:
        """Raise TrainingError naming the first inconsistent bound."""
        if self.train_end < self.train_start:
            raise TrainingError("train_end is before train_start", field="train_end")
        if self.test_end < self.test_start:
            raise TrainingError("test_end is before test_start", field="test_end")
        if self.test_start <= self.train_end:
            raise TrainingError(
                "test_start must be after train_end: the held-out period comes later", field="test_start"
            )


@dataclass
class Dataset:
    """The two periods' matrices and the names of their columns, with the rule set they came from."""

    train: Split
    test: Split
    feature_names: list[str]
    ruleset_number: int
    history_rows: int


def bank_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def synthetic_payments(*, rows: int, seed: int, periods: Periods) -> tuple[pl.DataFrame, np.ndarray]:
    """Generated payments spread over both periods, with the generator's labels (1 = injected pattern)."""
    if not 1_000 <= rows <= MAX_SYNTHETIC_ROWS:
        raise TrainingError(
            f"synthetic rows must be from 1000 to {MAX_SYNTHETIC_ROWS}", field="synthetic_rows"
        )
    start = dt.datetime.combine(periods.train_start, dt.time(), bank_zone())
    days = (periods.test_end - periods.train_start).days + 1
    frame = generate(rows, seed=seed, start=start.astimezone(dt.UTC), days=days)
    labels = (frame["label"] != "").to_numpy().astype(np.int8)
    return frame.drop("label"), labels


def stored_payments(*, periods: Periods) -> tuple[pl.DataFrame, np.ndarray]:
    """Every stored payment before the end of the held-out period, with confirmed outcomes as labels."""
    from bastion.aml.models import CaseEvidence
    from bastion.risk.services.backtests import history_frame

    end = dt.datetime.combine(periods.test_end + dt.timedelta(days=1), dt.time(), bank_zone())
    frame, outcomes = history_frame(before=end)
    reported = set(
        CaseEvidence.objects.filter(case__decision="report", payment__isnull=False).values_list(
            "payment__payment_id", flat=True
        )
    )
    ids = frame["id"].to_list() if frame.height else []
    labels = np.array(
        [1 if outcome or pid in reported else 0 for pid, outcome in zip(ids, outcomes, strict=True)],
        dtype=np.int8,
    )
    return frame, labels


def build_dataset(
    *,
    frame: pl.DataFrame,
    labels: np.ndarray,
    periods: Periods,
    ruleset_text: str,
    ruleset_number: int,
    progress: Progress | None = None,
) -> Dataset:
    """Score ``frame`` (boundary columns, arrival order) with the rule set's features; split by date."""
    from bastion.risk.scorer import build_engine

    periods.check()
    if frame.height == 0:
        raise TrainingError("there are no payments to learn from", field="train_start")
    # No model and empty reference tables: only the features matter here, not the points.
    engine = build_engine(ruleset_text, EngineConfig(), None, ReferenceModel())
    result = engine.score_frame(frame, progress=progress)
    columns = result.feature_columns
    names = [*columns, *PAYMENT_COLUMNS]
    matrix = feature_matrix(result.frame, columns, names, utc_offset_us=engine.config.utc_offset_us)
    days = frame.select(
        pl.col("timestamp").dt.convert_time_zone(settings.TIME_ZONE).dt.date().alias("day")
    ).to_series()
    in_train = days.is_between(periods.train_start, periods.train_end).to_numpy()
    in_test = days.is_between(periods.test_start, periods.test_end).to_numpy()
    return Dataset(
        train=Split(matrix[in_train], labels[in_train]),
        test=Split(matrix[in_test], labels[in_test]),
        feature_names=names,
        ruleset_number=ruleset_number,
        history_rows=frame.height,
    )


def synthetic_periods(*, start: dt.date, days: int = 30, held_out_days: int = 9) -> Periods:
    """Default periods of a synthetic run: the last ``held_out_days`` days are held out."""
    if days <= held_out_days:
        raise TrainingError("the synthetic span must be longer than the held-out period", field="days")
    train_end = start + dt.timedelta(days=days - held_out_days - 1)
    return Periods(start, train_end, train_end + dt.timedelta(days=1), start + dt.timedelta(days=days - 1))
