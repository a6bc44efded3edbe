"""Exact money handling at the engine boundary.

Inside the engine every amount is an integer number of fen (0.01 CNY, the base currency), so window
sums are exact and the real-time and batch paths cannot disagree through rounding. Decimal values
come in at the boundary and leave as strings (``"1234.50"``); floats are refused because a float
cannot hold most decimal amounts exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from .errors import PaymentValidationError

BASE_CURRENCY = "CNY"
FEN_PER_YUAN = 100
# 10 billion yuan: far above any single payment, and small enough that fen * 2**10 stays exact in a
# float64 (2**53), which the mixed int/float comparisons of the rule language rely on.
MAX_AMOUNT_FEN = 10**12

# ISO 4217 minor units for the currencies a Chinese bank commonly books.
CURRENCY_EXPONENTS: dict[str, int] = {
    "CNY": 2,
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "HKD": 2,
    "MOP": 2,
    "SGD": 2,
    "AUD": 2,
    "CAD": 2,
    "CHF": 2,
    "JPY": 0,
    "KRW": 0,
}


def parse_decimal(value: object, field: str) -> Decimal:
    """Turn a boundary value into a Decimal, refusing floats and garbage with a field-named error."""
    if isinstance(value, bool):
        raise PaymentValidationError(field, "must be a decimal amount, not a boolean")
    if isinstance(value, float):
        raise PaymentValidationError(field, "must be an exact decimal (string or Decimal), not a float")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, str):
        text = value.strip().replace("_", "")
        try:
            result = Decimal(text)
        except InvalidOperation:
            raise PaymentValidationError(field, f"{value!r} is not a decimal number") from None
    else:
        raise PaymentValidationError(field, f"must be a decimal amount, got {type(value).__name__}")
    if not result.is_finite():
        raise PaymentValidationError(field, "must be a finite number")
    return result


def to_base_fen(amount: Decimal, currency: str, fx_rates: Mapping[str, Decimal]) -> int:
    """Convert an amount in ``currency`` to integer fen of the base currency.

    Foreign amounts are converted with the caller's rate (base units per one foreign unit) and
    rounded half-even to the fen, the usual banking convention.
    """
    exponent = CURRENCY_EXPONENTS.get(currency)
    if exponent is None:
        known = ", ".join(sorted(CURRENCY_EXPONENTS))
        raise PaymentValidationError("currency", f"unknown currency {currency!r}; known: {known}")
    if amount <= 0:
        raise PaymentValidationError("amount", "must be greater than zero")
    if amount.as_tuple().exponent < -exponent:  # type: ignore[operator]
        raise PaymentValidationError("amount", f"{currency} amounts have at most {exponent} decimal places")
    if currency == BASE_CURRENCY:
        fen = int(amount * FEN_PER_YUAN)
    else:
        rate = fx_rates.get(currency)
        if rate is None:
            raise PaymentValidationError("currency", f"no exchange rate to {BASE_CURRENCY} for {currency}")
        fen = int((amount * rate * FEN_PER_YUAN).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
        if fen <= 0:
            raise PaymentValidationError("amount", "converts to less than 0.01 CNY")
    if fen > MAX_AMOUNT_FEN:
        raise PaymentValidationError("amount", f"exceeds the engine maximum of {format_fen(MAX_AMOUNT_FEN)}")
    return fen


def format_fen(fen: int) -> str:
    """Render integer fen as a decimal yuan string, e.g. 123450 -> ``"1234.50"``."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{whole}.{cents:02d}"


def format_fen_float(value: float) -> str:
    """Render a fractional fen amount (e.g. a statistical limit) rounded to the fen.

    ``inf`` means "no limit" (not enough history) and is rendered as ``"inf"``.
    """
    if value != value:  # NaN never arises from the engine, but keep the renderer total.
        return "nan"
    if value in (float("inf"), float("-inf")):
        return "inf" if value > 0 else "-inf"
    return format_fen(round(value))


def yuan_literal_to_fen(text: str) -> int:
    """Convert a rule literal such as ``49999.99`` to fen; more than two decimals is an error."""
    value = Decimal(text.replace("_", ""))
    fen = value * FEN_PER_YUAN
    if fen != fen.to_integral_value():
        raise ValueError(f"money literal {text} has more than two decimal places")
    return int(fen)
