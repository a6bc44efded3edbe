"""Which stored payments make a large-value transaction report (R5.2), computed for one trade day.

The standards of PBOC Order [2016] No. 3, Art. 5 (and payment institutions' payment accounts since
2019), applied per customer, per trade day on the institution's calendar and time zone, single or
cumulative, inflow and outflow counted apart:

- cash deposits and withdrawals: RMB 50,000 or USD 10,000 equivalent;
- non-natural-person transfers: RMB 2,000,000 or USD 200,000;
- natural-person domestic transfers: RMB 500,000 or USD 100,000;
- natural-person cross-border transfers: RMB 200,000 or USD 10,000.

RMB payments are summed in RMB against the RMB threshold; foreign-currency payments are converted to
USD at the day's reference rates and summed against the USD threshold (the two are not mixed). A
payment that meets several standards is reported under each (a cash remittance is cash and a
transfer). Only payments that completed count: blocked ones, and held ones still waiting or
rejected, never moved money (docs/decisions/0600-aml-large-value-reports.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils.translation import gettext as _

from bastion.aml.choices import FundsDirection, LargeValueStandard
from bastion.aml.models import Customer, ExchangeRate
from bastion.platform.errors import FieldError
from bastion.risk.models import StoredPayment

CENT = Decimal("0.01")
CASH_CHANNELS = frozenset({"cash", "atm"})
CASH_BUSINESS = frozenset({"deposit", "withdrawal"})
COUNTER_CHANNELS = frozenset({"counter", "smart_counter"})
# Business types that move funds from one account to another (款项划转).
TRANSFER_BUSINESS = frozenset(
    {"transfer", "remittance", "bill_payment", "purchase", "refund", "fx_settlement"}
)
NATURAL_PERSON, INSTITUTION = "natural_person", "institution"


@dataclass(frozen=True)
class Standard:
    """One reporting standard: which payments it covers and its RMB and USD thresholds."""

    code: str
    cash: bool
    customer_kind: str | None
    cross_border: bool | None
    cny: Decimal
    usd: Decimal

    def threshold(self, measure_currency: str) -> Decimal:
        return self.cny if measure_currency == "CNY" else self.usd


STANDARDS = (
    Standard(LargeValueStandard.CASH, True, None, None, Decimal(50_000), Decimal(10_000)),
    Standard(LargeValueStandard.INSTITUTION_TRANSFER, False, INSTITUTION, None, Decimal(2_000_000), Decimal(200_000)),
    Standard(LargeValueStandard.PERSON_DOMESTIC, False, NATURAL_PERSON, False, Decimal(500_000), Decimal(100_000)),
    Standard(LargeValueStandard.PERSON_CROSS_BORDER, False, NATURAL_PERSON, True, Decimal(200_000), Decimal(10_000)),
)  # fmt: skip


@dataclass(frozen=True)
class Leg:
    """One side of a payment as one customer sees it."""

    payment_pk: int
    customer_no: str
    customer_kind: str
    direction: str
    is_cash: bool
    is_transfer: bool
    cross_border: bool
    branch_id: int | None


@dataclass
class Candidate:
    """A reportable group: one customer, standard, direction and measuring currency on the day."""

    customer_no: str
    customer_kind: str
    standard: str
    direction: str
    measure_currency: str
    threshold: Decimal
    branch_id: int | None = None
    total: Decimal = Decimal(0)
    single: bool = False
    items: list[tuple[int, Decimal]] = field(default_factory=list)


@dataclass
class DayResult:
    """The day's reportable groups, and the payments that could not be measured (with why)."""

    candidates: list[Candidate]
    problems: list[str]


def is_cash(payment: StoredPayment) -> bool:
    return payment.channel in CASH_CHANNELS or (
        payment.channel in COUNTER_CHANNELS and payment.business_type in CASH_BUSINESS
    )


def legs_of(payment: StoredPayment, *, known_kinds: dict[str, str]) -> Iterator[Leg]:
    """The payer's leg, and the payee's when the payee is one of our customers (KYC knows them)."""
    cash = is_cash(payment)
    transfer = payment.business_type in TRANSFER_BUSINESS
    if not cash and not transfer:
        return
    if cash and payment.business_type == "deposit":
        payer_direction = FundsDirection.INFLOW
    else:
        payer_direction = FundsDirection.OUTFLOW
    yield Leg(payment.pk, payment.payer_customer, payment.customer_type, payer_direction, cash, transfer,
              payment.cross_border, payment.branch_id)  # fmt: skip
    payee_kind = known_kinds.get(payment.payee_customer)
    if (
        transfer
        and payment.payee_customer
        and payee_kind
        and payment.payee_customer != payment.payer_customer
    ):
        yield Leg(payment.pk, payment.payee_customer, payee_kind, FundsDirection.INFLOW, cash, transfer,
                  payment.cross_border, None)  # fmt: skip


