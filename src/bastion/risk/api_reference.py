"""Channel risk assessments (R4.6) and counterparty ratings (R4.8), mounted into the risk router.

Both are institution-wide reference data that feed the score of later payments: a channel by its
current rating, a counterparty institution or merchant by its credit grade (docs/decisions/0512).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from bastion.platform.api_helpers import ERRORS, PageQuery, page_of, principal_of, require_permission
from bastion.risk import permissions as perms
from bastion.risk.actions import reference as actions
from bastion.risk.choices import CHANNEL_POINTS, GRADE_POINTS, CounterpartyKind
from bastion.risk.models import ChannelAssessment, CounterpartyRating
from bastion.risk.services import reference as services


class Page(Schema):
    items: list[dict[str, Any]]
    page: int
    page_size: int
    total: int


class AssessmentIn(Schema):
    period_start: date
    period_end: date
    identified_risks: str = Field(..., max_length=4000, description="The risks identified in the channel.")
    qualitative_rating: str = Field(..., description="low, medium or high.")
    qualitative_notes: str = Field(..., max_length=4000)
    incidents: int = Field(0, description="Risk incidents in the period (operational, security, fraud).")


class CounterpartyIn(Schema):
    kind: str = Field(
        ..., description="institution (matches counterparty_institution) or merchant (payee_customer)."
    )
    identifier: str = Field(..., max_length=128)
    name: str = Field(..., max_length=200)
    grade: str = Field(..., description="AAA, AA, A, BBB, BB, B, CCC or D.")
    note: str = Field("", max_length=1000)


class CounterpartyEditIn(Schema):
    name: str | None = Field(None, max_length=200)
    grade: str | None = None
    note: str | None = Field(None, max_length=1000)


class CounterpartyFilter(Schema):
    kind: CounterpartyKind | None = None
    q: str = Field("", max_length=128)


def render_assessment(row: ChannelAssessment) -> dict[str, Any]:
    return {
        "id": row.pk, "channel": row.channel, "period_start": row.period_start.isoformat(),
        "period_end": row.period_end.isoformat(), "identified_risks": row.identified_risks,
        "qualitative_rating": row.qualitative_rating, "qualitative_notes": row.qualitative_notes,
        "payments": row.payments, "confirmed_fraud": row.confirmed_fraud,
        "fraud_rate_bp": format(row.fraud_rate_bp, "f"), "losses": format(row.losses, "f"),
        "incidents": row.incidents, "quantitative_rating": row.quantitative_rating, "rating": row.rating,
        "points": CHANNEL_POINTS[row.rating], "next_review": row.next_review.isoformat(),
        "assessed_at": row.assessed_at.isoformat(),
        "assessed_by": row.assessed_by.get_username() if row.assessed_by else None,
    }  # fmt: skip


def render_counterparty(row: CounterpartyRating) -> dict[str, Any]:
    return {
        "id": row.pk, "kind": row.kind, "identifier": row.identifier, "name": row.name, "grade": row.grade,
        "points": GRADE_POINTS[row.grade], "note": row.note, "rated_at": row.rated_at.isoformat(),
        "next_review": row.next_review.isoformat(),
    }  # fmt: skip


def mount(router: Router) -> None:
    """Add the channel and counterparty operations to the risk router."""
    operations: tuple[tuple[str, str, Any, dict[int, Any], str], ...] = (
        ("/channels", "GET", list_channels, {200: list[dict[str, Any]]}, "Every channel with its assessment"),
        ("/channels/{channel}/assessments", "GET", channel_history, {200: Page}, "A channel's assessments"),
        ("/channels/{channel}/assessments", "POST", assess, {201: dict[str, Any]}, "Assess a channel"),
        ("/counterparties", "GET", list_counterparties, {200: Page}, "Counterparty credit ratings"),
        ("/counterparties", "POST", rate, {201: dict[str, Any]}, "Rate a counterparty"),
        ("/counterparties/{rating_id}", "PATCH", rerate, {200: dict[str, Any]}, "Change a rating"),
    )  # fmt: skip
    for path, method, view, responses, summary in operations:
        router.add_api_operation(
            path, [method], view, response={**responses, **ERRORS}, summary=summary, tags=["risk: ratings"]
        )


def list_channels(request: HttpRequest) -> Any:
    require_permission(principal_of(request), perms.VIEW_DECISIONS)
    return [
        {"channel": row["channel"], "due": row["due"],
         "assessment": render_assessment(row["assessment"]) if row["assessment"] else None}
        for row in services.channel_overview(timezone.localdate())
    ]  # fmt: skip


def channel_history(request: HttpRequest, channel: str, paging: Query[PageQuery]) -> Any:
    require_permission(principal_of(request), perms.VIEW_DECISIONS)
    return page_of(services.assessments_of(channel), paging, render_assessment)


def assess(request: HttpRequest, channel: str, payload: AssessmentIn) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.MANAGE_RATINGS)
    row = actions.do_assess_channel(channel=channel, actor=principal, **payload.dict())
    return Status(201, render_assessment(row))


def list_counterparties(
    request: HttpRequest, paging: Query[PageQuery], filters: Query[CounterpartyFilter]
) -> Any:
    require_permission(principal_of(request), perms.VIEW_DECISIONS)
    found = services.list_counterparties(kind=filters.kind.value if filters.kind else None, search=filters.q)
    return page_of(found, paging, render_counterparty)


def rate(request: HttpRequest, payload: CounterpartyIn) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.MANAGE_RATINGS)
    return Status(
        201, render_counterparty(actions.do_save_counterparty(data=payload.dict(), actor=principal))
    )


def rerate(request: HttpRequest, rating_id: int, payload: CounterpartyEditIn) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.MANAGE_RATINGS)
    row = actions.do_save_counterparty(
        rating_id=rating_id, data=payload.dict(exclude_unset=True), actor=principal
    )
    return render_counterparty(row)
