"""Recall and precision of alerts against labelled synthetic data.

*Recall* of a typology: the share of injected pattern instances of its target label(s) (column
``pattern``, see ``synthetic``) with at least one payment in the evidence of one of its alerts.
*Precision*: the share of its alerts whose evidence contains a payment of a target label;
``precision_any_label`` also accepts any other injected label (e.g. a pass-through alert on a
scatter-gather intermediary is a true laundering hit, just not the one measured).
"""

from __future__ import annotations

from typing import Any

import polars as pl

from .alerts import Alert

TARGETS: dict[str, tuple[str, ...]] = {
    "structuring": ("structuring",),
    "pass_through": ("rapid_in_out",),
    "fan_in": ("fan_in",),
    "fan_out": ("fan_out",),
    "cycle": ("cycle",),
    "scatter_gather": ("scatter_gather",),
    "gather_scatter": ("gather_scatter",),
    "dormant": ("dormant",),
    "unusual_cash": ("large_cash",),
}


def _evidence(alerts: list[Alert]) -> pl.DataFrame:
    return pl.DataFrame(
        {"alert": [a.key for a in alerts], "id": [list(a.payment_ids) for a in alerts]},
        schema={"alert": pl.String, "id": pl.List(pl.String)},
    ).explode("id")


def score(frame: pl.DataFrame, code: str, alerts: list[Alert]) -> dict[str, Any]:
    """Recall, precision and counts of one typology's alerts over a labelled frame."""
    targets = list(TARGETS[code])
    labels = frame.select("id", "label", "pattern").filter(pl.col("label") != "")
    evidence = _evidence(alerts).join(labels, on="id", how="left")
    instances = labels.filter(pl.col("label").is_in(targets)).get_column("pattern").n_unique()
    hit = evidence.filter(pl.col("label").is_in(targets)).get_column("pattern").n_unique()
    by_alert = evidence.group_by("alert").agg(
        pl.col("label").is_in(targets).any().alias("target"),
        pl.col("label").is_not_null().any().alias("any_label"),
    )
    n = len(alerts)
    # Instances injected by ``synthetic`` are named "label:#N"; the engine's by their subject.
    ours = pl.col("pattern").str.contains(":#")
    split = {}
    for name, which in (("recall_synthetic", ours), ("recall_engine", ~ours)):
        total = labels.filter(pl.col("label").is_in(targets) & which).get_column("pattern").n_unique()
        found = evidence.filter(pl.col("label").is_in(targets) & which).get_column("pattern").n_unique()
        if total and total != instances:
            split[name] = round(found / total, 4)
    return {
        **split,
        "alerts": n,
        "instances": instances,
        "recall": round(hit / instances, 4) if instances else None,
        "precision": round(by_alert.get_column("target").sum() / n, 4) if n else None,
        "precision_any_label": round(by_alert.get_column("any_label").sum() / n, 4) if n else None,
    }
