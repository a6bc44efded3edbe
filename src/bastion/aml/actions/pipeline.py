"""Sweeps that turn what the payment risk service stored into AML alerts (the "alerts to aml cases"
step of ARCHITECTURE.md's payment flow).

The rule sweep reads decisions after its cursor and raises one alert per customer, rule and trade
day for the rules tagged ``aml`` or ``list`` in the rule-set version that made the decision
(structuring, rapid in-and-out, concentration, dormant accounts, and hits on the block and watch
lists that every department shares, in the default set; analysts route any rule here by tagging it). Further payments of the same customer, rule and day join that alert while it is new.
Large-value rules are left to the large-value reports, fraud rules to the held-payment queue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.db import transaction
from django.utils import timezone

from bastion.aml.actions.cases import do_raise_alert
from bastion.aml.choices import AlertSource, AlertStatus
from bastion.aml.models import Alert, SweepCursor
from bastion.aml.services.calendar import regulatory_calendar
from bastion.audit.actions import record_event
from bastion.engine import RuleSet
from bastion.engine.errors import RuleSetError
from bastion.risk.models import Decision, RuleSetVersion

AML_TAGS = frozenset({"aml", "list"})
RULE_CURSOR = "rule-alerts"
BATCH = 2000


@dataclass
class _Group:
    """Payments of one customer that fired one AML rule on one trade day."""

    rule: dict[str, Any]
    customer_no: str
    account: str
    branch_id: int | None
    payments: list[str] = field(default_factory=list)
    total: Decimal = Decimal(0)
    first_at: Any = None
    last_at: Any = None
    top_score: int = 0


@lru_cache(maxsize=64)
def aml_rule_ids(ruleset_id: int) -> frozenset[str]:
    """Ids of the rules routed to AML in one rule-set version (versions never change once stored)."""
    text = RuleSetVersion.objects.filter(pk=ruleset_id).values_list("text", flat=True).first()
    if not text:
        return frozenset()
    try:
        rules = RuleSet.from_toml(text).rules
    except RuleSetError:
        return frozenset()
    return frozenset(rule.id for rule in rules if AML_TAGS & set(rule.tags))


def _group(decisions: list[Decision]) -> dict[str, _Group]:
    calendar = regulatory_calendar()
    groups: dict[str, _Group] = {}
    for decision in decisions:
        payment = decision.payment
        day = calendar.local_day(payment.occurred_at)
        wanted = aml_rule_ids(decision.ruleset_id)
        for rule in decision.fired:
            if rule.get("id") not in wanted:
                continue
            key = f"rule:{rule['id']}:{payment.payer_customer}:{day.isoformat()}"
            group = groups.get(key)
            if group is None:
                group = groups[key] = _Group(
                    rule, payment.payer_customer, payment.payer_account, payment.branch_id
                )
            group.payments.append(payment.payment_id)
            group.total += Decimal(payment.amount) if payment.currency == "CNY" else Decimal(0)
            group.first_at = min(filter(None, (group.first_at, payment.occurred_at)))
            group.last_at = max(filter(None, (group.last_at, payment.occurred_at)))
            group.top_score = max(group.top_score, decision.score)
    return groups


def _extend(alert: Alert, group: _Group) -> None:
    """More payments for an alert still waiting for triage."""
    known = set(alert.payment_ids)
    added = [p for p in group.payments if p not in known]
    if not added or alert.status != AlertStatus.NEW:
        return
    alert.payment_ids = [*alert.payment_ids, *added]
    alert.total += group.total
    alert.last_at = max(filter(None, (alert.last_at, group.last_at)))
    alert.score = max(alert.score, group.top_score)
    alert.save(update_fields=["payment_ids", "total", "last_at", "score"])


def _raise(key: str, group: _Group) -> None:
    rule = group.rule
    alert, created = do_raise_alert(
        key=key, source=AlertSource.RULE, code=rule["id"], customer_no=group.customer_no, account=group.account,
        score=group.top_score, summary_zh=rule.get("reason_zh", rule["id"]), summary_en=rule.get("reason_en", rule["id"]),
        details={"rule": rule["id"], "evidence": rule.get("evidence", {})}, payment_ids=group.payments,
        total=group.total, first_at=group.first_at, last_at=group.last_at, branch_id=group.branch_id,
    )  # fmt: skip
    if not created:
        _extend(alert, group)


def do_sweep_rule_alerts(*, limit: int = BATCH) -> int:
    """Raise alerts for the AML rules fired by decisions stored since the last sweep; returns how many read."""
    with transaction.atomic():
        cursor, _ = SweepCursor.objects.select_for_update().get_or_create(name=RULE_CURSOR)
        decisions = list(
            Decision.objects.filter(pk__gt=cursor.position)
            .select_related("payment")
            .only("pk", "score", "fired", "ruleset_id", "payment__payment_id", "payment__payer_customer", "payment__payer_account",
                  "payment__branch_id", "payment__amount", "payment__currency", "payment__occurred_at")
            .order_by("pk")[:limit]
        )  # fmt: skip
        if not decisions:
            return 0
        groups = _group(decisions)
        for key, group in groups.items():
            _raise(key, group)
        cursor.position, cursor.updated_at = decisions[-1].pk, timezone.now()
        cursor.save(update_fields=["position", "updated_at"])
        if groups:
            record_event(action="aml.sweep_rule_alerts", actor=None, object_type="aml.sweepcursor",
                         object_id=RULE_CURSOR, after={"read": len(decisions), "groups": len(groups)})  # fmt: skip
    return len(decisions)
