"""Writes of rule management (R4.3): drafts, submission, dual-control approval, activation, backtests.

Each action is atomic with its audit event. Activation retires the active version and activates the
approved one in one transaction (the partial unique index keeps "exactly one active" true at every
commit); scorers and workers switch on their next batch (docs/decisions/0505).
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bastion.audit.actions import record_event
from bastion.platform.errors import Conflict, FieldError, NotFound, PermissionDenied
from bastion.risk import permissions as perms
from bastion.risk.choices import BacktestStatus, RuleSetStatus
from bastion.risk.models import RuleSetBacktest, RuleSetVersion

logger = logging.getLogger(__name__)

MAX_TEXT = 200_000
MAX_BACKTEST_DAYS = 92


def _require(actor: Any, code: str) -> None:
    if actor is not None and not actor.has_permission(code):
        raise PermissionDenied(_("You lack the permission %(code)s.") % {"code": code})


def _user_of(actor: Any) -> Any:
    """The person behind an actor: a user, a token's owner, or None (the system)."""
    from bastion.identity.models import ApiToken, User

    if isinstance(actor, User):
        return actor
    if isinstance(actor, ApiToken):
        return actor.owner
    return None


def _require_person(actor: Any) -> Any:
    """Dual control binds named people: machine tokens neither approve nor activate."""
    from bastion.identity.models import User

    if not isinstance(actor, User):
        raise PermissionDenied(_("Only a signed-in person can do this."), code="person_required")
    return actor


def _locked(number: int) -> RuleSetVersion:
    version = RuleSetVersion.objects.select_for_update().filter(number=number).first()
    if version is None:
        raise NotFound(_("Rule-set version not found."))
    return version


def _in_status(version: RuleSetVersion, *statuses: str) -> None:
    if version.status not in statuses:
        raise Conflict(
            _("Version %(number)s is %(status)s; this needs it to be %(wanted)s.")
            % {
                "number": version.number,
                "status": RuleSetStatus(version.status).label,
                "wanted": " / ".join(str(RuleSetStatus(s).label) for s in statuses),
            },
            code="wrong_status",
        )


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise FieldError("name", _("This field is required."))
    if len(name) > 100:
        raise FieldError("name", _("At most %(n)d characters.") % {"n": 100})
    return name


def _clean_note(note: str, field: str = "note", limit: int = 500) -> str:
    note = (note or "").strip()
    if len(note) > limit:
        raise FieldError(field, _("At most %(n)d characters.") % {"n": limit})
    return note


