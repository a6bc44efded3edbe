"""Synthetic payments for tests, benchmarks and the demo. Deterministic for a given seed.

The population: natural persons and institutions living in Chinese cities, each with accounts,
devices, a typical amount (log-normal) and an activity rate; payments follow daily and weekly
cycles. On top of the background traffic we inject labelled patterns (column ``label``): bursts,
account takeover, structuring under the cash threshold, rapid in-and-out, fan-out, fan-in,
dormant reactivation and large cash. A small share of rows arrive out of timestamp order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import polars as pl

from .config import MICROS_PER_DAY, MICROS_PER_HOUR, MICROS_PER_SECOND
from .schema import EPOCH, ONE_MICROSECOND

CITIES = (
    ("上海", 14), ("北京", 13), ("深圳", 10), ("广州", 10), ("成都", 8), ("杭州", 8), ("重庆", 7),
    ("武汉", 6), ("西安", 5), ("南京", 5), ("苏州", 5), ("天津", 4), ("长沙", 4), ("郑州", 4),
    ("青岛", 3), ("沈阳", 3), ("昆明", 2), ("厦门", 2), ("哈尔滨", 2), ("乌鲁木齐", 1),
)  # fmt: skip
# Share of payments per local hour (sums to 1): quiet nights, a morning and an evening peak.
HOUR_WEIGHTS = np.array(
    [4, 2, 1, 1, 1, 2, 6, 14, 26, 38, 44, 46, 40, 36, 42, 44, 42, 40, 38, 42, 44, 36, 22, 10], dtype=float
)
PERSON_CHANNELS = (("mobile", 40), ("third_party", 22), ("bank_card", 14), ("pos", 10), ("atm", 5),
                   ("cash", 3), ("counter", 2), ("smart_counter", 2), ("digital_currency", 2))  # fmt: skip
ORG_CHANNELS = (("counter", 30), ("bank_card", 30), ("mobile", 20), ("smart_counter", 10), ("cash", 10))
BUSINESS_BY_CHANNEL = {
    "cash": (("deposit", 50), ("withdrawal", 50)),
    "atm": (("withdrawal", 80), ("deposit", 10), ("inquiry", 10)),
    "pos": (("purchase", 100),),
    "third_party": (("purchase", 60), ("transfer", 25), ("bill_payment", 15)),
    "mobile": (("transfer", 50), ("purchase", 25), ("bill_payment", 20), ("remittance", 5)),
    "bank_card": (("purchase", 50), ("transfer", 40), ("remittance", 10)),
    "counter": (("transfer", 40), ("remittance", 30), ("deposit", 15), ("withdrawal", 15)),
    "smart_counter": (
        ("transfer", 50),
        ("account_opening", 10),
        ("information_change", 10),
        ("remittance", 30),
    ),
    "digital_currency": (("transfer", 60), ("purchase", 40)),
}
AUTH_BY_CHANNEL = {
    "cash": (("none", 60), ("password", 40)),
    "atm": (("password", 100),),
    "pos": (("password", 60), ("qr_code", 40)),
    "counter": (("password", 50), ("face", 30), ("multi_factor", 20)),
    "smart_counter": (("face", 50), ("fingerprint", 30), ("multi_factor", 20)),
}
DEFAULT_AUTH = (("password", 35), ("dynamic_code", 25), ("fingerprint", 15), ("face", 15), ("qr_code", 8),
                ("multi_factor", 1), ("voice", 0.5), ("iris", 0.5))  # fmt: skip
INSTITUTIONS = ("ICBC", "CCB", "ABC", "BOC", "BOCOM", "CMB", "CITIC", "SPDB", "HSBC-CN", "ALIPAY", "TENPAY")
# Merchant popularity: a long tail where the most popular of 20,000 merchants takes about 1%.
MERCHANTS = np.arange(20_000)
MERCHANT_WEIGHTS = 1.0 / (MERCHANTS + 1.0) ** 0.7
MERCHANT_WEIGHTS /= MERCHANT_WEIGHTS.sum()
LABELS = (
    "burst",
    "account_takeover",
    "structuring",
    "rapid_in_out",
    "fan_out",
    "fan_in",
    "dormant",
    "large_cash",
)


@dataclass(frozen=True)
class Population:
    customer: np.ndarray
    is_org: np.ndarray
    account: np.ndarray
    city: np.ndarray
    device: np.ndarray
    ip: np.ndarray
    mu: np.ndarray  # log of typical amount in yuan
    rate: np.ndarray  # relative activity


def _choice(rng: np.random.Generator, table: tuple[tuple[str, float], ...], size: int) -> np.ndarray:
    names = np.array([name for name, _ in table], dtype=object)
    weights = np.array([w for _, w in table], dtype=float)
    return names[rng.choice(len(names), size=size, p=weights / weights.sum())]


def population(rng: np.random.Generator, size: int) -> Population:
    is_org = rng.random(size) < 0.05
    index = np.arange(size)
    customer = np.array([f"C{i:07d}" for i in index], dtype=object)
    account = np.array(
        [f"{'9558' if o else '6222'}{i:012d}" for i, o in zip(index, is_org, strict=True)], dtype=object
    )
    city = _choice(rng, tuple((c, w) for c, w in CITIES), size)
    device = np.array([f"D{i:08d}" for i in index], dtype=object)
    ip = np.array([f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}" for i in index], dtype=object)
    mu = np.where(is_org, rng.normal(np.log(30000), 0.8, size), rng.normal(np.log(300), 0.9, size))
    rate = rng.lognormal(0.0, 0.8, size)
    return Population(customer, is_org, account, city, device, ip, mu, rate)


def _timestamps(rng: np.random.Generator, size: int, start_us: int, days: int) -> np.ndarray:
    day = rng.integers(0, days, size)
    local_day = (start_us + 8 * MICROS_PER_HOUR) // MICROS_PER_DAY + day
    weekday = (local_day + 3) % 7  # 0 = Monday
    keep_weekend = rng.random(size) < 0.7  # fewer payments at weekends
    day = np.where((weekday >= 5) & ~keep_weekend, (day + 2) % days, day)
    hour = rng.choice(24, size=size, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    # Whole seconds, so that many payments tie on the same timestamp (exercises tie handling).
    second = rng.integers(0, 3600, size)
    local_midnight = (start_us + 8 * MICROS_PER_HOUR) // MICROS_PER_DAY * MICROS_PER_DAY - 8 * MICROS_PER_HOUR
    return local_midnight + day * MICROS_PER_DAY + hour * MICROS_PER_HOUR + second * MICROS_PER_SECOND


def _money_text(yuan: np.ndarray, cash: np.ndarray) -> list[str]:
    fen = np.maximum(np.round(yuan * 100).astype(np.int64), 1)
    fen = np.where(cash, np.maximum(fen // 10000 * 10000, 10000), fen)  # cash in hundreds of yuan
    return [f"{f // 100}.{f % 100:02d}" for f in fen.tolist()]


def _blank(values: np.ndarray, where: np.ndarray) -> np.ndarray:
    """A copy of an object array with None where ``where`` holds (missing optional fields)."""
    out = values.astype(object, copy=True)
    out[where] = None
    return out


def background(
    rng: np.random.Generator, people: Population, size: int, start_us: int, days: int
) -> dict[str, Any]:
    weights = people.rate / people.rate.sum()
    who = rng.choice(len(people.customer), size=size, p=weights)
    org = people.is_org[who]
    channel = np.where(org, _choice(rng, ORG_CHANNELS, size), _choice(rng, PERSON_CHANNELS, size))
    business = np.empty(size, dtype=object)
    auth = np.empty(size, dtype=object)
    for name, table in BUSINESS_BY_CHANNEL.items():
        rows = np.flatnonzero(channel == name)
        business[rows] = _choice(rng, table, len(rows))
        auth[rows] = _choice(rng, AUTH_BY_CHANNEL.get(name, DEFAULT_AUTH), len(rows))
    # Payees: other customers (P2P) or a merchant pool; cash and ATM have none.
    peer = rng.choice(len(people.customer), size=size, p=weights)
    merchant = rng.choice(MERCHANTS, size=size, p=MERCHANT_WEIGHTS)
    to_peer = rng.random(size) < 0.45
    payee = np.where(
        to_peer, people.account[peer], np.array([f"M{m:06d}" for m in merchant.tolist()], dtype=object)
    )
    payee_customer = _blank(people.customer[peer], ~to_peer)
    no_payee = np.isin(channel, ["cash", "atm"]) | np.isin(business, ["inquiry", "information_change"])
    payee = _blank(payee, no_payee)
    payee_customer = _blank(payee_customer, no_payee)
    yuan = rng.lognormal(people.mu[who], 0.7)
    away = rng.random(size) < 0.03  # travel: another city, another IP
    city = np.where(away, _choice(rng, tuple((c, w) for c, w in CITIES), size), people.city[who])
    second_device = rng.random(size) < 0.08
    device = np.where(
        second_device, np.char.add(people.device[who].astype(str), "b").astype(object), people.device[who]
    )
    cash = channel == "cash"
    return {
        "timestamp": _timestamps(rng, size, start_us, days),
        "amount": _money_text(yuan, cash),
        "channel": channel,
        "business_type": business,
        "payer_account": people.account[who],
        "payer_customer": people.customer[who],
        "payee_account": payee,
        "payee_customer": payee_customer,
        "customer_type": np.where(org, "institution", "natural_person"),
        "counterparty_institution": np.array(INSTITUTIONS, dtype=object)[
            rng.integers(0, len(INSTITUTIONS), size)
        ],
        "cross_border": rng.random(size) < 0.02,
        "device_id": _blank(device, np.isin(channel, ["cash", "counter"])),
        "ip": _blank(people.ip[who], ~np.isin(channel, ["mobile", "third_party", "digital_currency"])),
        "city": city,
        "auth_method": auth,
        "label": np.full(size, "", dtype=object),
    }


class _Injector:
    """Builds labelled suspicious sequences row by row (they are a small share of the data)."""

    def __init__(self, rng: np.random.Generator, people: Population, start_us: int, days: int) -> None:
        self.rng, self.people, self.start_us, self.days = rng, people, start_us, days
        self.rows: list[dict[str, Any]] = []

    def person(self) -> int:
        candidates = np.flatnonzero(~self.people.is_org)
        return int(candidates[self.rng.integers(0, len(candidates))])

    def moment(self, hour: int | None = None) -> int:
        day = int(self.rng.integers(1, max(2, self.days)))
        base = (self.start_us + 8 * MICROS_PER_HOUR) // MICROS_PER_DAY * MICROS_PER_DAY - 8 * MICROS_PER_HOUR
        h = int(self.rng.integers(9, 18)) if hour is None else hour
        return (
            base
            + day * MICROS_PER_DAY
            + h * MICROS_PER_HOUR
            + int(self.rng.integers(0, 3600)) * MICROS_PER_SECOND
        )

    def add(self, who: int, ts: int, yuan: float, label: str, **overrides: Any) -> None:
        p = self.people
        row = {
            "timestamp": ts,
            "amount": f"{round(yuan * 100) // 100}.{round(yuan * 100) % 100:02d}",
            "channel": "mobile",
            "business_type": "transfer",
            "payer_account": p.account[who],
            "payer_customer": p.customer[who],
            "payee_account": f"M{int(self.rng.integers(0, 5000)):06d}",
            "payee_customer": None,
            "customer_type": "institution" if p.is_org[who] else "natural_person",
            "counterparty_institution": INSTITUTIONS[int(self.rng.integers(0, len(INSTITUTIONS)))],
            "cross_border": False,
            "device_id": p.device[who],
            "ip": p.ip[who],
            "city": p.city[who],
            "auth_method": "password",
            "label": label,
        }
        row.update(overrides)
        self.rows.append(row)

    def inject(self, kind: str) -> None:
        getattr(self, f"_{kind}")()

    def _burst(self) -> None:
        who, ts = self.person(), self.moment()
        for i in range(int(self.rng.integers(8, 15))):
            self.add(
                who,
                ts + i * 40 * MICROS_PER_SECOND,
                float(self.rng.uniform(50, 500)),
                "burst",
                channel="third_party",
                business_type="purchase",
            )

    def _account_takeover(self) -> None:
        who, ts = self.person(), self.moment(hour=int(self.rng.integers(1, 5)))
        overrides = {
            "device_id": f"X{int(self.rng.integers(0, 10**8)):08d}",
            "city": "乌鲁木齐",
            "ip": "203.0.113.7",
        }
        for i in range(3):
            payee = f"6222{int(self.rng.integers(0, 10**12)):012d}"
            self.add(
                who,
                ts + i * 300 * MICROS_PER_SECOND,
                float(self.rng.uniform(30000, 90000)),
                "account_takeover",
                payee_account=payee,
                **overrides,
            )

    def _structuring(self) -> None:
        who, ts = self.person(), self.moment()
        for i in range(int(self.rng.integers(3, 6))):
            yuan = float(self.rng.integers(450, 500)) * 100 - 100
            self.add(
                who,
                ts + i * 5 * MICROS_PER_HOUR,
                yuan,
                "structuring",
                channel="cash",
                business_type="deposit",
                payee_account=None,
                device_id=None,
                ip=None,
                auth_method="none",
            )

    def _rapid_in_out(self) -> None:
        mule, ts = self.person(), self.moment()
        sender = self.person()
        yuan = float(self.rng.uniform(80000, 300000))
        p = self.people
        self.add(
            sender, ts, yuan, "rapid_in_out", payee_account=p.account[mule], payee_customer=p.customer[mule]
        )
        for i in range(3):
            self.add(
                mule,
                ts + (10 + i * 7) * 60 * MICROS_PER_SECOND,
                yuan * 0.32,
                "rapid_in_out",
                payee_account=f"6222{int(self.rng.integers(0, 10**12)):012d}",
            )

    def _fan_out(self) -> None:
        who, ts = self.person(), self.moment()
        for i in range(int(self.rng.integers(10, 18))):
            self.add(
                who,
                ts + i * 600 * MICROS_PER_SECOND,
                float(self.rng.uniform(2000, 9000)),
                "fan_out",
                payee_account=f"6222{int(self.rng.integers(0, 10**12)):012d}",
            )

    def _fan_in(self) -> None:
        target, ts = self.person(), self.moment()
        p = self.people
        for i in range(int(self.rng.integers(10, 18))):
            self.add(
                self.person(),
                ts + i * 300 * MICROS_PER_SECOND,
                float(self.rng.uniform(1000, 9000)),
                "fan_in",
                payee_account=p.account[target],
                payee_customer=p.customer[target],
            )

    def _dormant(self) -> None:
        who = self.person()
        self.add(who, self.start_us - 200 * MICROS_PER_DAY, 200.0, "dormant")
        ts = self.moment()
        for i in range(6):
            self.add(who, ts + i * 1800 * MICROS_PER_SECOND, float(self.rng.uniform(5000, 40000)), "dormant")

    def _large_cash(self) -> None:
        who, ts = self.person(), self.moment()
        self.add(
            who,
            ts,
            float(self.rng.integers(5, 30)) * 10000,
            "large_cash",
            channel="cash",
            business_type="withdrawal",
            payee_account=None,
            device_id=None,
            ip=None,
            auth_method="none",
        )


def generate(
    n: int,
    *,
    seed: int = 0,
    start: datetime | None = None,
    days: int = 30,
    customers: int | None = None,
    pattern_share: float = 0.01,
    late_share: float = 0.002,
) -> pl.DataFrame:
    """About ``n`` payments (boundary columns plus ``label``) in arrival order."""
    rng = np.random.default_rng(seed)
    start = start or datetime(2026, 1, 5, tzinfo=UTC)
    start_us = (start - EPOCH) // ONE_MICROSECOND
    people = population(rng, customers or max(50, n // 25))
    injector = _Injector(rng, people, start_us, days)
    while len(injector.rows) < n * pattern_share:
        injector.inject(LABELS[int(rng.integers(0, len(LABELS)))])
    columns = background(rng, people, max(0, n - len(injector.rows)), start_us, days)
    frame = pl.DataFrame(
        {k: list(v) if isinstance(v, np.ndarray) else v for k, v in columns.items()}, schema=SCHEMA
    )
    if injector.rows:
        frame = pl.concat([frame, pl.DataFrame(injector.rows, schema=SCHEMA)])
    frame = frame.sort("timestamp", maintain_order=True)
    frame = _arrive_late(rng, frame, late_share)
    ids = pl.Series("id", [f"P{seed:04d}{i:09d}" for i in range(frame.height)])
    return frame.with_columns(
        ids, pl.from_epoch(pl.col("timestamp"), time_unit="us").dt.replace_time_zone("UTC")
    ).select(["id", *[c for c in SCHEMA if c != "label"], "label"])


def _arrive_late(rng: np.random.Generator, frame: pl.DataFrame, share: float) -> pl.DataFrame:
    """Move a few rows later in arrival order (delayed messages), keeping their timestamps."""
    n = frame.height
    late = np.flatnonzero(rng.random(n) < share)
    if not len(late):
        return frame
    key = np.arange(n, dtype=np.float64)
    key[late] += rng.integers(1, 200, len(late)) + 0.5
    arrival = pl.Series(np.argsort(key, kind="stable"))
    return frame.select(pl.all().gather(arrival))


SCHEMA = {
    "timestamp": pl.Int64,
    "amount": pl.String,
    "channel": pl.String,
    "business_type": pl.String,
    "payer_account": pl.String,
    "payer_customer": pl.String,
    "payee_account": pl.String,
    "payee_customer": pl.String,
    "customer_type": pl.String,
    "counterparty_institution": pl.String,
    "cross_border": pl.Boolean,
    "device_id": pl.String,
    "ip": pl.String,
    "city": pl.String,
    "auth_method": pl.String,
    "label": pl.String,
}


def records(frame: pl.DataFrame) -> Iterator[dict[str, Any]]:
    """Boundary records (as an API client would send them), without the ``label`` column."""
    for row in frame.drop("label", strict=False).iter_rows(named=True):
        yield {k: v for k, v in row.items() if v is not None}
