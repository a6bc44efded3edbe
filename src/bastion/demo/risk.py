"""Demo payments: a few days of realistic traffic, every payment decided by the real scorer.

The engine's synthetic generator provides the population (natural persons and institutions in
Chinese cities, daily and weekly cycles) with labelled fraud and money-laundering patterns mixed
in (bursts, account takeover, structuring under the cash threshold, rapid in-and-out, fan-out,
fan-in, dormant reactivation, large cash). Each payer banks at one branch, in its own city where
the demo has one. The payments go through the same :class:`PartitionOwner` as the Decision API, in
time order, so features, scores, reasons and stored decisions are exactly what production would
produce; afterwards the decisions carry the payment's own time (history, as in an import), so the
console's charts spread over the days instead of the minute the demo was loaded.

Afterwards the monitoring indicators (002 5.1-5.3) are computed for the demo days, with three
thresholds answered by the risk analyst, so the indicators page opens with charts and warnings.

Idempotent: when any payment is stored, nothing more is loaded.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Iterator, Sequence
from typing import Any

from django.db.models import F, OuterRef, Subquery
from django.utils import timezone

from bastion.engine.generator import generate, records
from bastion.risk import transport
from bastion.risk.actions.indicators import do_compute_indicators, do_create_indicator_threshold
from bastion.risk.models import Decision, IndicatorThreshold, IndicatorWarning, StoredPayment
from bastion.risk.scorer import PartitionOwner, Submission
from bastion.risk.services.indicators import payment_dates

PAYMENTS = 10_000
# About two payments per customer a day, as in retail banking; denser traffic trips the fan-out rules.
CUSTOMERS = 2_500
DAYS = 5
BATCH = 500
SEED = 20261124
GATEWAY = "示范支付网关 demo-gateway"


def load(*, institution: Any, branches: Sequence[Any], stdout: Any) -> str:
    """Score and store the demo payments; returns a one-line summary."""
    if StoredPayment.objects.exists():
        return "risk: payments already loaded"
    now = timezone.now().replace(second=0, microsecond=0)
    start = now - dt.timedelta(days=DAYS)
    frame = generate(
        PAYMENTS, seed=SEED, start=start, days=DAYS, customers=CUSTOMERS, pattern_share=0.03, late_share=0.0
    )
    frame = frame.filter(frame["timestamp"] <= now).sort("timestamp", maintain_order=True)
    _controls_and_lists(frame)
    owner = PartitionOwner()
    owner.load()
    branch_of = _branch_chooser(list(branches))
    decided = 0
    for chunk in _chunks(records(frame), BATCH):
        submissions = [Submission(_wire(record), branch_of(record), GATEWAY, "http") for record in chunk]
        outcomes = owner.submit(submissions)
        decided += sum(1 for outcome in outcomes if outcome["status"] == "decided")
    owner.snapshot(force=True)
    transport.reset_inline()
    _date_decisions_at_payment_time()
    _channel_assessments()
    flagged = Decision.objects.exclude(level="normal").count()
    warnings = _monitoring()
    return (
        f"risk: {decided} payments over {DAYS} days decided ({flagged} above normal), "
        f"indicators computed ({warnings} warnings)"
    )


def _wire(record: dict[str, Any]) -> dict[str, Any]:
    """The record as a payment system sends it over HTTP: ISO-8601 time with the offset."""
    stamp = record["timestamp"]
    return {**record, "timestamp": stamp.isoformat() if isinstance(stamp, dt.datetime) else stamp}


def _branch_chooser(branches: list[Any]) -> Any:
    by_city: dict[str, list[Any]] = {}
    for branch in branches:
        by_city.setdefault(branch.city, []).append(branch)

    def branch_of(record: dict[str, Any]) -> int:
        # A customer banks at one branch: chosen from the payer account, so it never changes.
        pick = zlib.crc32(record["payer_account"].encode())
        candidates = by_city.get(record.get("city", ""), branches)
        return int(candidates[pick % len(candidates)].pk)

    return branch_of


def _chunks(items: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _date_decisions_at_payment_time() -> None:
    occurred = StoredPayment.objects.filter(pk=OuterRef("payment_id")).values("occurred_at")[:1]
    Decision.objects.update(decided_at=Subquery(occurred))
    StoredPayment.objects.update(received_at=F("occurred_at"))


def _controls_and_lists(frame: Any) -> None:
    """The bank's limits, the smart-counter authorisation threshold and a few listed accounts."""
    from bastion.risk.actions.control import do_save_control
    from bastion.risk.actions.lists import do_add_list_entry

    do_save_control(data={
        "kind": "authorisation", "name": "智能柜台大额转账业务授权", "channel": "smart_counter",
        "business_type": "transfer", "single_amount": "50000.00", "review_minutes": 30,
    }, actor=None)  # fmt: skip
    do_save_control(data={
        "kind": "limit", "name": "手机银行个人转账限额", "channel": "mobile", "business_type": "transfer",
        "customer_type": "natural_person", "single_amount": "50000.00", "daily_amount": "200000.00",
        "required_auth": ["face", "multi_factor"],
    }, actor=None)  # fmt: skip
    do_save_control(data={
        "kind": "limit", "name": "ATM 取现日累计限额", "channel": "atm", "business_type": "withdrawal",
        "daily_amount": "20000.00", "required_auth": ["dynamic_code"],
    }, actor=None)  # fmt: skip
    fraud = frame.filter(frame["label"] != "") if "label" in frame.columns else frame.head(0)
    payees = fraud["payee_account"].drop_nulls().unique(maintain_order=True).to_list()[:3]
    for payee in payees:
        do_add_list_entry(list_name="blocklist", value=payee, entry_type="payee",
                          reason="公安机关协查通报：涉嫌电信网络诈骗收款账户", actor=None)  # fmt: skip
    from bastion.risk.actions.reference import do_save_counterparty

    for identifier, name, grade in (
        ("ICBC", "中国工商银行", "AAA"), ("CCB", "中国建设银行", "AAA"), ("HSBC-CN", "汇丰银行(中国)", "AA"),
        ("TENPAY", "财付通支付科技", "A"), ("ALIPAY", "支付宝(中国)网络技术", "A"), ("CITIC", "中信银行", "AA"),
        ("BOCOM", "交通银行", "BBB"),
    ):  # fmt: skip
        do_save_counterparty(data={"kind": "institution", "identifier": identifier, "name": name, "grade": grade,
                                   "note": "年度授信评级"}, actor=None)  # fmt: skip
    for payer in fraud["payer_account"].unique(maintain_order=True).to_list()[:3]:
        do_add_list_entry(list_name="watchlist", value=payer, entry_type="account",
                          reason="近期交易异常，纳入关注", actor=None)  # fmt: skip


