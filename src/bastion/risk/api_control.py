"""Payment controls and the review queue, mounted into the risk router (R4.4, 003, #5 item 6).

``/controls``: limits (above them the payer re-verifies identity) and business-authorisation
thresholds, set by risk analysts; institution-wide. ``/reviews``: the queue of held, to-review and
to-authorise payments in the caller's branch scope, decided by two people (a person, never a token).
The payment system learns the outcome from ``GET /decisions/{payment_id}`` (``review.outcome``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from bastion.platform.api_helpers import ERRORS, PageQuery, page_of, principal_of, require_permission
from bastion.risk import permissions as perms
from bastion.risk.actions import control as actions
from bastion.risk.choices import ReviewKind, ReviewOutcome, ReviewStatus
from bastion.risk.models import PaymentControl, PaymentReview
from bastion.risk.services import control as services
from bastion.risk.services.decisions import decision_body


class Page(Schema):
    items: list[dict[str, Any]]
    page: int
    page_size: int
    total: int


class ControlIn(Schema):
    kind: str = Field(..., description="limit or authorisation.")
    name: str = Field(..., max_length=200)
    channel: str = Field("", description="Empty: every channel.")
    business_type: str = Field("", description="Empty: every business type.")
    customer_type: str = Field("", description="natural_person, institution or empty.")
    customer: str = Field("", max_length=128, description="One customer id; empty: every customer.")
    single_amount: Decimal | None = Field(
        None, description="CNY; limit: single limit; authorisation: threshold."
    )
    daily_amount: Decimal | None = Field(None, description="CNY per payer account and bank day (limits).")
    required_auth: list[str] = Field(default_factory=list, description="Methods that satisfy a limit.")
    review_minutes: int = Field(30, description="Minutes to authorise (authorisation thresholds).")
    active: bool = True


class ControlEditIn(Schema):
    name: str | None = Field(None, max_length=200)
    single_amount: Decimal | None = None
    daily_amount: Decimal | None = None
    required_auth: list[str] | None = None
    review_minutes: int | None = None
    active: bool | None = None


class ReviewFilter(Schema):
    status: ReviewStatus | None = Field(None, description="Default: open reviews (pending or proposed).")
    kind: ReviewKind | None = None
    overdue: bool = False


class ProposeIn(Schema):
    outcome: ReviewOutcome
    note: str = Field(..., max_length=1000)
    fraud: bool | None = Field(None, description="Fraud confirmed (true), ruled out (false) or unknown.")


class NoteIn(Schema):
    note: str = Field("", max_length=1000)


class AuthoriseIn(Schema):
    outcome: ReviewOutcome
    note: str = Field("", max_length=1000)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def render_control(control: PaymentControl) -> dict[str, Any]:
    return {
        "id": control.pk, "kind": control.kind, "name": control.name, "channel": control.channel,
        "business_type": control.business_type, "customer_type": control.customer_type,
        "customer": control.customer,
        "single_amount": None if control.single_amount is None else format(control.single_amount, "f"),
        "daily_amount": None if control.daily_amount is None else format(control.daily_amount, "f"),
        "required_auth": list(control.required_auth), "review_minutes": control.review_minutes,
        "active": control.active, "updated_at": _iso(control.updated_at),
    }  # fmt: skip


def render_review(review: PaymentReview) -> dict[str, Any]:
    payment = review.payment
    return {
        "id": review.pk, "kind": review.kind, "status": review.status, "payment_id": payment.payment_id,
        "branch_id": payment.branch_id, "amount": format(payment.amount.normalize(), "f"),
        "currency": payment.currency, "channel": payment.channel, "operator": review.operator,
        "created_at": _iso(review.created_at), "due_at": _iso(review.due_at),
        "proposed_outcome": review.proposed_outcome or None, "proposed_fraud": review.proposed_fraud,
        "proposed_by": review.proposed_by.get_username() if review.proposed_by else None,
        "proposal_note": review.proposal_note,
        "decided_by": review.decided_by.get_username() if review.decided_by else None,
        "decided_at": _iso(review.decided_at), "decision_note": review.decision_note,
        "outcome": {"released": "allow", "rejected": "block"}.get(review.status),
    }  # fmt: skip


def mount(router: Router) -> None:
    """Add the control and review operations to the risk router."""
    operations: tuple[tuple[str, str, Any, Any, str], ...] = (
        ("/controls", "GET", list_controls, Page, "Limits and authorisation thresholds"),
        ("/controls", "POST", create_control, {201: dict[str, Any]}, "Add a limit or threshold"),
        ("/controls/{control_id}", "PATCH", edit_control, dict[str, Any], "Change a limit or threshold"),
        ("/reviews", "GET", list_reviews, Page, "The review queue, by deadline"),
        ("/reviews/{review_id}", "GET", get_review, dict[str, Any], "One review with its payment's decision"),
        ("/reviews/{review_id}/propose", "POST", propose, dict[str, Any], "Propose release or reject"),
        ("/reviews/{review_id}/confirm", "POST", confirm, dict[str, Any], "Confirm (a second reviewer)"),
        ("/reviews/{review_id}/return", "POST", return_, dict[str, Any], "Return the proposal (a second reviewer)"),
        ("/reviews/{review_id}/authorise", "POST", authorise, dict[str, Any], "Authorise or reject (not the operator)"),
    )  # fmt: skip
    for path, method, view, response, summary in operations:
        responses: dict[int, Any] = response if isinstance(response, dict) else {200: response}
        router.add_api_operation(
            path, [method], view, response={**responses, **ERRORS}, summary=summary, tags=["risk: controls"]
        )


def list_controls(request: HttpRequest, paging: Query[PageQuery]) -> Any:
    require_permission(principal_of(request), perms.VIEW_DECISIONS)
    return page_of(services.list_controls(), paging, render_control)


def create_control(request: HttpRequest, payload: ControlIn) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.MANAGE_CONTROLS)
    control = actions.do_save_control(data=payload.dict(), actor=principal)
    return Status(201, render_control(control))


def edit_control(request: HttpRequest, control_id: int, payload: ControlEditIn) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.MANAGE_CONTROLS)
    changes = payload.dict(exclude_unset=True)
    return render_control(actions.do_save_control(control_id=control_id, data=changes, actor=principal))


def list_reviews(request: HttpRequest, paging: Query[PageQuery], filters: Query[ReviewFilter]) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.VIEW_DECISIONS)
    found = services.list_reviews(
        principal,
        status=filters.status.value if filters.status else None,
        kind=filters.kind.value if filters.kind else None,
        overdue=filters.overdue,
    )
    return page_of(found, paging, render_review)


def _full(principal: Any, review_id: int) -> dict[str, Any]:
    review = services.get_review(principal, review_id=review_id)
    return {**render_review(review), "decision": decision_body(review.payment.decision)}


def get_review(request: HttpRequest, review_id: int) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.VIEW_DECISIONS)
    return _full(principal, review_id)


def propose(request: HttpRequest, review_id: int, payload: ProposeIn) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.REVIEW_PAYMENTS)
    actions.do_propose_review(
        review_id=review_id,
        outcome=payload.outcome.value,
        note=payload.note,
        fraud=payload.fraud,
        actor=principal,
    )
    return _full(principal, review_id)


def confirm(request: HttpRequest, review_id: int, payload: NoteIn) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.REVIEW_PAYMENTS)
    actions.do_confirm_review(review_id=review_id, note=payload.note, actor=principal)
    return _full(principal, review_id)


def return_(request: HttpRequest, review_id: int, payload: NoteIn) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.REVIEW_PAYMENTS)
    actions.do_return_review(review_id=review_id, note=payload.note, actor=principal)
    return _full(principal, review_id)


def authorise(request: HttpRequest, review_id: int, payload: AuthoriseIn) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.AUTHORISE_PAYMENTS)
    actions.do_authorise_payment(
        review_id=review_id, outcome=payload.outcome.value, note=payload.note, actor=principal
    )
    return _full(principal, review_id)