def standards_for(leg: Leg) -> Iterator[Standard]:
    for standard in STANDARDS:
        if standard.cash:
            if leg.is_cash:
                yield standard
            continue
        if not leg.is_transfer or leg.customer_kind != standard.customer_kind:
            continue
        if standard.cross_border is None or standard.cross_border == leg.cross_border:
            yield standard


def day_bounds(day: dt.date, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """The trade day as a half-open UTC interval in the institution's time zone."""
    start = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


# Blocked payments, and held ones still waiting or rejected, never moved money.
NOT_MOVED = Q(decision__action="block") | Q(review__status__in=("pending", "proposed", "rejected"))


def completed_payments(start: dt.datetime, end: dt.datetime) -> Iterable[StoredPayment]:
    """Payments of the interval that moved money: not blocked, not held waiting or rejected."""
    return (
        StoredPayment.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
        .exclude(NOT_MOVED)
        .only(
            "pk", "amount", "currency", "channel", "business_type", "payer_customer", "payee_customer",
            "customer_type", "cross_border", "branch_id",
        )
        .order_by("occurred_at", "pk")
        .iterator(chunk_size=2000)
    )  # fmt: skip


class RateBook:
    """USD equivalents at the reference rates of a day (the latest published on or before it)."""

    def __init__(self, day: dt.date) -> None:
        self.day = day
        self._cny_per_unit: dict[str, Decimal | None] = {}

    def _rate(self, currency: str) -> Decimal | None:
        if currency not in self._cny_per_unit:
            found = (
                ExchangeRate.objects.filter(currency=currency, day__lte=self.day)
                .order_by("-day")
                .values_list("cny_per_unit", flat=True)
                .first()
            )
            self._cny_per_unit[currency] = found
        return self._cny_per_unit[currency]

    def in_usd(self, amount: Decimal, currency: str) -> Decimal | None:
        if currency == "USD":
            return amount
        own, usd = self._rate(currency), self._rate("USD")
        if own is None or usd is None:
            return None
        return (amount * own / usd).quantize(CENT, rounding=ROUND_HALF_EVEN)


def _measure(payment: StoredPayment, rates: RateBook) -> tuple[str, Decimal] | None:
    amount = Decimal(payment.amount)
    if payment.currency == "CNY":
        return "CNY", amount.quantize(CENT, rounding=ROUND_HALF_EVEN)
    usd = rates.in_usd(amount, payment.currency)
    return None if usd is None else ("USD", usd)


def large_value_day(*, day: dt.date, tz: ZoneInfo) -> DayResult:
    """Every group that meets a standard on ``day``, with its payments in time order."""
    if not isinstance(day, dt.date):
        raise FieldError("day", _("Give a date."))
    start, end = day_bounds(day, tz)
    kinds = dict(Customer.objects.values_list("customer_no", "kind"))
    rates = RateBook(day)
    groups: dict[tuple[str, str, str, str], Candidate] = {}
    problems: list[str] = []
    for payment in completed_payments(start, end):
        measured = _measure(payment, rates)
        if measured is None:
            problems.append(
                _("Payment %(id)s: no %(currency)s or USD reference rate on or before %(day)s.")
                % {"id": payment.pk, "currency": payment.currency, "day": day.isoformat()}
            )
            continue
        measure_currency, amount = measured
        for leg in legs_of(payment, known_kinds=kinds):
            for standard in standards_for(leg):
                key = (leg.customer_no, standard.code, leg.direction, measure_currency)
                group = groups.get(key)
                if group is None:
                    group = groups[key] = Candidate(
                        leg.customer_no, leg.customer_kind, standard.code, leg.direction, measure_currency,
                        standard.threshold(measure_currency),
                    )  # fmt: skip
                group.branch_id = group.branch_id or leg.branch_id
                group.total += amount
                group.single = group.single or amount >= group.threshold
                group.items.append((leg.payment_pk, amount))
    reportable = [g for g in groups.values() if g.total >= g.threshold]
    reportable.sort(key=lambda g: (g.customer_no, g.standard, g.direction, g.measure_currency))
    return DayResult(reportable, problems)
