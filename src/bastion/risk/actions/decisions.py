"""Writes of the risk app. Each is atomic.

Decisions are not written to the audit trail one by one: a stored payment and its decision are
themselves an append-only record of what the system did (never updated), and one hash-chained audit
event per payment would serialise every scorer on the chain head (docs/decisions/0503). Changes made
by people (rule-set activation, holds released) are audited as everywhere else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property, lru_cache
from importlib import resources
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from bastion.engine import Decision as EngineDecision
from bastion.engine import Payment
from bastion.risk.choices import ReviewStatus
from bastion.risk.models import Decision, FeatureSnapshot, PaymentReview, RuleSetVersion, StoredPayment

SNAPSHOTS_KEPT = 2


def default_ruleset_text() -> str:
    return resources.files("bastion.engine").joinpath("rulesets/default.toml").read_text(encoding="utf-8")


def do_ensure_active_ruleset() -> RuleSetVersion:
    """The active version; on first use (no version at all) the engine's default becomes version 1.

    Migration 0002 seeds it too; this covers a database emptied since (a test flush, a restore).
    """
    with transaction.atomic():
        active = RuleSetVersion.objects.select_for_update().filter(status="active").first()
        if active is not None:
            return active
        if RuleSetVersion.objects.exists():
            raise RuleSetVersion.DoesNotExist("no rule-set version is active")
        now = timezone.now()
        _ensure_shipped_lists()
        return RuleSetVersion.objects.create(
            number=1, name="default", text=default_ruleset_text(), status="active",
            note="Shipped default rule set (bastion.engine rulesets/default.toml).",
            created_at=now, activated_at=now,
        )  # fmt: skip


SHIPPED_LISTS = {
    "blocklist": ("block", "共享黑名单 / Shared block list"),
    "watchlist": ("watch", "关注名单 / Watch list"),
    "allowlist": ("allow", "白名单 / Allow list"),
}


def _ensure_shipped_lists() -> None:
    """The lists the default rules name (migration 0004 seeds them; this covers an emptied database)."""
    from bastion.risk.models import RiskList

    for name, (kind, title) in SHIPPED_LISTS.items():
        RiskList.objects.get_or_create(name=name, defaults={"kind": kind, "title": title})


@dataclass
class NewDecision:
    """A scored payment not stored yet."""

    payment: Payment
    account_hash: int
    decision: EngineDecision
    branch_id: int | None
    source: str
    submitted_by: str
    digest: str
    decided_at: datetime
    latency_us: int
    review: Any = None  # controls.NewReview when the decision waits for people
    review_id: int | None = None  # its queue row, once stored

    # Computed once: the stored row and the answer both need them (the scoring path's hot spots).
    @cached_property
    def fired(self) -> list[dict[str, Any]]:
        return [f.to_dict() for f in self.decision.fired]

    @cached_property
    def decided_at_db(self) -> Any:
        return connection.ops.adapt_datetimefield_value(self.decided_at)


PAYMENT_COLUMNS = (
    "payment_id", "account_hash", "occurred_at", "amount", "currency", "channel", "business_type",
    "payer_account", "payer_customer", "payee_account", "payee_customer", "customer_type",
    "counterparty_institution", "cross_border", "device_id", "ip", "city", "auth_method", "branch_id",
    "source", "submitted_by", "digest", "received_at",
)  # fmt: skip
DECISION_COLUMNS = (
    "payment_id", "score", "level", "action", "required_auth", "fired", "model_points", "ruleset_id",
    "decided_at", "latency_us",
)  # fmt: skip
REVIEW_COLUMNS = (
    "payment_id", "kind", "status", "operator", "created_at", "due_at", "proposed_outcome",
    "proposal_note", "decision_note",
)  # fmt: skip
CHUNK = 400  # rows per INSERT: well under SQLite's 32,766 parameters


def _payment_values(item: NewDecision) -> tuple[Any, ...]:
    p, ops = item.payment, connection.ops
    return (
        p.id, item.account_hash, ops.adapt_datetimefield_value(p.timestamp),
        ops.adapt_decimalfield_value(p.original_amount, 20, 4), p.currency, p.channel, p.business_type,
        p.payer, p.customer, p.payee or "", p.payee_customer or "", p.customer_type, p.institution or "",
        p.cross_border, p.device or "", p.ip or "", p.city or "", p.auth_method, item.branch_id, item.source,
        item.submitted_by[:150], item.digest, item.decided_at_db,
    )  # fmt: skip


def _decision_values(item: NewDecision, payment_pk: int, ruleset_id: int) -> tuple[Any, ...]:
    d = item.decision
    return (
        payment_pk, d.score, d.level, d.action, json.dumps(list(d.required_auth)),
        json.dumps(item.fired, ensure_ascii=False), d.model_points, ruleset_id,
        item.decided_at_db, min(item.latency_us, 2**31 - 1),
    )  # fmt: skip


def _review_values(item: NewDecision, payment_pk: int) -> tuple[Any, ...]:
    review, ops = item.review, connection.ops
    assert review is not None
    return (
        payment_pk, review.kind, ReviewStatus.PENDING, review.operator[:150],
        item.decided_at_db, ops.adapt_datetimefield_value(review.due_at), "", "", "",
    )  # fmt: skip


@lru_cache(maxsize=64)
def _insert_sql(vendor: str, table: str, columns: tuple[str, ...], rows: int, returning: bool) -> str:
    """The text of a ``rows``-row INSERT, built once per shape (quoting every column every time cost
    more than executing the statement)."""
    qn = connection.ops.quote_name
    row_sql = "(" + ", ".join(["%s"] * len(columns)) + ")"
    # Table and columns are this module's constants (quoted); values are parameters.
    return (
        f"INSERT INTO {qn(table)} ({', '.join(qn(c) for c in columns)}) VALUES "  # noqa: S608
        + ", ".join([row_sql] * rows)
        + (f" RETURNING {qn('id')}" if returning else "")
    )


def _insert(
    table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]], *, returning: bool
) -> list[int]:
    """One multi-row INSERT (RETURNING the ids, in row order, as Django's bulk_create relies on).

    Written by hand: the ORM's per-value preparation cost more than the whole decision.
    """
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            sql = _insert_sql(connection.vendor, table, columns, len(chunk), returning)
            cursor.execute(sql, [value for row in chunk for value in row])
            if returning:
                ids.extend(row[0] for row in cursor.fetchall())
    return ids


def do_store_decisions(items: list[NewDecision], *, ruleset_id: int) -> list[int]:
    """Store scored payments and their decisions in one transaction (the group commit); their pks."""
    with transaction.atomic():
        pks = _insert(
            StoredPayment._meta.db_table, PAYMENT_COLUMNS, [_payment_values(i) for i in items], returning=True
        )
        if len(pks) != len(items):
            raise RuntimeError("the database did not return the ids of the inserted payments")
        decisions = [_decision_values(i, pk, ruleset_id) for i, pk in zip(items, pks, strict=True)]
        _insert(Decision._meta.db_table, DECISION_COLUMNS, decisions, returning=False)
        waiting = [(i, pk) for i, pk in zip(items, pks, strict=True) if i.review is not None]
        if waiting:
            reviews = [_review_values(i, pk) for i, pk in waiting]
            review_ids = _insert(PaymentReview._meta.db_table, REVIEW_COLUMNS, reviews, returning=True)
            for (item, _pk), review_id in zip(waiting, review_ids, strict=True):
                item.review_id = review_id
    return pks


def do_store_snapshot(
    *, partition: int, partitions: int, ruleset_id: int, last_payment_pk: int, payments: int, blob: bytes
) -> FeatureSnapshot:
    """Store a feature-state snapshot and drop the partition's older ones beyond the last few."""
    with transaction.atomic():
        snapshot = FeatureSnapshot.objects.create(
            partition=partition,
            partitions=partitions,
            ruleset_id=ruleset_id,
            last_payment_pk=last_payment_pk,
            payments=payments,
            blob=blob,
        )
        stale: Any = FeatureSnapshot.objects.filter(partition=partition, partitions=partitions).order_by(
            "-last_payment_pk", "-pk"
        )[SNAPSHOTS_KEPT:]
        FeatureSnapshot.objects.filter(pk__in=list(stale.values_list("pk", flat=True))).delete()
    return snapshot
