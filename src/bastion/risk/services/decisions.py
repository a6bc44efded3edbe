"""Reads of the risk app: rule-set versions, stored payments and decisions, snapshots, partitions."""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import connection
from django.db.models import QuerySet

from bastion.engine import Payment
from bastion.platform.scoping import Principal, get_scoped_object, scoped
from bastion.risk.models import Decision, FeatureSnapshot, RuleSetVersion, StoredPayment


def account_hash(account: str) -> int:
    """Stable across processes and machines (unlike ``hash``), so every node agrees on partitions."""
    return zlib.crc32(account.encode("utf-8"))


def partition_of(account: str, partitions: int) -> int:
    return account_hash(account) % partitions


def payment_digest(payment: Payment, branch_id: int | None) -> str:
    """Digest of the normalised payment: a retry matches even if it spells amounts differently."""
    record = payment.to_mapping()
    record["amount"] = format(payment.original_amount.normalize(), "f")
    record["branch_id"] = branch_id
    return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()


def active_ruleset() -> RuleSetVersion:
    return RuleSetVersion.objects.get(status="active")


def active_ruleset_id() -> int | None:
    return RuleSetVersion.objects.filter(status="active").values_list("pk", flat=True).first()


def existing_payments(payment_ids: Iterable[str]) -> dict[str, StoredPayment]:
    """Stored payments (with their decisions) among ``payment_ids``."""
    ids = list(payment_ids)
    if not ids:
        return {}
    # Almost every payment is new: a plain indexed probe first, and the ORM (whose query compilation
    # with the joins cost more than scoring the payment) only for the retries it finds.
    found = _stored_ids(ids)
    if not found:
        return {}
    rows = StoredPayment.objects.filter(payment_id__in=found).select_related("decision__ruleset", "review")
    return {row.payment_id: row for row in rows}


def _stored_ids(ids: list[str]) -> list[str]:
    qn = connection.ops.quote_name
    table, column = qn(StoredPayment._meta.db_table), qn("payment_id")
    found: list[str] = []
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join(["%s"] * len(chunk))
            # Table and column are the model's own names (quoted); the ids are parameters.
            cursor.execute(f"SELECT {column} FROM {table} WHERE {column} IN ({marks})", chunk)  # noqa: S608
            found.extend(row[0] for row in cursor.fetchall())
    return found


def latest_snapshot(*, partition: int, partitions: int, ruleset_id: int) -> FeatureSnapshot | None:
    return (
        FeatureSnapshot.objects.filter(partition=partition, partitions=partitions, ruleset_id=ruleset_id)
        .order_by("-last_payment_pk")
        .first()
    )


REPLAY_FIELDS = (
    "pk",
    "account_hash",
    "payment_id",
    "occurred_at",
    "amount",
    "currency",
    "channel",
    "business_type",
    "payer_account",
    "payer_customer",
    "payee_account",
    "payee_customer",
    "customer_type",
    "counterparty_institution",
    "cross_border",
    "device_id",
    "ip",
    "city",
    "auth_method",
)


def replay_rows(*, after_pk: int, chunk: int = 5000) -> Iterator[tuple[int, int, dict[str, Any]]]:
    """``(pk, account_hash, boundary record)`` of every payment stored after ``after_pk``, in pk order."""
    rows = StoredPayment.objects.filter(pk__gt=after_pk).order_by("pk").values_list(*REPLAY_FIELDS)
    for row in rows.iterator(chunk_size=chunk):
        pk, hashed, payment_id, occurred_at, amount, *rest = row
        record = dict(zip(REPLAY_FIELDS[5:], rest, strict=True))
        record["id"] = payment_id
        record["timestamp"] = occurred_at
        # Stored with four decimal places; the engine refuses more places than the currency has.
        record["amount"] = Decimal(amount).normalize()
        # Absent optional fields are stored as "" (never a valid value at the boundary).
        yield pk, hashed, {k: v for k, v in record.items() if v is not None and v != ""}


def decisions_for(principal: Principal) -> QuerySet[Decision]:
    queryset = Decision.objects.select_related("payment", "payment__review", "ruleset").order_by(
        "-decided_at", "-pk"
    )
    return scoped(queryset, principal)


def list_decisions(
    principal: Principal,
    *,
    level: str | None = None,
    action: str | None = None,
    payer_account: str | None = None,
) -> QuerySet[Decision]:
    queryset = decisions_for(principal)
    if level:
        queryset = queryset.filter(level=level)
    if action:
        queryset = queryset.filter(action=action)
    if payer_account:
        queryset = queryset.filter(payment__payer_account=payer_account)
    return queryset


def get_decision(principal: Principal, *, payment_id: str) -> Decision:
    return get_scoped_object(decisions_for(principal), principal, payment__payment_id=payment_id)


def list_rulesets() -> QuerySet[RuleSetVersion]:
    return RuleSetVersion.objects.order_by("-number")


def decision_body(decision: Decision, *, ruleset_number: int | None = None) -> dict[str, Any]:
    """The JSON form of a stored decision: the same bytes for the first answer and every retry."""
    return {
        "payment_id": decision.payment.payment_id,
        "score": decision.score,
        "level": decision.level,
        "level_zh": LEVEL_ZH.get(decision.level, decision.level),
        "action": decision.action,
        "required_auth": list(decision.required_auth),
        "model_points": decision.model_points,
        "fired": list(decision.fired),
        "ruleset_version": ruleset_number if ruleset_number is not None else decision.ruleset.number,
        "decided_at": decision.decided_at.isoformat(),
        "latency_us": decision.latency_us,
        "review": review_body(decision.payment),
    }


def review_body(payment: Any) -> dict[str, Any] | None:
    """Where the payment stands in the review queue now (None: it never waited for people)."""
    try:
        review = payment.review
    except ObjectDoesNotExist:
        return None
    return {
        "id": review.pk,
        "kind": review.kind,
        "status": review.status,
        "due_at": review.due_at.isoformat(),
        "outcome": {"released": "allow", "rejected": "block"}.get(review.status),
    }


def new_decision_body(item: Any, *, ruleset_number: int) -> dict[str, Any]:
    """:func:`decision_body` of a decision just stored (``actions.NewDecision``), without reading it back."""
    d = item.decision
    return {
        "payment_id": d.payment_id,
        "score": d.score,
        "level": d.level,
        "level_zh": LEVEL_ZH.get(d.level, d.level),
        "action": d.action,
        "required_auth": list(d.required_auth),
        "model_points": d.model_points,
        "fired": item.fired,
        "ruleset_version": ruleset_number,
        "decided_at": item.decided_at.isoformat(),
        "latency_us": min(item.latency_us, 2**31 - 1),
        "review": None if item.review is None else {
            "id": item.review_id, "kind": item.review.kind, "status": "pending",
            "due_at": item.review.due_at.isoformat(), "outcome": None,
        },
    }  # fmt: skip


# The engine's own labels (R4.1); the console shows RiskLevel labels in the reader's language.
LEVEL_ZH = {"normal": "正常", "attention": "关注", "warning": "警告", "high_risk": "高风险"}
