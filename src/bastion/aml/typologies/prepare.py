"""Boundary frame -> the narrow, typed frames the typologies read.

``prepare`` validates and converts once: timestamps become Int64 microseconds since the epoch (UTC),
amounts become Int64 fen parsed from their decimal text (never through a float), and every row gets
a ``kind``: ``cash_in``, ``cash_out``, ``transfer`` or ``other``. ``movements`` turns payments into
one row per account side (an inflow for the payee, an outflow for the payer), which is what the
account-centred typologies (pass-through, fan-in/out, gather-scatter) aggregate.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

import polars as pl

from .params import FEN_PER_YUAN, InputParams

REQUIRED = ("id", "timestamp", "amount", "channel", "business_type", "payer_account", "payer_customer")
OPTIONAL_TEXT = ("payee_account", "payee_customer", "customer_type", "currency")
AMOUNT_PATTERN = r"^[0-9]+(\.[0-9]{1,2})?$"
PREPARED_SCHEMA = {
    "id": pl.String,
    "ts": pl.Int64,
    "fen": pl.Int64,
    "kind": pl.String,
    "payer_account": pl.String,
    "payer_customer": pl.String,
    "payee_account": pl.String,
    "payee_customer": pl.String,
    "customer_type": pl.String,
}


class TypologyInputError(ValueError):
    """The payment frame cannot be read (missing column, bad amount); names the column."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(f"{column}: {message}")
        self.column = column


def _check_columns(frame: pl.DataFrame) -> pl.DataFrame:
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise TypologyInputError(missing[0], f"required column missing (have {', '.join(frame.columns)})")
    extra = [pl.lit(None, dtype=pl.String).alias(c) for c in OPTIONAL_TEXT if c not in frame.columns]
    return frame.with_columns(extra) if extra else frame


def _timestamp_micros(frame: pl.DataFrame) -> pl.Expr:
    dtype = frame.schema["timestamp"]
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is None:
            raise TypologyInputError("timestamp", "must be timezone-aware (UTC)")
        return pl.col("timestamp").dt.convert_time_zone("UTC").dt.epoch("us")
    if dtype == pl.Int64:  # already microseconds (prepared elsewhere, e.g. tests)
        return pl.col("timestamp")
    raise TypologyInputError("timestamp", f"must be an aware Datetime, got {dtype}")


def _amount_fen(frame: pl.DataFrame) -> pl.Series:
    """Decimal text -> fen by integer arithmetic on the two parts of the string."""
    text = frame.get_column("amount").cast(pl.String).str.strip_chars()
    bad = ~text.str.contains(AMOUNT_PATTERN).fill_null(False)
    if bad.any():
        example = text.filter(bad).head(1).to_list()
        raise TypologyInputError("amount", f"{bad.sum()} amounts are not positive decimals (e.g. {example})")
    parts = text.str.split_exact(".", 1).struct.unnest()
    whole = parts.get_column("field_0").cast(pl.Int64)
    cents = parts.get_column("field_1").fill_null("0").str.pad_end(2, "0").cast(pl.Int64)
    return (whole * FEN_PER_YUAN + cents).alias("fen")


def _convert_currency(frame: pl.DataFrame, fen: pl.Series, inputs: InputParams) -> pl.Series:
    """Foreign amounts to CNY fen with the caller's rates, half-even (rare rows, so per row)."""
    currency = frame.get_column("currency").fill_null("CNY")
    foreign = currency != "CNY"
    if not foreign.any():
        return fen
    rates = dict(inputs.fx_rates)
    values = fen.to_list()
    for index in foreign.arg_true().to_list():
        code = currency[index]
        if code not in rates:
            raise TypologyInputError("currency", f"no rate to CNY for {code} (set input.fx_rates)")
        converted = Decimal(values[index]) * rates[code]
        values[index] = int(converted.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    return pl.Series("fen", values, dtype=pl.Int64)


def prepare(frame: pl.DataFrame, inputs: InputParams) -> pl.DataFrame:
    """The typed payment frame (``PREPARED_SCHEMA``), sorted by (ts, id)."""
    frame = _check_columns(frame)
    fen = _convert_currency(frame, _amount_fen(frame), inputs)
    cash = pl.col("business_type").is_in(list(inputs.cash_types)) & pl.col("channel").is_in(
        list(inputs.cash_channels)
    )
    transfer = (
        pl.col("business_type").is_in(list(inputs.transfer_types)) & pl.col("payee_account").is_not_null()
    )
    kind = (
        pl.when(cash & (pl.col("business_type") == "deposit"))
        .then(pl.lit("cash_in"))
        .when(cash)
        .then(pl.lit("cash_out"))
        .when(transfer)
        .then(pl.lit("transfer"))
        .when(pl.col("business_type").is_in(list(inputs.non_monetary)))
        .then(pl.lit("none"))
        .otherwise(pl.lit("other"))
    )
    out = frame.select(
        pl.col("id").cast(pl.String),
        _timestamp_micros(frame).alias("ts"),
        fen,
        kind.alias("kind"),
        *(pl.col(c).cast(pl.String) for c in ("payer_account", "payer_customer", "payee_account")),
        pl.col("payee_customer").cast(pl.String),
        pl.col("customer_type").cast(pl.String),
    )
    if out.get_column("id").null_count() or out.get_column("ts").null_count():
        raise TypologyInputError("id", "ids and timestamps must not be null")
    return out.sort("ts", "id")


def movements(prepared: pl.DataFrame, *, include_cash: bool, exempt: tuple[str, ...] = ()) -> pl.DataFrame:
    """One row per account side: account, customer, ts, id, fen, inflow (bool), counterparty.

    Sides of accounts starting with an ``exempt`` prefix are left out (they are never subjects).
    """
    transfers = prepared.filter(pl.col("kind") == "transfer")
    outs = transfers.select(
        pl.col("payer_account").alias("account"),
        pl.col("payer_customer").alias("customer"),
        "ts",
        "id",
        "fen",
        pl.lit(False).alias("inflow"),
        pl.col("payee_account").alias("counterparty"),
    )
    ins = transfers.select(
        pl.col("payee_account").alias("account"),
        pl.col("payee_customer").alias("customer"),
        "ts",
        "id",
        "fen",
        pl.lit(True).alias("inflow"),
        pl.col("payer_account").alias("counterparty"),
    )
    parts = [outs, ins]
    if include_cash:
        cash = prepared.filter(pl.col("kind").is_in(["cash_in", "cash_out"]))
        parts.append(
            cash.select(
                pl.col("payer_account").alias("account"),
                pl.col("payer_customer").alias("customer"),
                "ts",
                "id",
                "fen",
                (pl.col("kind") == "cash_in").alias("inflow"),
                pl.lit(None, dtype=pl.String).alias("counterparty"),
            )
        )
    out = pl.concat(parts)
    if exempt:
        out = out.filter(~pl.any_horizontal(pl.col("account").str.starts_with(p) for p in exempt))
    return out.sort("account", "ts", "id")
