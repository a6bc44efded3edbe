"""Request and response shapes of the service-desk API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field

KindValue = Literal["fault", "service_request", "suggestion", "preventive_maintenance", "inspection"]
ChannelValue = Literal["phone", "web", "api", "email", "wechat", "alarm", "maintenance"]
PriorityValue = Literal["p1", "p2", "p3", "p4"]
StatusValue = Literal[
    "new",
    "acknowledged",
    "onsite",
    "remote",
    "repair",
    "waiting_third_party",
    "waiting_customer",
    "resolved",
    "closed",
    "cancelled",
]


class Ref(Schema):
    id: int
    name: str


class ClockOut(Schema):
    target_minutes: int
    due_at: datetime | None = Field(description="None while paused before the target is reached.")
    stopped_at: datetime | None = Field(description="First response or resolution instant.")
    used_minutes: float = Field(description="Working minutes counted so far (pauses excluded).")
    breached: bool
    paused: bool


class WorkOrderOut(Schema):
    id: int
    number: str
    kind: KindValue
    channel: ChannelValue
    priority: PriorityValue
    status: StatusValue
    title: str
    branch: Ref
    device: Ref | None
    fault_code: str
    reporter_name: str
    assignee: Ref | None
    team: Ref | None
    support_level: Literal["frontline", "backend"]
    escalation_level: int
    duplicate_of_id: int | None
    opened_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    response_due_at: datetime | None
    resolution_due_at: datetime | None
    next_due_at: datetime | None = Field(
        description="The deadline running now: first response until answered, then resolution."
    )
    response_breached: bool
    resolution_breached: bool


class TimelineOut(Schema):
    id: int
    kind: str
    at: datetime
    actor: str
    source: str
    text: str
    from_status: str
    to_status: str


class AssignmentOut(Schema):
    id: int
    engineer: Ref
    team: Ref | None
    level: Literal["frontline", "backend"]
    mode: Literal["automatic", "manual", "escalation"]
    reason: str
    assigned_at: datetime
    candidates: list[dict[str, object]] = Field(description="Every engineer considered, scored or excluded.")


class WorkOrderDetailOut(WorkOrderOut):
    symptoms: str
    resolution_summary: str
    root_cause: str
    prevention: str
    substitute_note: str
    clocks: dict[str, ClockOut]
    timeline: list[TimelineOut]
    assignments: list[AssignmentOut]
    rating: int | None
    feedback_url: str = Field(description="Signed customer-rating link once resolved (agents only).")


class WorkOrderPage(Schema):
    items: list[WorkOrderOut]
    page: int
    page_size: int
    total: int = Field(description="Matching orders, counted up to 10,000 (see total_exact).")
    total_exact: bool = Field(
        description="False when more than 10,000 orders match: total is then the cap, not the count."
    )


class WorkOrderFilterIn(Schema):
    view: Literal["open", "mine", "team", "at_risk", "all"] = "all"
    status: StatusValue | None = None
    priority: PriorityValue | None = None
    kind: KindValue | None = None
    channel: ChannelValue | None = None
    branch_id: int | None = None
    assignee_id: int | None = None
    device_id: int | None = None
    q: str = Field(
        "", max_length=100, description="Order number, words of the title, fault code or reference."
    )


class WorkOrderCreateIn(Schema):
    branch_id: int
    kind: KindValue = "fault"
    channel: Literal["phone", "web", "api"] = "api"
    title: str = Field(min_length=1, max_length=200)
    symptoms: str = Field("", max_length=10000)
    reporter_name: str = Field("", max_length=100)
    reporter_contact: str = Field("", max_length=120)
    device_id: int | None = None
    priority: PriorityValue | None = None
    external_ref: str = Field(
        "", max_length=255, description="Caller's reference; a repeat returns the same order."
    )


class NoteIn(Schema):
    text: str = Field(min_length=1, max_length=5000)


class TransitionIn(Schema):
    status: StatusValue
    note: str = Field("", max_length=5000)
    resolution_summary: str = Field("", max_length=5000)


class AssignIn(Schema):
    engineer_id: int
    reason: str = Field(min_length=1, max_length=500)


class ReasonIn(Schema):
    reason: str = Field(min_length=1, max_length=500)


class PostmortemIn(Schema):
    root_cause: str = Field(min_length=1, max_length=5000)
    prevention: str = Field(min_length=1, max_length=5000)


class FeedbackIn(Schema):
    rating: int = Field(ge=1, le=5)
    comment: str = Field("", max_length=2000)


class FeedbackOut(Schema):
    work_order_id: int
    rating: int
    comment: str
    submitted_at: datetime


class DispatchOut(Schema):
    assignment: AssignmentOut | None = Field(
        description="None when nobody on duty has the skill and capacity."
    )


class SatisfactionRow(Schema):
    id: int | None
    name: str
    count: int
    average: float
    satisfied_share: float = Field(description="Share of 4 and 5 star ratings (R3.8 target: 0.95).")


class SatisfactionOut(Schema):
    group_by: Literal["engineer", "team", "branch"]
    since: datetime
    rows: list[SatisfactionRow]
