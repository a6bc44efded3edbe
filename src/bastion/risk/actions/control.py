"""Writes of payment controls (limits, authorisation thresholds) and of the review queue.

Each action is atomic with its audit event. Reviews are dual control: the person who proposes the
outcome of a held payment never confirms it, and the operator who submitted a payment never
authorises it. A confirmed outcome also records whether fraud was confirmed, which backtests read.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bastion.audit.actions import record_event
from bastion.engine.schema import AUTH_METHODS, BUSINESS_TYPES, CHANNELS, CUSTOMER_TYPES
from bastion.platform.errors import Conflict, FieldError, NotFound, PermissionDenied
from bastion.platform.scoping import get_scoped_object
from bastion.risk import permissions as perms
from bastion.risk.actions.rules import _require, _require_person, _user_of
from bastion.risk.choices import ControlKind, ReviewKind, ReviewOutcome, ReviewStatus
from bastion.risk.models import PaymentControl, PaymentReview, StoredPayment

MAX_AMOUNT = Decimal("1000000000000")
CONTROL_FIELDS = (
    "kind", "name", "channel", "business_type", "customer_type", "customer", "single_amount", "daily_amount",
    "required_auth", "review_minutes", "active",
)  # fmt: skip


def _choice(value: str | None, field: str, allowed: tuple[str, ...]) -> str:
    value = (value or "").strip()
    if value and value not in allowed:
        raise FieldError(field, _("Choose one of: %(choices)s.") % {"choices": ", ".join(allowed)})
    return value


def _amount(value: Any, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise FieldError(field, _("Give an amount such as 50000.00.")) from None
    if (
        not amount.is_finite()
        or amount <= 0
        or amount >= MAX_AMOUNT
        or amount != amount.quantize(Decimal("0.01"))
    ):
        raise FieldError(field, _("Give a positive amount with at most two decimal places."))
    return amount.quantize(Decimal("0.01"))


def _clean_control(data: dict[str, Any]) -> dict[str, Any]:
    kind = data.get("kind") or ""
    if kind not in ControlKind.values:
        raise FieldError(
            "kind", _("Choose one of: %(choices)s.") % {"choices": ", ".join(ControlKind.values)}
        )
    name = (data.get("name") or "").strip()
    if not name or len(name) > 200:
        raise FieldError("name", _("Give a name of at most 200 characters."))
    single, daily = (
        _amount(data.get("single_amount"), "single_amount"),
        _amount(data.get("daily_amount"), "daily_amount"),
    )
    methods = list(dict.fromkeys(data.get("required_auth") or []))
    for method in methods:
        if method not in AUTH_METHODS or method in {"none", "password"}:
            raise FieldError(
                "required_auth", _("Unknown or too weak verification method: %(m)s.") % {"m": method}
            )
    if kind == ControlKind.LIMIT:
        if single is None and daily is None:
            raise FieldError("single_amount", _("A limit needs a single or a daily amount."))
        if not methods:
            raise FieldError(
                "required_auth", _("Name at least one verification method that satisfies the limit.")
            )
    else:
        if single is None:
            raise FieldError("single_amount", _("An authorisation threshold needs an amount."))
        daily, methods = None, []
    minutes = data.get("review_minutes", 30)
    if not isinstance(minutes, int) or not 1 <= minutes <= 24 * 60:
        raise FieldError("review_minutes", _("Between 1 and 1440 minutes."))
    customer = (data.get("customer") or "").strip()
    if len(customer) > 128:
        raise FieldError("customer", _("At most %(n)d characters.") % {"n": 128})
    return {
        "kind": kind, "name": name, "channel": _choice(data.get("channel"), "channel", CHANNELS),
        "business_type": _choice(data.get("business_type"), "business_type", BUSINESS_TYPES),
        "customer_type": _choice(data.get("customer_type"), "customer_type", CUSTOMER_TYPES),
        "customer": customer, "single_amount": single, "daily_amount": daily, "required_auth": methods,
        "review_minutes": minutes, "active": bool(data.get("active", True)),
    }  # fmt: skip


def _state(control: PaymentControl) -> dict[str, Any]:
    return {
        f: str(v) if isinstance(v, Decimal) else v
        for f in CONTROL_FIELDS
        if (v := getattr(control, f)) is not None
    }


def do_save_control(*, control_id: int | None = None, data: dict[str, Any], actor: Any) -> PaymentControl:
    """Create a control, or replace an existing one's settings; scorers pick it up within seconds."""
    _require(actor, perms.MANAGE_CONTROLS)
    with transaction.atomic():
        if control_id is None:
            fields = _clean_control(data)
            control = PaymentControl(**fields)
            before = None
        else:
            found = PaymentControl.objects.select_for_update().filter(pk=control_id).first()
            if found is None:
                raise NotFound(_("Payment control not found."))
            control, before = found, _state(found)
            fields = _clean_control({**before, **data})
            for key, value in fields.items():
                setattr(control, key, value)
        control.updated_at, control.updated_by = timezone.now(), _user_of(actor)
        control.save()
        record_event(
            action="risk.save_control", actor=actor, obj=control, before=before, after=_state(control)
        )
    return control


# --- the review queue -------------------------------------------------------------------------------
def _locked_review(review_id: int, actor: Any) -> PaymentReview:
    queryset = PaymentReview.objects.select_for_update().select_related("payment")
    try:
        return get_scoped_object(queryset, actor, pk=review_id)
    except NotFound:
        raise NotFound(_("Review not found.")) from None


