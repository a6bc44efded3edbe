"""Reads of the service desk: work orders, queues, SLA policies, clocks. No side effects."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Avg, BooleanField, Count, F, Q, QuerySet
from django.db.models.expressions import Exists, OuterRef, RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from bastion.identity.models import Branch
from bastion.platform.errors import NotFound
from bastion.platform.scoping import Principal, get_scoped_object, scoped
from bastion.platform.services import clock_for_branch
from bastion.servicedesk import paging, search, sla
from bastion.servicedesk.choices import WorkOrderStatus
from bastion.servicedesk.models import Feedback, SlaPolicy, TimelineEntry, WorkOrder, WorkOrderTerm
from bastion.servicedesk.models.workorders import NEXT_DUE


def list_work_orders(
    *,
    principal: Principal,
    status: str = "",
    open_only: bool = False,
    priority: str = "",
    kind: str = "",
    channel: str = "",
    branch_id: int | None = None,
    assignee_id: int | None = None,
    device_id: int | None = None,
    query: str = "",
    at_risk: bool = False,
    team_member_id: int | None = None,
) -> QuerySet[WorkOrder]:
    """Orders in the principal's branch scope, filtered; open queues sort by time left.

    Time left is counted to the nearest running deadline (``next_due``): the first-response due time
    while nobody has responded, the resolution due time after that. A paused order has neither.
    Every ordering here has an index in the same order (decision 0306).
    """
    orders = scoped(WorkOrder.objects.select_related("branch", "device", "assignee", "team"), principal)
    if status:
        orders = orders.filter(status=status)
    elif open_only or at_risk:
        orders = orders.filter(_OPEN_LITERAL)
    if priority:
        orders = orders.filter(priority=priority)
    if kind:
        orders = orders.filter(kind=kind)
    if channel:
        orders = orders.filter(channel=channel)
    if branch_id is not None:
        orders = orders.filter(branch_id=branch_id)
    if assignee_id is not None:
        orders = orders.filter(assignee_id=assignee_id)
    if device_id is not None:
        orders = orders.filter(device_id=device_id)
    if team_member_id is not None:
        orders = orders.filter(team__members=team_member_id)
    newest_first: tuple[str, ...] = ("-opened_at", "-id")
    if query:
        orders, by_term = _search(orders, query.strip(), branch_ids=_branches(principal, branch_id))
        if by_term:
            # The first term's index entries carry the opening time: read them in display order.
            newest_first = ("-terms__opened_at", "-terms__work_order_id")
    if at_risk:
        return orders.annotate(next_due=NEXT_DUE).filter(next_due__isnull=False).order_by("next_due", "id")
    if open_only or status in WorkOrderStatus.open_values():
        return orders.annotate(next_due=NEXT_DUE).order_by(F("next_due").asc(nulls_last=True), "id")
    return orders.order_by(*newest_first)


# The open-order condition with its values written into the SQL, not bound: SQLite uses a partial
# index (wo_open_next_due) only when the query's condition is literally the index's, and bound
# values are unknown to its planner (it then scans a million rows). The values are the code's own
# status constants, never input. PostgreSQL plans both forms alike.
_OPEN_LITERAL = RawSQL(  # noqa: S611 - constants from WorkOrderStatus, no input
    '"servicedesk_workorder"."status" IN ({})'.format(
        ", ".join(f"'{value}'" for value in WorkOrderStatus.open_values())
    ),
    [],
    output_field=BooleanField(),
)


def work_order_page(*, principal: Principal, page: int, page_size: int, **filters: Any) -> paging.OrderPage:
    """One page of :func:`list_work_orders` with its total counted up to a cap (decision 0306).

    A plain text search (no other filter) reads the page's order ids from the search terms' index,
    newest first within the caller's branches, and then only those orders."""
    terms = _plain_search_terms(filters)
    if terms is None:
        orders = list_work_orders(principal=principal, **filters)
        return paging.paginate_orders(orders, page=page, page_size=page_size)
    ids = _term_matches(terms, _branches(principal, filters.get("branch_id")))
    # Counted in order id order, PostgreSQL merges the terms' (term, work_order) index ranges and
    # stops at the cap; in display order it would probe or hash every match of the commoner term.
    count_ids = ids if len(terms) == 1 else ids.order_by("work_order_id")
    return paging.paginate_by_ids(
        ids, scoped(_ORDER_ROWS, principal), page=page, page_size=page_size, count_ids=count_ids
    )


