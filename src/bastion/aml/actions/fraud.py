"""Writes of the fraud model (R5.5): train a version, approve it (a second person), put it in use.

Training reads and computes for seconds to minutes, so it runs before the transaction that stores
the version and its audit event. Approval binds a named person who did not train the version;
activation retires the version in use in the same transaction, and after commit tells this
process's scorers, while other processes notice on their next periodic check (as rule sets do).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from bastion.aml import permissions as perms
from bastion.aml.actions.common import clean_text, person_of, require, require_person
from bastion.aml.choices import ModelStatus
from bastion.aml.models import FraudModelVersion
from bastion.aml.services.fraud import fit_model
from bastion.audit.actions import record_event
from bastion.platform.errors import Conflict, FieldError, NotFound, PermissionDenied

Progress = Callable[[str, int, int], None]
TUNABLE = {"num_boost_round": (1, 2000), "num_leaves": (2, 255), "max_points": (1, 100)}


def _state(version: FraudModelVersion) -> dict[str, Any]:
    metrics = version.metrics or {}
    return {
        "number": version.number, "status": version.status, "ruleset_number": version.ruleset_number,
        "train": [version.train_start.isoformat(), version.train_end.isoformat()],
        "test": [version.test_start.isoformat(), version.test_end.isoformat()],
        "precision": metrics.get("precision"), "recall": metrics.get("recall"),
        "pr_auc": metrics.get("pr_auc"), "model_sha256": metrics.get("model_sha256"),
    }  # fmt: skip


def _options(options: Mapping[str, Any] | None) -> dict[str, Any]:
    """Checked overrides of the training defaults (whole numbers in range, a probability threshold)."""
    checked: dict[str, Any] = {}
    for name, value in (options or {}).items():
        if name in TUNABLE:
            low, high = TUNABLE[name]
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise FieldError(
                    name, _("Give a whole number from %(low)d to %(high)d.") % {"low": low, "high": high}
                )
            checked[name] = value
        elif name == "threshold":
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
                raise FieldError(name, _("Give a probability between 0 and 1."))
            checked[name] = float(value)
        else:
            raise FieldError(name, _("Unknown training option."))
    return checked


def do_train_fraud_model(
    *,
    train_start: dt.date,
    train_end: dt.date,
    test_start: dt.date,
    test_end: dt.date,
    synthetic: bool,
    actor: Any,
    synthetic_rows: int = 50_000,
    seed: int = 0,
    options: Mapping[str, Any] | None = None,
    note: str = "",
    progress: Progress | None = None,
) -> FraudModelVersion:
    """Train a version on one period, evaluate it on a later held-out period, store it as trained."""
    # LightGBM and the engine's batch path load here, not in every process that imports actions.
    from bastion.aml.fraud import dataset
    from bastion.aml.fraud.train import DEFAULTS
    from bastion.risk.actions.decisions import do_ensure_active_ruleset

    require(actor, perms.TRAIN_MODELS)
    note = clean_text(note, "note", 1000, required=False)
    settings = _options(options)
    periods = dataset.Periods(train_start, train_end, test_start, test_end)
    ruleset = do_ensure_active_ruleset()
    fitted = fit_model(periods=periods, synthetic=synthetic, synthetic_rows=synthetic_rows, seed=seed,
                       options=settings, ruleset=ruleset, progress=progress)  # fmt: skip
    result, data = fitted.result, fitted.data
    params = {
        **result.params, "threshold": result.threshold, "synthetic": synthetic,
        "synthetic_rows": synthetic_rows if synthetic else None, "history_rows": data.history_rows,
        "defaults": {k: v for k, v in DEFAULTS.items() if k not in settings}, "overrides": settings,
    }  # fmt: skip
    # Timing is kept apart from the evaluation, which must be identical on every run.
    metrics = {**result.metrics, "timing": fitted.timing}
    try:
        with transaction.atomic():
            number = (FraudModelVersion.objects.select_for_update().aggregate(n=Max("number"))["n"] or 0) + 1
            version = FraudModelVersion.objects.create(
                number=number, status=ModelStatus.TRAINED, params=params, feature_names=result.feature_names,
                ruleset_number=data.ruleset_number, train_start=train_start, train_end=train_end,
                test_start=test_start, test_end=test_end, train_rows=result.train_rows, test_rows=result.test_rows,
                metrics=metrics, max_points=result.max_points, seed=seed, model_text=result.model_text,
                trained_by=person_of(actor), trained_at=timezone.now(), note=note,
            )  # fmt: skip
            record_event(action="aml.train_fraud_model", actor=actor, obj=version, after=_state(version))
    except IntegrityError:
        raise Conflict(
            _("Another version was stored at the same moment; try again."), code="number_race"
        ) from None
    return version


def _locked(number: int) -> FraudModelVersion:
    version = FraudModelVersion.objects.select_for_update().filter(number=number).first()
    if version is None:
        raise NotFound(_("Fraud-model version not found."))
    return version


def do_approve_fraud_model(*, number: int, actor: Any, note: str = "") -> FraudModelVersion:
    """Approve a trained version as its second person (never the person who trained it)."""
    require(actor, perms.APPROVE_MODELS)
    person = require_person(actor)
    note = clean_text(note, "note", 1000, required=False)
    with transaction.atomic():
        version = _locked(number)
        if version.status != ModelStatus.TRAINED:
            raise Conflict(
                _("Only a trained version awaiting approval can be approved."), code="wrong_status"
            )
        if version.trained_by_id is not None and version.trained_by_id == person.pk:
            raise PermissionDenied(
                _("Dual control: you trained version %(number)s, so a second person must approve it.")
                % {"number": version.number},
                code="maker_cannot_approve",
            )
        version.status, version.approved_by, version.approved_at = (
            ModelStatus.APPROVED,
            person,
            timezone.now(),
        )
        if note:
            version.note = f"{version.note}\n{note}".strip()[:1000]
        version.save(update_fields=["status", "approved_by", "approved_at", "note"])
        record_event(action="aml.approve_fraud_model", actor=actor, obj=version,
                     after={**_state(version), "note": note})  # fmt: skip
    return version


def do_activate_fraud_model(*, number: int, actor: Any) -> FraudModelVersion:
    """Put an approved version in use (an earlier, retired one may come back), retiring the current one."""
    from bastion.risk.scorer import fraud_model_activated

    require(actor, perms.APPROVE_MODELS)
    if actor is not None:
        require_person(actor)
    with transaction.atomic():
        version = _locked(number)
        if (
            version.status not in (ModelStatus.APPROVED, ModelStatus.RETIRED)
            or version.approved_by_id is None
        ):
            raise Conflict(
                _("Only a version approved by a second person can be put in use."), code="not_approved"
            )
        previous = list(
            FraudModelVersion.objects.select_for_update()
            .filter(status=ModelStatus.ACTIVE)
            .exclude(pk=version.pk)
        )
        for old in previous:
            old.status = ModelStatus.RETIRED
            old.save(update_fields=["status"])
        version.status, version.activated_at = ModelStatus.ACTIVE, timezone.now()
        version.save(update_fields=["status", "activated_at"])
        record_event(action="aml.activate_fraud_model", actor=actor, obj=version,
                     before={"active": [old.number for old in previous] or None}, after=_state(version))  # fmt: skip
        transaction.on_commit(fraud_model_activated)
    return version