def _clean_text(text: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise FieldError("text", _("This field is required."))
    if len(text) > MAX_TEXT:
        raise FieldError("text", _("At most %(n)d characters.") % {"n": MAX_TEXT})
    return text


def _state(version: RuleSetVersion) -> dict[str, Any]:
    return {"number": version.number, "name": version.name, "status": version.status}


def do_create_ruleset_draft(
    *, name: str, text: str | None = None, note: str = "", based_on: int | None = None, actor: Any
) -> RuleSetVersion:
    """Start a draft: a copy of ``based_on`` (default the active version) or the given text."""
    _require(actor, perms.EDIT_RULESETS)
    name, note = _clean_name(name), _clean_note(note)
    with transaction.atomic():
        base = None
        if based_on is not None:
            base = RuleSetVersion.objects.filter(number=based_on).first()
            if base is None:
                raise FieldError("based_on", _("Unknown rule-set version."))
        elif text is None:
            base = RuleSetVersion.objects.filter(status=RuleSetStatus.ACTIVE).first()
        body = _clean_text(text if text is not None else (base.text if base else ""))
        # Numbers are handed out under a lock on the table's newest row (unique: a race fails loudly).
        top = RuleSetVersion.objects.select_for_update().order_by("-number").first()
        now = timezone.now()
        user = _user_of(actor)
        version = RuleSetVersion.objects.create(
            number=(top.number if top else 0) + 1, name=name, text=body, note=note, based_on=base,
            status=RuleSetStatus.DRAFT, created_at=now, created_by=user, updated_at=now, updated_by=user,
        )  # fmt: skip
        record_event(
            action="risk.create_ruleset_draft",
            actor=actor,
            obj=version,
            after={**_state(version), "based_on": base.number if base else None},
        )
    return version


def do_edit_ruleset_draft(
    *, number: int, name: str | None = None, text: str | None = None, note: str | None = None, actor: Any
) -> RuleSetVersion:
    """Change a draft's name, text or note; only drafts change."""
    _require(actor, perms.EDIT_RULESETS)
    changes: dict[str, Any] = {}
    if name is not None:
        changes["name"] = _clean_name(name)
    if text is not None:
        changes["text"] = _clean_text(text)
    if note is not None:
        changes["note"] = _clean_note(note)
    with transaction.atomic():
        version = _locked(number)
        _in_status(version, RuleSetStatus.DRAFT)
        before = {k: getattr(version, k) for k in changes}
        for key, value in changes.items():
            setattr(version, key, value)
        version.updated_at, version.updated_by = timezone.now(), _user_of(actor)
        version.save(update_fields=[*changes, "updated_at", "updated_by"])
        record_event(
            action="risk.edit_ruleset_draft",
            actor=actor,
            obj=version,
            before={k: v if k != "text" else f"{len(v)} characters" for k, v in before.items()},
            after={k: v if k != "text" else f"{len(v)} characters" for k, v in changes.items()},
        )
    return version


def do_submit_ruleset(*, number: int, actor: Any) -> RuleSetVersion:
    """Submit a draft for approval; its text must pass the engine's check."""
    from bastion.risk.services.rules import check_ruleset_text

    _require(actor, perms.EDIT_RULESETS)
    with transaction.atomic():
        version = _locked(number)
        _in_status(version, RuleSetStatus.DRAFT)
        problems = check_ruleset_text(version.text)
        if problems:
            first = problems[0]
            where = f" (line {first.line}, column {first.column})" if first.line else ""
            raise FieldError("text", first.message + where)
        version.status = RuleSetStatus.SUBMITTED
        version.submitted_at, version.submitted_by = timezone.now(), _user_of(actor)
        version.review_note = ""
        version.save(update_fields=["status", "submitted_at", "submitted_by", "review_note"])
        record_event(action="risk.submit_ruleset", actor=actor, obj=version, after=_state(version))
    return version


def _checker(version: RuleSetVersion, actor: Any) -> Any:
    person = _require_person(actor)
    if person.pk in version.makers():
        raise PermissionDenied(
            _("Dual control: you wrote or submitted version %(number)s, so a second person must review it.")
            % {"number": version.number},
            code="maker_cannot_approve",
        )
    return person


def do_approve_ruleset(*, number: int, note: str = "", actor: Any) -> RuleSetVersion:
    """Approve a submitted version as its second person (never one of its makers)."""
    _require(actor, perms.APPROVE_RULESETS)
    note = _clean_note(note, "note", 1000)
    with transaction.atomic():
        version = _locked(number)
        _in_status(version, RuleSetStatus.SUBMITTED)
        person = _checker(version, actor)
        version.status = RuleSetStatus.APPROVED
        version.approved_at, version.approved_by, version.review_note = timezone.now(), person, note
        version.save(update_fields=["status", "approved_at", "approved_by", "review_note"])
        record_event(
            action="risk.approve_ruleset", actor=actor, obj=version, after={**_state(version), "note": note}
        )
        ruleset_id = version.pk
        transaction.on_commit(lambda: _enqueue_preparation(ruleset_id))
    return version


def _enqueue_preparation(ruleset_id: int) -> None:
    """Build the approved version's feature state off the request path (docs/decisions/0513)."""
    from bastion.risk.tasks import prepare_ruleset_state_task

    prepare_ruleset_state_task(ruleset_id)


def do_reject_ruleset(*, number: int, note: str, actor: Any) -> RuleSetVersion:
    """Send a submitted version back to draft with the checker's reason."""
    _require(actor, perms.APPROVE_RULESETS)
    note = _clean_note(note, "note", 1000)
    if not note:
        raise FieldError("note", _("Say why the version is sent back."))
    with transaction.atomic():
        version = _locked(number)
        _in_status(version, RuleSetStatus.SUBMITTED)
        _checker(version, actor)
        version.status = RuleSetStatus.DRAFT
        version.submitted_at, version.submitted_by, version.review_note = None, None, note
        version.save(update_fields=["status", "submitted_at", "submitted_by", "review_note"])
        record_event(
            action="risk.reject_ruleset", actor=actor, obj=version, after={**_state(version), "note": note}
        )
    return version


def do_activate_ruleset(*, number: int, actor: Any) -> RuleSetVersion:
    """Make an approved (or earlier retired) version the active one, retiring the current one."""
    _require(actor, perms.APPROVE_RULESETS)
    if actor is not None:
        _require_person(actor)
    try:
        return _activate(number, actor)
    except IntegrityError:
        # Two activations raced: the unique index on the active status let only one commit.
        raise Conflict(
            _("Another version was activated at the same moment; reload and try again."),
            code="activation_race",
        ) from None


def _activate(number: int, actor: Any) -> RuleSetVersion:
    from bastion.risk.scorer import ruleset_activated

    with transaction.atomic():
        version = _locked(number)
        _in_status(version, RuleSetStatus.APPROVED, RuleSetStatus.RETIRED)
        if version.approved_by_id is None:
            raise Conflict(
                _("Only a version approved by a second person can be activated."), code="not_approved"
            )
        now = timezone.now()
        previous = RuleSetVersion.objects.select_for_update().filter(status=RuleSetStatus.ACTIVE).first()
        if previous is not None:
            previous.status, previous.retired_at = RuleSetStatus.RETIRED, now
            previous.save(update_fields=["status", "retired_at"])
        version.status = RuleSetStatus.ACTIVE
        version.activated_at, version.activated_by, version.retired_at = now, _user_of(actor), None
        version.save(update_fields=["status", "activated_at", "activated_by", "retired_at"])
        record_event(
            action="risk.activate_ruleset",
            actor=actor,
            obj=version,
            before={"active": previous.number if previous else None},
            after=_state(version),
        )
        transaction.on_commit(ruleset_activated)
    return version


def do_start_backtest(*, number: int, start: date, end: date, actor: Any) -> RuleSetBacktest:
    """Queue a backtest of a version over stored payments from ``start`` to ``end`` (inclusive)."""
    _require(actor, perms.EDIT_RULESETS)
    if end < start:
        raise FieldError("end", _("The end is before the start."))
    if end - start > timedelta(days=MAX_BACKTEST_DAYS - 1):
        raise FieldError("end", _("At most %(n)d days at a time.") % {"n": MAX_BACKTEST_DAYS})
    with transaction.atomic():
        version = RuleSetVersion.objects.filter(number=number).first()
        if version is None:
            raise NotFound(_("Rule-set version not found."))
        from bastion.risk.services.rules import check_ruleset_text

        problems = check_ruleset_text(version.text)
        if problems:
            raise FieldError("text", problems[0].message)
        backtest = RuleSetBacktest.objects.create(
            version=version, start=start, end=end, requested_by=_user_of(actor), status=BacktestStatus.QUEUED
        )
        record_event(
            action="risk.start_backtest",
            actor=actor,
            obj=version,
            after={"backtest": backtest.pk, "start": start.isoformat(), "end": end.isoformat()},
        )
        transaction.on_commit(lambda: _enqueue(backtest.pk))
    return backtest


def _enqueue(backtest_id: int) -> None:
    from bastion.risk.tasks import run_backtest_task

    run_backtest_task(backtest_id)


def do_run_backtest(*, backtest_id: int) -> RuleSetBacktest:
    """Run a queued backtest and store its result (or its error); the task queue calls this."""
    from bastion.engine import EngineError
    from bastion.risk.services.backtests import run_backtest

    with transaction.atomic():
        backtest = RuleSetBacktest.objects.select_for_update().select_related("version").get(pk=backtest_id)
        if backtest.status != BacktestStatus.QUEUED:
            return backtest  # a redelivered task: already run or running
        backtest.status = BacktestStatus.RUNNING
        backtest.save(update_fields=["status"])
    active = RuleSetVersion.objects.filter(status=RuleSetStatus.ACTIVE).first()
    compare = active if active is not None and active.pk != backtest.version_id else None
    try:
        result = run_backtest(
            text=backtest.version.text,
            start=backtest.start,
            end=backtest.end,
            compare_text=compare.text if compare is not None else None,
        )
    except Exception as exc:  # the backtest must end failed, never stay "running"
        if not isinstance(exc, EngineError):
            logger.exception("backtest %s failed", backtest_id)
        backtest.status, backtest.error = BacktestStatus.FAILED, str(exc)[:2000]
    else:
        if compare is not None:
            result["overlap"]["compared_with"] = compare.number
        backtest.status, backtest.result, backtest.payments = BacktestStatus.DONE, result, result["payments"]
    backtest.compared_with = compare
    backtest.finished_at = timezone.now()
    backtest.save(update_fields=["status", "error", "result", "payments", "compared_with", "finished_at"])
    return backtest