_ORDER_ROWS = WorkOrder.objects.select_related("branch", "device", "assignee", "team")


def _branches(principal: Principal, branch_id: int | None) -> list[int] | None:
    """The branches a search is limited to (None: all), for the scope copied onto the terms."""
    scope = principal.branch_scope()
    if branch_id is not None:
        return [branch_id] if scope.allows(branch_id) else []
    return None if scope.all_branches else sorted(scope.branch_ids)


def _is_reference(text: str) -> bool:
    """An order number (WO-00000042 or 42) or a message reference, not words."""
    return text.upper().removeprefix("WO-").lstrip("0").isdigit() or "@" in text or text.startswith("<")


def _search(
    orders: QuerySet[WorkOrder], text: str, *, branch_ids: list[int] | None
) -> tuple[QuerySet[WorkOrder], bool]:
    """A number (WO-00000042 or 42) finds that order, a message reference its order; other text must
    match every search term (title, fault code, device tag; see :mod:`bastion.servicedesk.search`).

    Returns the orders and whether they were joined to their first term (whose index then gives the
    order of the results)."""
    if _is_reference(text):
        digits = text.upper().removeprefix("WO-").lstrip("0")
        return (
            orders.filter(pk=int(digits)) if digits.isdigit() else orders.filter(external_ref=text)
        ), False
    terms = search.query_terms(text)
    if not terms:
        return orders.none(), False
    first, *rest = terms
    # One filter() call, so the term and its branch constrain the same joined row.
    match: dict[str, Any] = {"terms__term": first}
    if branch_ids is not None:
        match["terms__branch_id__in"] = branch_ids
    orders = orders.filter(**match)
    for term in rest:
        orders = orders.filter(pk__in=_entries(term, branch_ids).values("work_order_id"))
    return orders, True


_PLAIN_SEARCH = frozenset({"query", "branch_id"})


def _plain_search_terms(filters: dict[str, Any]) -> list[str] | None:
    """The terms of a plain text search (words, no other filter but the branch), else None."""
    query = str(filters.get("query") or "").strip()
    if not query or _is_reference(query):
        return None
    if any(value for name, value in filters.items() if name not in _PLAIN_SEARCH):
        return None
    return search.query_terms(query) or None


def _entries(term: str, branch_ids: list[int] | None) -> QuerySet[WorkOrderTerm]:
    """A term's index entries, cut to the branches (every term row carries its order's branch)."""
    rows = WorkOrderTerm.objects.filter(term=term)
    return rows if branch_ids is None else rows.filter(branch_id__in=branch_ids)


def _term_matches(terms: list[str], branch_ids: list[int] | None) -> QuerySet[Any]:
    """The ids of the orders having every term, newest first: the first term's entries in the order
    of its (term, [branch,] opened_at, work_order) index, the others checked against theirs."""
    rows = _entries(terms[0], branch_ids)
    for term in terms[1:]:
        # A correlated EXISTS: SQLite then walks the first term's index in display order and probes
        # the others (with IN it read the whole list and sorted); PostgreSQL makes a semi-join of both.
        rows = rows.filter(Exists(_entries(term, branch_ids).filter(work_order_id=OuterRef("work_order_id"))))
    return rows.order_by("-opened_at", "-work_order_id").values_list("work_order_id", flat=True)


