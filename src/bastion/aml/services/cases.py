"""Reads of alerts and cases: the officer's queue by deadline, a case with its evidence."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from bastion.aml import permissions as perms
from bastion.aml.choices import AlertStatus, CaseStatus
from bastion.aml.models import Alert, Case
from bastion.identity.models import User
from bastion.identity.permissions import ROLES
from bastion.platform.errors import NotFound
from bastion.platform.scoping import Principal, scoped

OPEN_CASES = (CaseStatus.OPEN, CaseStatus.PROPOSED)


def list_alerts(principal: Principal, *, status: str | None = AlertStatus.NEW, source: str | None = None,
                customer_no: str = "") -> QuerySet[Alert]:  # fmt: skip
    """Alerts in scope, newest first; new ones unless another status is asked for."""
    alerts = scoped(Alert.objects.select_related("case", "branch", "excluded_by"), principal)
    if status:
        alerts = alerts.filter(status=status)
    if source:
        alerts = alerts.filter(source=source)
    if customer_no:
        alerts = alerts.filter(customer_no=customer_no)
    return alerts


def get_alert(principal: Principal, *, alert_id: int) -> Alert:
    found = list_alerts(principal, status=None).filter(pk=alert_id).first()
    if found is None:
        raise NotFound(_("Alert not found."))
    return found


def list_cases(principal: Principal, *, status: str | None = None, assignee_id: int | None = None,
               overdue_on: object = None) -> QuerySet[Case]:  # fmt: skip
    """Cases in scope; open ones by investigation deadline unless a status is asked for."""
    cases = scoped(Case.objects.select_related("assignee", "branch", "proposed_by", "decided_by"), principal)
    cases = cases.filter(status=status) if status else cases.filter(status__in=OPEN_CASES)
    if assignee_id:
        cases = cases.filter(assignee_id=assignee_id)
    if overdue_on is not None:
        cases = cases.filter(due_on__lt=overdue_on)
    return cases.annotate(alert_count=Count("alerts", distinct=True)).order_by("due_on", "number")


def get_case(principal: Principal, *, case_id: int) -> Case:
    found = scoped(
        Case.objects.select_related("assignee", "customer", "proposed_by", "decided_by"), principal
    )
    case = found.filter(pk=case_id).first()
    if case is None:
        raise NotFound(_("Case not found."))
    return case


def case_payment_ids(case: Case) -> list[str]:
    return list(
        case.evidence.filter(payment__isnull=False)
        .order_by("payment__occurred_at")
        .values_list("payment__payment_id", flat=True)
    )


def evidence_total(case: Case) -> Decimal:
    """Sum of the RMB payments in evidence (foreign-currency ones are listed, not added)."""
    found = case.evidence.filter(payment__currency="CNY").aggregate(total=Sum("payment__amount"))["total"]
    return Decimal(found or 0)


def queue_counts(principal: Principal) -> dict[str, int]:
    """Counts for the officer's dashboard: new alerts, open cases, proposals waiting for a checker."""
    cases = scoped(Case.objects.all(), principal)
    counted = cases.aggregate(
        open=Count("pk", filter=Q(status=CaseStatus.OPEN)),
        proposed=Count("pk", filter=Q(status=CaseStatus.PROPOSED)),
    )
    return {"new_alerts": list_alerts(principal).count(), **counted}


def list_investigators() -> QuerySet[User]:
    """Active people whose roles let them investigate, for the assignee choice."""
    roles = [code for code, role in ROLES.items() if perms.INVESTIGATE in role.permissions]
    people = User.objects.filter(is_active=True, user_roles__role__code__in=roles)
    return people.distinct().order_by("username")
