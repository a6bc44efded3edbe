"""Request and response shapes of the risk API (field names are the engine's boundary names)."""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import ConfigDict, Field

MAX_BATCH = 1000


class PaymentIn(Schema):
    """One payment, as the payment system sends it before completing it."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="The payment system's unique payment id (idempotency key).")
    timestamp: str = Field(description="ISO-8601 with offset, e.g. 2026-11-24T10:15:00+08:00.")
    # Any: the engine checks it (refusing floats) and names the field; a union would name its members.
    amount: Any = Field(
        description='Decimal amount as a string (never a float), e.g. "1250.00".',
        json_schema_extra={"type": "string"},
    )
    currency: str | None = Field(None, description="ISO 4217; default CNY.")
    channel: str
    business_type: str
    payer_account: str
    payer_customer: str
    payee_account: str | None = None
    payee_customer: str | None = None
    customer_type: str
    counterparty_institution: str | None = None
    cross_border: bool | None = None
    device_id: str | None = None
    ip: str | None = None
    city: str | None = None
    auth_method: str
    branch_id: int | None = Field(
        None, description="Branch the payment belongs to; required unless the caller is institution-wide."
    )
    operator: str | None = Field(
        None,
        max_length=150,
        description="User name of the member of staff who submits it (smart counters); the business "
        "authoriser must be someone else.",
    )

    def engine_record(self) -> dict[str, Any]:
        return {k: v for k, v in self.dict(exclude={"branch_id", "operator"}).items() if v is not None}


class BatchIn(Schema):
    payments: list[PaymentIn] = Field(min_length=1, max_length=MAX_BATCH)


class FiredRuleOut(Schema):
    id: str
    points: int
    reason_zh: str
    reason_en: str
    evidence: dict[str, Any]


class ReviewStateOut(Schema):
    id: int
    kind: str = Field(description="hold, review or authorisation.")
    status: str = Field(description="pending, proposed, released or rejected.")
    due_at: str
    outcome: str | None = Field(description="allow once released, block once rejected; null while open.")


class DecisionOut(Schema):
    payment_id: str
    score: int
    level: str = Field(description="normal, attention, warning or high_risk.")
    level_zh: str = Field(description="正常, 关注, 警告 or 高风险.")
    action: str = Field(description="allow, review, challenge, hold or block.")
    required_auth: list[str] = Field(
        description="Verification methods required when the action is challenge."
    )
    model_points: int
    fired: list[FiredRuleOut]
    ruleset_version: int
    decided_at: str
    latency_us: int
    review: ReviewStateOut | None = Field(
        None, description="Set when the payment waits for people (hold, review, business authorisation)."
    )


class ItemErrorOut(Schema):
    code: str
    field: str
    message: str


class BatchItemOut(Schema):
    status: str = Field(description="decided, replayed (the stored decision of a retry) or conflict.")
    decision: DecisionOut | None = None
    error: ItemErrorOut | None = None


class BatchOut(Schema):
    results: list[BatchItemOut]


class PaymentOut(Schema):
    payment_id: str
    timestamp: str
    amount: str
    currency: str
    channel: str
    business_type: str
    payer_account: str
    payee_account: str | None
    branch_id: int | None
    source: str


class StoredDecisionOut(DecisionOut):
    branch_id: int | None
    payment: PaymentOut


class DecisionPage(Schema):
    items: list[StoredDecisionOut]
    page: int
    page_size: int
    total: int


class DecisionFilterIn(Schema):
    level: str | None = None
    action: str | None = None
    payer_account: str | None = None


class RuleSetOut(Schema):
    number: int
    name: str
    status: str
    note: str
    created_at: str
    activated_at: str | None


class RuleSetPage(Schema):
    items: list[RuleSetOut]
    page: int
    page_size: int
    total: int
