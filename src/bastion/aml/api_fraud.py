"""Fraud-model operations of the AML API (R5.5): versions, training, dual control, explanations.

Versions are institution-wide (one model scores every branch's payments): the permission alone
decides who reads, trains, approves and deploys them. An explanation is of one payment's decision,
so it is scoped like the decision. Training runs in the request; the command line
(``bastion aml-train-model``) is the way to train on large histories.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from bastion.aml import permissions as perms
from bastion.aml.actions import fraud as actions
from bastion.aml.choices import ModelStatus
from bastion.aml.models import FraudModelVersion
from bastion.aml.services import fraud as services
from bastion.platform.api_helpers import ERRORS, Page, PageQuery, page_of, principal_of, require_permission

MAX_API_SYNTHETIC_ROWS = 200_000


class ModelFilter(Schema):
    status: ModelStatus | None = None


class TrainIn(Schema):
    train_start: dt.date = Field(..., description="First day of the training period (bank time zone).")
    train_end: dt.date
    test_start: dt.date = Field(..., description="First day of the held-out period, after train_end.")
    test_end: dt.date
    synthetic: bool = Field(
        False, description="Train on generated payments with their labels instead of stored ones."
    )
    synthetic_rows: int = Field(50_000, ge=1_000, le=MAX_API_SYNTHETIC_ROWS)
    seed: int = Field(0, ge=0, le=2**31 - 1)
    num_boost_round: int | None = Field(None, ge=1, le=2000)
    num_leaves: int | None = Field(None, ge=2, le=255)
    max_points: int | None = Field(None, ge=1, le=100, description="Points at probability 1.")
    threshold: float | None = Field(None, gt=0, lt=1, description="Probability from which points count.")
    note: str = Field("", max_length=1000)


class ApproveIn(Schema):
    note: str = Field("", max_length=1000)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def _name(user: Any) -> str | None:
    return user.get_username() if user else None


def render_version(version: FraudModelVersion, *, detail: bool = False) -> dict[str, Any]:
    metrics = version.metrics or {}
    body: dict[str, Any] = {
        "number": version.number, "status": version.status, "algorithm": version.algorithm,
        "ruleset_number": version.ruleset_number,
        "train_start": _iso(version.train_start), "train_end": _iso(version.train_end),
        "test_start": _iso(version.test_start), "test_end": _iso(version.test_end),
        "train_rows": version.train_rows, "test_rows": version.test_rows,
        "precision": metrics.get("precision"), "recall": metrics.get("recall"), "pr_auc": metrics.get("pr_auc"),
        "base_rate": metrics.get("base_rate"), "max_points": version.max_points,
        "threshold": services.threshold_of(version), "seed": version.seed,
        "trained_by": _name(version.trained_by), "trained_at": _iso(version.trained_at),
        "approved_by": _name(version.approved_by), "approved_at": _iso(version.approved_at),
        "activated_at": _iso(version.activated_at), "note": version.note,
    }  # fmt: skip
    if detail:
        body["metrics"] = metrics
        body["params"] = version.params
        body["feature_names"] = list(version.feature_names)
    return body


def list_models(request: HttpRequest, paging: Query[PageQuery], filters: Query[ModelFilter]) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.VIEW_MODELS)
    found = services.list_versions(status=filters.status.value if filters.status else None)
    return page_of(found, paging, render_version)


def get_model(request: HttpRequest, number: int) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.VIEW_MODELS)
    return render_version(services.get_version(number=number), detail=True)


def train(request: HttpRequest, payload: TrainIn) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.TRAIN_MODELS)
    options = {
        name: getattr(payload, name)
        for name in ("num_boost_round", "num_leaves", "max_points", "threshold")
        if getattr(payload, name) is not None
    }
    version = actions.do_train_fraud_model(
        train_start=payload.train_start, train_end=payload.train_end, test_start=payload.test_start,
        test_end=payload.test_end, synthetic=payload.synthetic, synthetic_rows=payload.synthetic_rows,
        seed=payload.seed, options=options, note=payload.note, actor=principal,
    )  # fmt: skip
    return Status(201, render_version(services.get_version(number=version.number), detail=True))


def approve(request: HttpRequest, number: int, payload: ApproveIn) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.APPROVE_MODELS)
    actions.do_approve_fraud_model(number=number, note=payload.note, actor=principal)
    return render_version(services.get_version(number=number), detail=True)


def activate(request: HttpRequest, number: int) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.APPROVE_MODELS)
    actions.do_activate_fraud_model(number=number, actor=principal)
    return render_version(services.get_version(number=number), detail=True)


def explain(request: HttpRequest, payment_id: str) -> Any:
    principal = principal_of(request)
    require_permission(principal, perms.VIEW_MODELS)
    return services.explain_payment(principal, payment_id=payment_id)


def mount(router: Router) -> None:
    """Add the fraud-model operations to the AML router."""
    one = {200: dict[str, Any], **ERRORS}
    tags: dict[str, Any] = {"tags": ["aml: fraud model"]}
    add = router.add_api_operation
    add(
        "/models",
        ["GET"],
        list_models,
        response={200: Page, **ERRORS},
        summary="Fraud-model versions, newest first",
        **tags,
    )
    add("/models", ["POST"], train, response={201: dict[str, Any], **ERRORS},
        summary="Train a version and evaluate it on a held-out period", **tags)  # fmt: skip
    add("/models/explain/{payment_id}", ["GET"], explain, response=one,
        summary="The fraud model's top contributing features for a payment's decision", **tags)  # fmt: skip
    add("/models/{number}", ["GET"], get_model, response=one, summary="A version with its evaluation", **tags)
    add("/models/{number}/approve", ["POST"], approve, response=one,
        summary="Approve a version (a second person, not its trainer)", **tags)  # fmt: skip
    add("/models/{number}/activate", ["POST"], activate, response=one,
        summary="Put an approved version in use, retiring the current one", **tags)  # fmt: skip