# name, indicator, granularity, scope, comparison, value, severity
THRESHOLDS = (
    ("网点日高风险交易", "level_high_risk", "day", "branch", "gte", "1", "high_risk"),
    ("单账户小时交易过频", "frequency_max", "hour", "institution", "gte", "6", "warning"),
    ("渠道收款方集中", "top10_payee_share", "day", "channel", "gte", "80", "attention"),
)
RESPONSIBLE = "risk"  # 郑浩, the institution-wide risk analyst of demo/staff.py


def _monitoring() -> int:
    """Thresholds (when the demo analyst exists), then the indicators of every day with payments."""
    from bastion.identity.models import User

    responsible = User.objects.filter(username=RESPONSIBLE, is_active=True).first()
    known = set(IndicatorThreshold.objects.values_list("name", flat=True))
    for name, indicator, granularity, scope, comparison, value, severity in THRESHOLDS:
        if responsible is None or name in known:
            continue
        do_create_indicator_threshold(
            actor=None, name=name, indicator=indicator, granularity=granularity, scope=scope,
            comparison=comparison, value=value, severity=severity, responsible_id=responsible.pk,
        )  # fmt: skip
    for day in payment_dates():  # in date order: each day's amount change reads the days before
        do_compute_indicators(day=day)
    return IndicatorWarning.objects.count()


def _channel_assessments() -> None:
    """This quarter's assessments of three channels, from the demo's own records."""
    from bastion.risk.actions.reference import do_assess_channel

    today = timezone.localdate()
    for channel, qualitative, risks, notes, incidents in (
        ("mobile", "medium", "账户盗用、SIM卡劫持、钓鱼链接诱导转账", "已部署设备指纹和人脸核验，钓鱼拦截仍依赖客户举报", 1),
        ("digital_currency", "high", "匿名钱包、跨境兑换、新业务规则覆盖不足", "业务上线不足一年，监测模型尚在积累数据", 2),
        ("atm", "low", "侧录、假键盘、吞卡诈骗", "设备巡检按月进行，异常取现由限额控制", 0),
    ):  # fmt: skip
        do_assess_channel(
            channel=channel, period_start=today - dt.timedelta(days=DAYS + 1), period_end=today,
            identified_risks=risks, qualitative_rating=qualitative, qualitative_notes=notes, incidents=incidents,
            actor=None,
        )  # fmt: skip