def _in(review: PaymentReview, *statuses: str) -> None:
    if review.status not in statuses:
        raise Conflict(
            _("This review is %(status)s.") % {"status": ReviewStatus(review.status).label},
            code="wrong_status",
        )


def _note(note: str, *, required: bool) -> str:
    note = (note or "").strip()
    if required and not note:
        raise FieldError("note", _("Say why (the note is kept with the decision)."))
    if len(note) > 1000:
        raise FieldError("note", _("At most %(n)d characters.") % {"n": 1000})
    return note


def _audit(review: PaymentReview, action: str, actor: Any, before: str, **after: Any) -> None:
    record_event(
        action=action, actor=actor, obj=review, branch_id=review.payment.branch_id,
        before={"status": before}, after={"status": review.status, "payment": review.payment.payment_id, **after},
    )  # fmt: skip


def do_propose_review(
    *, review_id: int, outcome: str, note: str, fraud: bool | None, actor: Any
) -> PaymentReview:
    """The first reviewer of a held or review decision proposes release or reject, with a note."""
    _require(actor, perms.REVIEW_PAYMENTS)
    user = _require_person(actor)
    if outcome not in ReviewOutcome.values:
        raise FieldError(
            "outcome", _("Choose one of: %(choices)s.") % {"choices": ", ".join(ReviewOutcome.values)}
        )
    note = _note(note, required=True)
    with transaction.atomic():
        review = _locked_review(review_id, actor)
        if review.kind == ReviewKind.AUTHORISATION:
            raise Conflict(_("Business authorisations are decided with Authorise."), code="wrong_kind")
        _in(review, ReviewStatus.PENDING)
        review.status, review.proposed_outcome, review.proposed_fraud = ReviewStatus.PROPOSED, outcome, fraud
        review.proposed_by, review.proposed_at, review.proposal_note = user, timezone.now(), note
        review.save()
        _audit(
            review,
            "risk.propose_review",
            actor,
            ReviewStatus.PENDING,
            outcome=outcome,
            fraud=fraud,
            note=note,
        )
    return review


def _finish(review: PaymentReview, *, outcome: str, fraud: bool | None, user: Any, note: str) -> None:
    review.status = ReviewStatus.RELEASED if outcome == ReviewOutcome.RELEASE else ReviewStatus.REJECTED
    review.decided_by, review.decided_at, review.decision_note = user, timezone.now(), note
    review.save()
    if fraud is not None:
        StoredPayment.objects.filter(pk=review.payment_id).update(confirmed_fraud=fraud)


def do_confirm_review(*, review_id: int, note: str = "", actor: Any) -> PaymentReview:
    """A second reviewer confirms the proposal: the payment is released or rejected."""
    _require(actor, perms.REVIEW_PAYMENTS)
    user = _require_person(actor)
    note = _note(note, required=False)
    with transaction.atomic():
        review = _locked_review(review_id, actor)
        _in(review, ReviewStatus.PROPOSED)
        if review.proposed_by_id == user.pk:
            raise PermissionDenied(
                _("The reviewer who proposed cannot confirm."), code="maker_cannot_approve"
            )
        _finish(review, outcome=review.proposed_outcome, fraud=review.proposed_fraud, user=user, note=note)
        _audit(review, "risk.confirm_review", actor, ReviewStatus.PROPOSED, note=note,
               fraud=review.proposed_fraud)  # fmt: skip
    return review


def do_return_review(*, review_id: int, note: str, actor: Any) -> PaymentReview:
    """A second reviewer disagrees: the proposal is cleared and the payment waits again."""
    _require(actor, perms.REVIEW_PAYMENTS)
    user = _require_person(actor)
    note = _note(note, required=True)
    with transaction.atomic():
        review = _locked_review(review_id, actor)
        _in(review, ReviewStatus.PROPOSED)
        if review.proposed_by_id == user.pk:
            raise PermissionDenied(
                _("The reviewer who proposed cannot confirm."), code="maker_cannot_approve"
            )
        review.status, review.proposed_outcome, review.proposed_fraud = ReviewStatus.PENDING, "", None
        review.proposed_by, review.proposed_at, review.decision_note = None, None, note
        review.save()
        _audit(review, "risk.return_review", actor, ReviewStatus.PROPOSED, note=note)
    return review


def do_authorise_payment(*, review_id: int, outcome: str, note: str, actor: Any) -> PaymentReview:
    """The authoriser approves (release) or rejects a payment that needs business authorisation."""
    _require(actor, perms.AUTHORISE_PAYMENTS)
    user = _require_person(actor)
    if outcome not in ReviewOutcome.values:
        raise FieldError(
            "outcome", _("Choose one of: %(choices)s.") % {"choices": ", ".join(ReviewOutcome.values)}
        )
    note = _note(note, required=outcome == ReviewOutcome.REJECT)
    with transaction.atomic():
        review = _locked_review(review_id, actor)
        if review.kind != ReviewKind.AUTHORISATION:
            raise Conflict(_("Only business authorisations are authorised."), code="wrong_kind")
        _in(review, ReviewStatus.PENDING)
        if review.operator and review.operator in {user.get_username(), getattr(user, "display_name", "")}:
            raise PermissionDenied(
                _("The operator who submitted the payment cannot authorise it."), code="maker_cannot_approve"
            )
        _finish(review, outcome=outcome, fraud=None, user=user, note=note)
        _audit(review, "risk.authorise_payment", actor, ReviewStatus.PENDING, outcome=outcome, note=note)
    return review
