"""REST API of the risk app (mounted under /api/v1/risk).

``POST /decisions`` answers only once the payment and its decision are stored; a retry with the same
payment id answers the stored decision (header ``Idempotent-Replayed: true``) and is not counted
again. Reads are branch-scoped like every list. Rule management lives in :mod:`bastion.risk.api_rules`.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from bastion.platform.api_helpers import ERRORS, PageQuery, page_of, principal_of, require_permission
from bastion.risk import api_control, api_indicators, api_lists, api_reference, api_rules, flows, services
from bastion.risk import permissions as perms
from bastion.risk.models import Decision
from bastion.risk.schemas import (
    BatchIn,
    BatchOut,
    DecisionFilterIn,
    DecisionOut,
    DecisionPage,
    PaymentIn,
    StoredDecisionOut,
)

router = Router(tags=["risk"])
api_rules.mount(router)  # /rulesets... (rule management, R4.3)
api_lists.mount(router)  # /lists... (block, allow and watch lists, R5.5)
api_control.mount(router)  # /controls, /reviews (limits, authorisation, held payments)
api_reference.mount(router)  # /channels, /counterparties (R4.6, R4.8)
api_indicators.mount(router)  # /indicators, /indicator-warnings (002 5.1-5.3)
ERRORS_503 = {**ERRORS, 503: ERRORS[422]}


def render_stored(decision: Decision) -> dict[str, Any]:
    payment = decision.payment
    return {
        **services.decision_body(decision),
        "branch_id": payment.branch_id,
        "payment": {
            "payment_id": payment.payment_id,
            "timestamp": payment.occurred_at.isoformat(),
            "amount": format(payment.amount.normalize(), "f"),
            "currency": payment.currency,
            "channel": payment.channel,
            "business_type": payment.business_type,
            "payer_account": payment.payer_account,
            "payee_account": payment.payee_account,
            "branch_id": payment.branch_id,
            "source": payment.source,
        },
    }


@router.post(
    "/decisions",
    response={200: DecisionOut, **ERRORS_503},
    summary="Decide on one payment (idempotent by payment id; answered once durable)",
)
def decide(request: HttpRequest, response: HttpResponse, payload: PaymentIn) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, perms.SUBMIT_PAYMENT)
    outcome = flows.submit_payments(
        principal=principal,
        payments=[(payload.engine_record(), payload.branch_id, payload.operator)],
        single=True,
    )[0]
    if outcome["status"] == "replayed":
        response["Idempotent-Replayed"] = "true"
    return dict(outcome["decision"])


@router.post(
    "/decisions/batch",
    response={200: BatchOut, **ERRORS_503},
    summary="Decide on up to 1,000 payments in arrival order",
)
def decide_batch(request: HttpRequest, payload: BatchIn) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, perms.SUBMIT_PAYMENT)
    outcomes = flows.submit_payments(
        principal=principal,
        payments=[(p.engine_record(), p.branch_id, p.operator) for p in payload.payments],
        single=False,
    )
    results = []
    for outcome in outcomes:
        if outcome["status"] == "conflict":
            error = {"code": "payment_id_reused", "field": outcome["field"], "message": outcome["message"]}
            results.append({"status": "conflict", "decision": None, "error": error})
        else:
            results.append({"status": outcome["status"], "decision": outcome["decision"], "error": None})
    return {"results": results}


@router.get("/decisions", response={200: DecisionPage, **ERRORS}, summary="Decisions in the caller's scope")
def list_decisions(
    request: HttpRequest, paging: Query[PageQuery], filters: Query[DecisionFilterIn]
) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, perms.VIEW_DECISIONS)
    found = services.list_decisions(
        principal, level=filters.level, action=filters.action, payer_account=filters.payer_account
    )
    return page_of(found, paging, render_stored)


@router.get(
    "/decisions/{payment_id}", response={200: StoredDecisionOut, **ERRORS}, summary="One payment's decision"
)
def get_decision(request: HttpRequest, payment_id: str) -> dict[str, Any]:
    principal = principal_of(request)
    require_permission(principal, perms.VIEW_DECISIONS)
    return render_stored(services.get_decision(principal, payment_id=payment_id))