def get_work_order(*, principal: Principal, work_order_id: int) -> WorkOrder:
    return get_scoped_object(
        WorkOrder.objects.select_related(
            "branch", "device", "assignee", "team", "sla_policy", "duplicate_of"
        ),
        principal,
        pk=work_order_id,
    )


def list_timeline(*, work_order: WorkOrder) -> QuerySet[TimelineEntry]:
    return work_order.timeline.select_related("actor").order_by("at", "id")


def find_by_external_ref(*, external_ref: str) -> WorkOrder | None:
    """The order an e-mail Message-ID / WeChat MsgId opened or was threaded onto (for intake)."""
    if not external_ref:
        return None
    order = WorkOrder.objects.filter(external_ref=external_ref).order_by("id").first()
    if order is not None:
        return order
    entry = TimelineEntry.objects.filter(external_ref=external_ref).select_related("work_order").first()
    return entry.work_order if entry else None


# --- SLA ------------------------------------------------------------------------------------------


def resolve_sla_policy(*, priority: str, device_class: str, branch_id: int) -> SlaPolicy | None:
    """The most specific active policy: branch and class > branch > class > general; None: defaults."""
    candidates = SlaPolicy.objects.filter(is_active=True, priority=priority).filter(
        Q(branch_id=branch_id) | Q(branch__isnull=True)
    )
    candidates = candidates.filter(Q(device_class=device_class) | Q(device_class=""))
    best: SlaPolicy | None = None
    best_rank = -1
    for policy in candidates:
        rank = (2 if policy.branch_id else 0) + (1 if policy.device_class else 0)
        if rank > best_rank:
            best, best_rank = policy, rank
    return best


def list_sla_policies(*, principal: Principal) -> QuerySet[SlaPolicy]:
    """Policies of the principal's branches plus the institution-wide ones every branch inherits."""
    scope = principal.branch_scope()
    policies = SlaPolicy.objects.select_related("branch")
    if not scope.all_branches:
        policies = policies.filter(Q(branch__isnull=True) | Q(branch_id__in=sorted(scope.branch_ids)))
    return policies.order_by("priority", "device_class", "branch_id", "id")


def working_clock(order: WorkOrder) -> sla.WorkingClock:
    """The clock an order's SLA runs on: its branch calendar, or 24x7."""
    if order.clock_24x7:
        return sla.ALWAYS_OPEN
    return sla.clock_for(clock_for_branch(branch=order.branch), always_open=False)


def status_history(order: WorkOrder) -> list[tuple[dt.datetime, str]]:
    """``(at, new status)`` pairs of the order, oldest first (the source of its pauses)."""
    return list(order.timeline.filter(kind="status").order_by("at", "id").values_list("at", "to_status"))


def targets_of(order: WorkOrder) -> sla.Targets:
    return sla.Targets.of_minutes(order.response_minutes, order.resolution_minutes, order.warn_share)


def compute_due_times(order: WorkOrder) -> sla.DueTimes:
    """The order's warning and due instants, rebuilt from its status history."""
    pauses = sla.pauses_from_history(status_history(order), WorkOrderStatus.paused())
    return sla.compute_due_times(
        working_clock(order), opened_at=order.opened_at, targets=targets_of(order), pauses=pauses
    )


@dataclass(frozen=True)
class ClockView:
    """What the order page shows for one SLA clock."""

    target_minutes: int
    due_at: dt.datetime | None
    stopped_at: dt.datetime | None
    used_minutes: float
    breached: bool
    paused: bool

    @property
    def share_used(self) -> float:
        return self.used_minutes / self.target_minutes if self.target_minutes else 0.0

    @property
    def percent_used(self) -> int:
        return min(100, round(self.share_used * 100))


