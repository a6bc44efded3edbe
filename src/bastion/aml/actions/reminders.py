"""Deadline reminders for AML officers: reports due soon or overdue, cases past their deadline,
customers due for periodic review. One notification per kind per run, to everyone who can act.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from bastion.aml import permissions as perms
from bastion.aml.choices import ReportStatus
from bastion.aml.models import Case, Customer, LargeValueReport, SuspiciousReport
from bastion.aml.services.cases import OPEN_CASES

PENDING = (ReportStatus.DRAFT, ReportStatus.REVIEWED)


def officers() -> list[object]:
    users = get_user_model().objects.filter(is_active=True)
    return [u for u in users if u.has_permission(perms.REVIEW_REPORTS)]


def due_counts(*, today: dt.date, horizon: dt.date) -> dict[str, int]:
    """What needs attention: reports due by ``horizon`` (or late), overdue cases, reviews due."""
    return {
        "large_value": LargeValueReport.objects.filter(status__in=PENDING, due_on__lte=horizon).count(),
        "suspicious": SuspiciousReport.objects.filter(status__in=PENDING, due_on__lte=horizon).count(),
        "overdue_cases": Case.objects.filter(status__in=OPEN_CASES, due_on__lt=today).count(),
        "reviews": Customer.objects.filter(
            next_review_on__lte=today, relationship_ended_on__isnull=True
        ).count(),
    }


def do_remind_aml_deadlines(*, today: dt.date) -> dict[str, int]:
    """Notify AML officers of what falls due by tomorrow; returns the counts sent."""
    from bastion.notify.actions import do_notify

    counts = due_counts(today=today, horizon=today + dt.timedelta(days=1))
    if not any(counts.values()):
        return counts
    body = (
        _(
            "Large-value reports due by tomorrow or late: %(large_value)d. Suspicious transaction reports due by "
            "tomorrow or late: %(suspicious)d. Cases past their deadline: %(overdue_cases)d. Customers due for "
            "periodic review: %(reviews)d."
        )
        % counts
    )
    with transaction.atomic():
        do_notify(
            recipients=officers(), kind="aml.deadlines", subject=_("AML deadlines"), body=body, link="/aml/"
        )
    return counts
