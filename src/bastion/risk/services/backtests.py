"""Backtests: replay stored payments through a rule-set text with the engine's batch path.

The frame holds every stored payment that occurred before the end of the window, in ``pk`` order
(the order the real-time owner scored them), so window features see the same history they would
have seen in real time; only payments inside the window are counted. The same frame is scored by
the version being tested and by the version active now, which gives the overlap.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
from django.conf import settings
from django.db.models import QuerySet

from bastion.engine import Engine, EngineConfig, RuleSet
from bastion.risk.models import StoredPayment
from bastion.risk.ratings import ReferenceModel
from bastion.risk.scorer import build_engine
from bastion.risk.services.lists import list_contents
from bastion.risk.services.reference import reference_tables

LEVELS = ("normal", "attention", "warning", "high_risk")
TEXT_COLUMNS = (
    "currency", "channel", "business_type", "payer_account", "payer_customer", "payee_account",
    "payee_customer", "customer_type", "counterparty_institution", "device_id", "ip", "city", "auth_method",
)  # fmt: skip
OPTIONAL = {"payee_account", "payee_customer", "counterparty_institution", "device_id", "ip", "city"}


def bank_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def window_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, the day after end 00:00) in the bank's time zone."""
    zone = bank_zone()
    return datetime.combine(start, time(), zone), datetime.combine(end + timedelta(days=1), time(), zone)


def history_frame(*, before: datetime) -> tuple[pl.DataFrame, list[bool | None]]:
    """Stored payments that occurred before ``before`` as boundary columns, in pk order, with outcomes."""
    return boundary_frame(StoredPayment.objects.filter(occurred_at__lt=before).order_by("pk"))


def boundary_frame(payments: QuerySet[StoredPayment]) -> tuple[pl.DataFrame, list[bool | None]]:
    """``payments`` (in the queryset's order) as the engine's boundary columns, with their outcomes."""
    fields = ("payment_id", "occurred_at", "amount", "cross_border", "confirmed_fraud", *TEXT_COLUMNS)
    rows = payments.values_list(*fields)
    columns: dict[str, list[Any]] = {name: [] for name in fields}
    for row in rows.iterator(chunk_size=5000):
        for name, value in zip(fields, row, strict=True):
            columns[name].append(value)
    outcomes = columns.pop("confirmed_fraud")
    data: dict[str, pl.Series] = {
        "id": pl.Series("id", columns.pop("payment_id"), dtype=pl.String),
        "timestamp": pl.Series("timestamp", columns.pop("occurred_at"), dtype=pl.Datetime("us", "UTC")),
        # Stored with four places; the engine refuses more places than the currency has.
        "amount": pl.Series("amount", [format(a.normalize(), "f") for a in columns.pop("amount")],
                            dtype=pl.String),
        "cross_border": pl.Series("cross_border", columns.pop("cross_border"), dtype=pl.Boolean),
    }  # fmt: skip
    for name in TEXT_COLUMNS:
        values = columns[name]
        if name in OPTIONAL:  # absent optional fields are stored as ""
            values = [v or None for v in values]
        data[name] = pl.Series(name, values, dtype=pl.String)
    return pl.DataFrame(data), outcomes


def score_history(engine: Engine, frame: pl.DataFrame) -> pl.DataFrame:
    """id, level, action and fired rule ids of every row, by the batch path."""
    if frame.height == 0:
        return pl.DataFrame(
            {"id": [], "level": [], "action": [], "fired": []},
            schema={"id": pl.String, "level": pl.String, "action": pl.String, "fired": pl.List(pl.String)},
        )
    return engine.score_frame(frame).output().select("id", "level", "action", "fired")


def _rates(flagged: list[bool], outcomes: list[bool | None]) -> dict[str, Any]:
    known = [(f, o) for f, o in zip(flagged, outcomes, strict=True) if o is not None]
    true_positive = sum(1 for f, o in known if f and o)
    flagged_known = sum(1 for f, _ in known if f)
    fraud = sum(1 for _, o in known if o)
    return {
        "known": len(known),
        "fraud": fraud,
        "flagged": flagged_known,
        "true_positive": true_positive,
        "precision": round(true_positive / flagged_known, 4) if flagged_known else None,
        "recall": round(true_positive / fraud, 4) if fraud else None,
    }


def run_backtest(
    *, text: str, start: date, end: date, compare_text: str | None, config: EngineConfig | None = None
) -> dict[str, Any]:
    """The backtest result (JSON-ready) of ``text`` over payments that occurred from start to end."""
    config = config or EngineConfig()
    # Lists as they are now: a backtest answers "what would these rules do with today's lists".
    lists = list_contents()[0]
    model = ReferenceModel(*reference_tables())
    low, high = window_bounds(start, end)
    frame, outcomes = history_frame(before=high)
    in_window = (frame["timestamp"] >= low.astimezone(UTC)).to_list() if frame.height else []
    scored = score_history(build_engine(text, config, lists, model), frame)
    zone = bank_zone()
    days: dict[str, Counter[str]] = {}
    day = start
    while day <= end:
        days[day.isoformat()] = Counter()
        day += timedelta(days=1)
    hits: Counter[str] = Counter()
    levels: Counter[str] = Counter()
    actions: Counter[str] = Counter()
    timestamps = frame["timestamp"].to_list() if frame.height else []
    flagged: list[bool] = []
    picked = [i for i, inside in enumerate(in_window) if inside]
    level_col, action_col, fired_col = (scored[c].to_list() for c in ("level", "action", "fired"))
    for i in picked:
        level = level_col[i]
        days[timestamps[i].astimezone(zone).date().isoformat()][level] += 1
        levels[level] += 1
        actions[action_col[i]] += 1
        hits.update(fired_col[i])
        flagged.append(level != "normal")
    window_outcomes = [outcomes[i] for i in picked]
    ruleset = RuleSet.from_toml(text)
    result: dict[str, Any] = {
        "payments": len(picked),
        "history": frame.height,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "days": [{"date": d, **{lv: counts[lv] for lv in LEVELS}} for d, counts in days.items()],
        "levels": {lv: levels[lv] for lv in LEVELS},
        "actions": dict(sorted(actions.items())),
        "rules": [
            {"id": r.id, "hits": hits[r.id], "reason_zh": r.reason_zh, "reason_en": r.reason_en}
            for r in ruleset.active
        ],
        "outcomes": _rates(flagged, window_outcomes),
        "overlap": None,
    }
    if compare_text is not None:
        other = score_history(build_engine(compare_text, config, lists, model), frame)["level"].to_list()
        theirs = [other[i] != "normal" for i in picked]
        result["overlap"] = {
            "both": sum(1 for a, b in zip(flagged, theirs, strict=True) if a and b),
            "only_this": sum(1 for a, b in zip(flagged, theirs, strict=True) if a and not b),
            "only_active": sum(1 for a, b in zip(flagged, theirs, strict=True) if b and not a),
            "neither": sum(1 for a, b in zip(flagged, theirs, strict=True) if not a and not b),
            "active_outcomes": _rates(theirs, window_outcomes),
        }
    return result
