"""Customer satisfaction through a signed link (R3.8): no login, one rating per order, expiring."""

from __future__ import annotations

from typing import Any

from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bastion.audit.actions import record_event
from bastion.platform.errors import Conflict, FieldError, NotFound
from bastion.servicedesk.actions._common import add_timeline, load_order, require
from bastion.servicedesk.choices import NoteSource, TimelineKind, WorkOrderStatus
from bastion.servicedesk.models import Feedback, WorkOrder
from bastion.servicedesk.permissions import LOG

SALT = "bastion.servicedesk.feedback"
# Long enough for a customer to answer after a weekend and a holiday, short enough to mean "this visit".
MAX_AGE_DAYS = 14


def feedback_token(order: WorkOrder) -> str:
    """The signed, expiring token of an order's feedback link (bound to its resolution instant)."""
    resolved = order.resolved_at.isoformat() if order.resolved_at else ""
    issued = int(timezone.now().timestamp())
    return signing.dumps({"o": order.pk, "r": resolved, "t": issued}, salt=SALT, compress=True)


def order_for_token(token: str) -> WorkOrder:
    """The resolved order a token belongs to; refuses bad, expired and outdated tokens."""
    try:
        payload = signing.loads(token, salt=SALT)
    except signing.BadSignature as exc:
        raise NotFound(_("This feedback link is not valid.")) from exc
    # The issue time is signed with the rest and read on the application clock (not the signer's).
    issued = payload.get("t") if isinstance(payload, dict) else None
    if not isinstance(issued, int):
        raise NotFound(_("This feedback link is not valid."))
    if timezone.now().timestamp() - issued > MAX_AGE_DAYS * 86400:
        raise Conflict(_("This feedback link has expired."), code="expired")
    order = WorkOrder.objects.select_related("branch", "assignee").filter(pk=payload.get("o")).first()
    if order is None or order.status not in (WorkOrderStatus.RESOLVED, WorkOrderStatus.CLOSED):
        raise NotFound(_("This feedback link is not valid."))
    if not order.resolved_at or order.resolved_at.isoformat() != payload.get("r"):
        raise Conflict(
            _("The order was reopened; a new link comes with its next resolution."), code="outdated"
        )
    return order


def _validate(rating: int, comment: str) -> None:
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise FieldError("rating", _("Rate from 1 to 5."))
    if len(comment) > 2000:
        raise FieldError("comment", _("The comment is longer than 2000 characters."))


def do_submit_feedback(*, token: str, rating: int, comment: str = "", actor: Any = None) -> Feedback:
    """Record the customer's rating (1-5) and comment once; a second submission is refused."""
    _validate(rating, comment)
    with transaction.atomic():
        return _record(order_for_token(token), rating, comment, actor)


def do_record_feedback(*, work_order_id: int, rating: int, comment: str = "", actor: Any) -> Feedback:
    """Record a rating the customer gave an agent (a callback survey, 回访) for a resolved order."""
    require(actor, LOG)
    _validate(rating, comment)
    with transaction.atomic():
        order = load_order(actor, work_order_id)
        if order.status not in (WorkOrderStatus.RESOLVED, WorkOrderStatus.CLOSED):
            raise Conflict(_("Only a resolved order is rated."), code="not_resolved")
        return _record(order, rating, comment, actor)


def _record(order: WorkOrder, rating: int, comment: str, actor: Any) -> Feedback:
    """Store the rating with the engineer, team and branch of the order (one per order)."""
    try:
        with transaction.atomic():
            feedback = Feedback.objects.create(
                work_order=order,
                rating=rating,
                comment=comment.strip(),
                engineer=order.assignee,
                team_id=order.team_id,
                branch_id=order.branch_id,
                submitted_at=timezone.now(),
            )
    except IntegrityError as exc:
        raise Conflict(_("This order has been rated already. Thank you."), code="already_rated") from exc
    add_timeline(
        order,
        kind=TimelineKind.FEEDBACK,
        actor=actor,
        source=NoteSource.CUSTOMER,
        text=f"{'★' * rating}{'☆' * (5 - rating)} {feedback.comment}".strip(),
        data={"rating": rating},
    )
    record_event(action="servicedesk.feedback_submitted", actor=actor, obj=order, after={"rating": rating})
    return feedback