def clock_views(order: WorkOrder, *, now: dt.datetime | None = None) -> dict[str, ClockView]:
    """Both clocks of an order as of ``now``: target, due, working minutes used, breached."""
    now = now or timezone.now()
    clock = working_clock(order)
    pauses = sla.pauses_from_history(status_history(order), WorkOrderStatus.paused())
    views = {}
    for name, target, due, stopped, breached in (
        (
            "response",
            order.response_minutes,
            order.response_due_at,
            order.first_response_at,
            order.response_breached,
        ),
        (
            "resolution",
            order.resolution_minutes,
            order.resolution_due_at,
            order.resolved_at,
            order.resolution_breached,
        ),
    ):
        until = stopped or now
        used = sla.elapsed(clock, start=order.opened_at, until=until, pauses=pauses) / dt.timedelta(minutes=1)
        views[name] = ClockView(
            target_minutes=target,
            due_at=due,
            stopped_at=stopped,
            used_minutes=round(used, 1),
            breached=breached or (stopped is None and due is not None and now >= due),
            paused=stopped is None and order.is_paused,
        )
    return views


# --- dashboards -----------------------------------------------------------------------------------


def satisfaction(
    *, principal: Principal, since: dt.datetime | None = None, group_by: str = "branch"
) -> list[dict[str, Any]]:
    """Average rating and share satisfied (4-5) per engineer, team or branch (R3.8)."""
    field = {"engineer": "engineer", "team": "team", "branch": "branch"}.get(group_by)
    if field is None:
        raise NotFound(_("Unknown grouping."))
    rows = scoped(Feedback.objects.all(), principal)
    if since is not None:
        rows = rows.filter(submitted_at__gte=since)
    label = {"engineer": "engineer__username", "team": "team__name", "branch": "branch__name"}[field]
    result = (
        rows.values(f"{field}_id", label)
        .annotate(count=Count("id"), average=Avg("rating"), satisfied=Count("id", filter=Q(rating__gte=4)))
        .order_by(label)
    )
    return [
        {
            "id": row[f"{field}_id"],
            "name": row[label] or "—",
            "count": row["count"],
            "average": round(float(row["average"] or 0), 2),
            "satisfied_share": round(row["satisfied"] / row["count"], 4) if row["count"] else 0.0,
        }
        for row in result
    ]


def sla_summary(*, principal: Principal, since: dt.datetime) -> dict[str, Any]:
    """Counts behind the SLA dashboard: opened, resolved, breaches, averages, open at risk."""
    orders = scoped(WorkOrder.objects.all(), principal).filter(opened_at__gte=since)
    resolved = orders.filter(resolved_at__isnull=False)
    totals = orders.aggregate(
        opened=Count("id"),
        response_breached=Count("id", filter=Q(response_breached=True)),
        resolution_breached=Count("id", filter=Q(resolution_breached=True)),
        responded=Count("id", filter=Q(first_response_at__isnull=False)),
    )
    durations = [
        (resolved_at - opened_at).total_seconds() / 60
        for opened_at, resolved_at in resolved.values_list("opened_at", "resolved_at")[:20000]
        if resolved_at is not None
    ]
    now = timezone.now()
    open_orders = scoped(WorkOrder.objects.all(), principal).filter(status__in=WorkOrderStatus.open_values())
    feedback = (
        scoped(Feedback.objects.all(), principal)
        .filter(submitted_at__gte=since)
        .aggregate(count=Count("id"), satisfied=Count("id", filter=Q(rating__gte=4)), average=Avg("rating"))
    )
    return {
        **totals,
        "resolved": len(durations),
        "average_resolution_minutes": round(sum(durations) / len(durations), 1) if durations else None,
        "open": open_orders.count(),
        "overdue": open_orders.filter(resolution_due_at__lt=now).count(),
        "feedback_count": feedback["count"],
        "satisfied_share": round(feedback["satisfied"] / feedback["count"], 4) if feedback["count"] else None,
        "average_rating": round(float(feedback["average"]), 2) if feedback["average"] else None,
    }


def branches_in_scope(*, principal: Principal) -> QuerySet[Branch]:
    return scoped(Branch.objects.filter(is_active=True), principal)
