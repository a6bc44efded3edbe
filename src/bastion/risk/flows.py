"""Submitting payments for a decision: scope check, validation, hand-off to the feature-state owner."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from bastion.engine import EngineConfig, Payment, PaymentValidationError
from bastion.identity.models import Branch
from bastion.platform.errors import Conflict, FieldError
from bastion.platform.scoping import Principal
from bastion.risk import transport
from bastion.risk.scorer import Submission


def _check_branch(principal: Principal, branch_id: int | None, field: str) -> None:
    scope = principal.branch_scope()
    if branch_id is None:
        if not scope.all_branches:
            raise FieldError(field, _("Give the branch the payment belongs to."))
    elif not scope.allows(branch_id) or not Branch.objects.filter(pk=branch_id).exists():
        raise FieldError(field, _("Unknown branch or outside your scope."))


def _prevalidate(record: dict[str, Any], prefix: str) -> None:
    # Checked here too so a bad payment costs no round trip; the owner validates again.
    try:
        Payment.from_mapping(record, EngineConfig())
    except PaymentValidationError as exc:
        raise FieldError(prefix + exc.field, exc.message) from None


def submit_payments(
    *, principal: Principal, payments: list[tuple[Any, ...]], single: bool
) -> list[dict[str, Any]]:
    """Decide each ``(record, branch_id[, operator])``; every bad field is refused before anything is stored."""
    items = []
    for index, (record, branch_id, *rest) in enumerate(payments):
        operator = rest[0] if rest else None
        prefix = "" if single else f"payments.{index}."
        _check_branch(principal, branch_id, prefix + "branch_id")
        _prevalidate(record, prefix)
        name = getattr(principal, "display_name", "") or str(principal)
        items.append(Submission(record, branch_id, name, "http", operator=operator or ""))
    outcomes = transport.submit(items)
    for index, outcome in enumerate(outcomes):
        prefix = "" if single else f"payments.{index}."
        if outcome["status"] == "invalid":
            raise FieldError(prefix + outcome["field"], outcome["message"])
        if single and outcome["status"] == "conflict":
            raise Conflict(outcome["message"], fields={"id": [outcome["message"]]}, code="payment_id_reused")
    return outcomes
