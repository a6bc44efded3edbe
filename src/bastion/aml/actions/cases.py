"""Writes of alerts and cases (R5.4): raise, exclude, open a case, investigate, decide under dual control.

A case decision is proposed by one officer and confirmed by another; the proposer can never confirm
(docs/decisions/0601-aml-cases-dual-control.md). Confirming "report" drafts the suspicious
transaction report, due within 5 working days of that confirmation.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bastion.aml import permissions as perms
from bastion.aml.actions.common import choice, clean_text, next_number, person_of, require, require_person
from bastion.aml.choices import AlertStatus, CaseDecision, CaseStatus, EvidenceKind
from bastion.aml.models import Alert, Case, CaseEvidence, CaseNote, Customer
from bastion.aml.services.calendar import regulatory_calendar
from bastion.audit.actions import record_event
from bastion.identity.models import User
from bastion.platform.errors import Conflict, FieldError, NotFound, PermissionDenied
from bastion.risk.models import StoredPayment

INVESTIGATION_WORKING_DAYS = 10


def do_raise_alert(*, key: str, source: str, code: str, summary_zh: str, summary_en: str, customer_no: str = "",
                   account: str = "", score: int = 0, details: dict[str, Any] | None = None,
                   payment_ids: list[str] | None = None, total: Decimal = Decimal(0),
                   first_at: dt.datetime | None = None, last_at: dt.datetime | None = None,
                   branch_id: int | None = None, actor: Any = None) -> tuple[Alert, bool]:  # fmt: skip
    """Raise an alert once per ``key``; a second raise of the same key returns the first."""
    existing = Alert.objects.filter(key=key).first()
    if existing is not None:
        return existing, False
    customer = Customer.objects.filter(customer_no=customer_no).first() if customer_no else None
    alert = Alert(
        key=key[:200], source=source, code=code[:60], customer_no=customer_no, account=account, customer=customer,
        branch_id=branch_id or (customer.branch_id if customer else None), score=max(0, min(100, score)),
        summary_zh=summary_zh[:500], summary_en=summary_en[:500], details=details or {},
        payment_ids=payment_ids or [], total=total, first_at=first_at, last_at=last_at,
    )  # fmt: skip
    try:
        with transaction.atomic():
            alert.save()
            record_event(
                action="aml.raise_alert", actor=actor, obj=alert, after={"code": code, "score": alert.score}
            )
    except IntegrityError:  # raised meanwhile by another process: the first one stands
        return Alert.objects.get(key=key[:200]), False
    return alert, True


def do_exclude_alert(*, alert_id: int, reason: str, actor: Any) -> Alert:
    """Exclude an alert after review; the reason stays on file (Art. 14)."""
    require(actor, perms.INVESTIGATE)
    reason = clean_text(reason, "reason", 2000)
    with transaction.atomic():
        alert = Alert.objects.select_for_update().filter(pk=alert_id).first()
        if alert is None:
            raise NotFound(_("Alert not found."))
        if alert.status != AlertStatus.NEW:
            raise Conflict(_("Only a new alert can be excluded."))
        alert.status, alert.excluded_reason = AlertStatus.EXCLUDED, reason
        alert.excluded_by, alert.excluded_at = person_of(actor), timezone.now()
        alert.save(update_fields=["status", "excluded_reason", "excluded_by", "excluded_at"])
        record_event(action="aml.exclude_alert", actor=actor, obj=alert, after={"reason": reason})
    return alert


def _assignee(user_id: int | None) -> User | None:
    if user_id is None:
        return None
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.has_permission(perms.INVESTIGATE):
        raise FieldError("assignee_id", _("Choose an active user who may investigate."))
    return user


def _attach_payments(case: Case, payment_ids: list[str], actor: Any) -> None:
    payments = StoredPayment.objects.filter(payment_id__in=payment_ids).exclude(
        pk__in=case.evidence.filter(payment__isnull=False).values("payment_id")
    )
    CaseEvidence.objects.bulk_create(
        CaseEvidence(
            case=case, kind=EvidenceKind.PAYMENT, payment=p, reference=p.payment_id, added_by=person_of(actor)
        )
        for p in payments
    )


def do_open_case(
    *, alert_ids: list[int], title: str = "", assignee_id: int | None = None, actor: Any
) -> Case:
    """Take new alerts of one subject into a new case, with their payments as evidence."""
    require(actor, perms.INVESTIGATE)
    if not alert_ids:
        raise FieldError("alert_ids", _("Choose at least one alert."))
    assignee = _assignee(assignee_id)
    with transaction.atomic():
        alerts = list(Alert.objects.select_for_update().filter(pk__in=alert_ids).order_by("pk"))
        if len(alerts) != len(set(alert_ids)):
            raise FieldError("alert_ids", _("Some of these alerts do not exist."))
        if any(a.status != AlertStatus.NEW for a in alerts):
            raise Conflict(_("Only new alerts can be taken into a case."))
        subjects = {a.customer_no or a.account for a in alerts}
        if len(subjects) > 1:
            raise FieldError("alert_ids", _("A case covers one subject; these alerts concern several."))
        first, now = alerts[0], timezone.now()
        calendar = regulatory_calendar()
        case = Case.objects.create(
            number=next_number(Case, f"AML{now:%Y}", digits=6), title=clean_text(title, "title", 200, required=False) or first.summary_zh[:200],
            customer_no=first.customer_no, customer=first.customer, branch_id=first.branch_id, assignee=assignee,
            opened_by=person_of(actor), due_on=calendar.working_days_after(calendar.local_day(now), INVESTIGATION_WORKING_DAYS),
        )  # fmt: skip
        Alert.objects.filter(pk__in=[a.pk for a in alerts]).update(status=AlertStatus.IN_CASE, case=case)
        _attach_payments(case, [p for a in alerts for p in a.payment_ids], actor)
        record_event(action="aml.open_case", actor=actor, obj=case,
                     after={"alerts": [a.pk for a in alerts], "assignee": assignee.username if assignee else None})  # fmt: skip
    return case


def _locked_case(case_id: int, *, open_only: bool = True) -> Case:
    case = Case.objects.select_for_update().filter(pk=case_id).first()
    if case is None:
        raise NotFound(_("Case not found."))
    if open_only and case.status not in (CaseStatus.OPEN, CaseStatus.PROPOSED):
        raise Conflict(_("The case is decided."))
    return case


def do_assign_case(*, case_id: int, assignee_id: int, actor: Any) -> Case:
    """Give a case to an investigator."""
    require(actor, perms.INVESTIGATE)
    assignee = _assignee(assignee_id)
    with transaction.atomic():
        case = _locked_case(case_id)
        before = {"assignee": case.assignee.username if case.assignee else None}
        case.assignee = assignee
        case.save(update_fields=["assignee"])
        record_event(action="aml.assign_case", actor=actor, obj=case, before=before,
                     after={"assignee": assignee.username if assignee else None})  # fmt: skip
    return case


def do_add_case_note(*, case_id: int, text: str, actor: Any) -> CaseNote:
    """Add an investigation note (notes are never edited)."""
    require(actor, perms.INVESTIGATE)
    author = require_person(actor)
    text = clean_text(text, "text", 10_000)
    with transaction.atomic():
        case = _locked_case(case_id)
        note = CaseNote.objects.create(case=case, author=author, text=text)
        record_event(action="aml.add_case_note", actor=actor, obj=case, after={"note": note.pk})
    return note


def do_add_evidence(*, case_id: int, kind: str, reference: str, note: str = "", actor: Any) -> CaseEvidence:
    """Attach a payment (by payment id), an account, a customer or a document reference."""
    require(actor, perms.INVESTIGATE)
    kind = choice(kind, "kind", EvidenceKind)
    reference = clean_text(reference, "reference", 200)
    payment = None
    if kind == EvidenceKind.PAYMENT:
        payment = StoredPayment.objects.filter(payment_id=reference).first()
        if payment is None:
            raise FieldError("reference", _("No stored payment has this id."))
    with transaction.atomic():
        case = _locked_case(case_id)
        if payment is not None and case.evidence.filter(payment=payment).exists():
            raise Conflict(_("This payment is already evidence in the case."))
        evidence = CaseEvidence.objects.create(case=case, kind=kind, payment=payment, reference=reference,
                                               note=clean_text(note, "note", 1000, required=False),
                                               added_by=person_of(actor))  # fmt: skip
        record_event(
            action="aml.add_case_evidence",
            actor=actor,
            obj=case,
            after={"kind": kind, "reference": reference},
        )
    return evidence


def do_propose_case_decision(*, case_id: int, decision: str, reason: str, actor: Any) -> Case:
    """Propose closing the case or reporting it; a second officer confirms."""
    require(actor, perms.INVESTIGATE)
    proposer = require_person(actor)
    decision = choice(decision, "decision", CaseDecision)
    reason = clean_text(reason, "reason", 5000)
    with transaction.atomic():
        case = _locked_case(case_id)
        if case.status != CaseStatus.OPEN:
            raise Conflict(_("A decision is already proposed."))
        case.status, case.proposed_decision, case.proposed_reason = CaseStatus.PROPOSED, decision, reason
        case.proposed_by, case.proposed_at = proposer, timezone.now()
        case.save(
            update_fields=["status", "proposed_decision", "proposed_reason", "proposed_by", "proposed_at"]
        )
        record_event(action="aml.propose_case_decision", actor=actor, obj=case, after={"decision": decision})
    return case


def do_return_case_decision(*, case_id: int, reason: str, actor: Any) -> Case:
    """Send a proposal back to investigation, with why."""
    require(actor, perms.DECIDE_CASES)
    require_person(actor)
    reason = clean_text(reason, "reason", 2000)
    with transaction.atomic():
        case = _locked_case(case_id)
        if case.status != CaseStatus.PROPOSED:
            raise Conflict(_("No decision is proposed."))
        before = {
            "decision": case.proposed_decision,
            "by": case.proposed_by.username if case.proposed_by else None,
        }
        case.status, case.proposed_decision, case.proposed_by, case.proposed_at = (
            CaseStatus.OPEN,
            "",
            None,
            None,
        )
        case.save(update_fields=["status", "proposed_decision", "proposed_by", "proposed_at"])
        CaseNote.objects.create(
            case=case, author=person_of(actor), text=_("Proposal returned: %(reason)s") % {"reason": reason}
        )
        record_event(
            action="aml.return_case_decision", actor=actor, obj=case, before=before, after={"reason": reason}
        )
    return case


def do_confirm_case_decision(*, case_id: int, actor: Any) -> Case:
    """Confirm another officer's proposal; "report" drafts the suspicious transaction report."""
    from bastion.aml.actions.suspicious import draft_report_for_case

    require(actor, perms.DECIDE_CASES)
    checker = require_person(actor)
    with transaction.atomic():
        case = _locked_case(case_id)
        if case.status != CaseStatus.PROPOSED:
            raise Conflict(_("No decision is proposed."))
        if case.proposed_by_id == checker.pk:
            raise PermissionDenied(
                _("The officer who proposed a decision cannot confirm it."), code="same_person"
            )
        case.decision, case.decision_reason = case.proposed_decision, case.proposed_reason
        case.decided_by, case.decided_at = checker, timezone.now()
        case.status = CaseStatus.REPORTED if case.decision == CaseDecision.REPORT else CaseStatus.CLOSED
        case.save(update_fields=["decision", "decision_reason", "decided_by", "decided_at", "status"])
        record_event(action="aml.confirm_case_decision", actor=actor, obj=case,
                     after={"decision": case.decision, "proposed_by": case.proposed_by.username if case.proposed_by else None})  # fmt: skip
        if case.decision == CaseDecision.REPORT:
            draft_report_for_case(case, actor=actor)
    return case
