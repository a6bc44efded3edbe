"""Console pages of the fraud model (R5.5): versions, evaluation on the held-out period, dual control.

Writes go through the same ``do_*`` actions as the API; refusals (the trainer approving their own
version, a wrong status, data that cannot train) come back as messages on the page.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bastion.aml import permissions as perms
from bastion.aml.actions import fraud as actions
from bastion.aml.choices import ModelStatus
from bastion.aml.models import FraudModelVersion
from bastion.aml.services import fraud as services
from bastion.identity.models import User
from bastion.platform.errors import DomainError, FieldError
from bastion.web import charts
from bastion.web.http import console_view, page_of

MAX_CONSOLE_SYNTHETIC_ROWS = 200_000
CHART_FEATURES = 10


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _refused(request: HttpRequest, exc: DomainError) -> None:
    details = [m for found in exc.fields.values() for m in found if m != exc.message]
    messages.error(request, " ".join([str(exc.message), *map(str, details)]).strip())


def _decorate(version: FraudModelVersion) -> FraudModelVersion:
    version.status_colour = ModelStatus.colour(version.status)  # type: ignore[attr-defined]
    version.threshold = services.threshold_of(version)  # type: ignore[attr-defined]
    return version


def _back(number: int) -> HttpResponse:
    return redirect(reverse("aml:model_detail", args=[number]))


@console_view(perms.VIEW_MODELS)
def model_list(request: HttpRequest) -> HttpResponse:
    page = page_of(request, services.list_versions())
    for version in page.items:
        _decorate(version)
    context = {
        "page": page,
        "may_train": _actor(request).has_permission(perms.TRAIN_MODELS),
        "max_rows": MAX_CONSOLE_SYNTHETIC_ROWS,
        "breadcrumbs": [(_("Fraud model"), "")],
    }
    return render(request, "aml/model_list.html", context)


def _date(request: HttpRequest, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(request.POST.get(field, ""))
    except ValueError:
        raise FieldError(field, _("Give a date as YYYY-MM-DD.")) from None


def _rows(request: HttpRequest) -> int:
    text = request.POST.get("synthetic_rows", "") or "50000"
    if not text.isdigit() or not 1_000 <= int(text) <= MAX_CONSOLE_SYNTHETIC_ROWS:
        raise FieldError(
            "synthetic_rows",
            _("Give a whole number from %(low)d to %(high)d.")
            % {"low": 1_000, "high": MAX_CONSOLE_SYNTHETIC_ROWS},
        )
    return int(text)


@console_view(perms.TRAIN_MODELS)
@require_POST
def model_train(request: HttpRequest) -> HttpResponse:
    synthetic = request.POST.get("source") == "synthetic"
    try:
        version = actions.do_train_fraud_model(
            train_start=_date(request, "train_start"), train_end=_date(request, "train_end"),
            test_start=_date(request, "test_start"), test_end=_date(request, "test_end"),
            synthetic=synthetic, synthetic_rows=_rows(request) if synthetic else 0,
            note=request.POST.get("note", ""), actor=_actor(request),
        )  # fmt: skip
    except DomainError as exc:
        _refused(request, exc)
        return redirect(reverse("aml:model_list"))
    messages.success(
        request, _("Version %(number)s trained; a second person approves it.") % {"number": version.number}
    )
    return _back(version.number)


def _metric_rows(metrics: dict[str, Any]) -> list[tuple[str, Any]]:
    return [
        (_("Held-out payments"), metrics.get("test_rows")),
        (_("Confirmed fraud among them"), metrics.get("test_positives")),
        (_("Base rate"), metrics.get("base_rate")),
        (_("Threshold (probability)"), metrics.get("threshold")),
        (_("Precision"), metrics.get("precision")),
        (_("Recall"), metrics.get("recall")),
        (_("F1"), metrics.get("f1")),
        (_("PR-AUC (average precision)"), metrics.get("pr_auc")),
        (_("ROC-AUC"), metrics.get("roc_auc")),
        (_("True positives"), metrics.get("true_positives")),
        (_("False positives"), metrics.get("false_positives")),
        (_("Missed fraud (false negatives)"), metrics.get("false_negatives")),
        (_("True negatives"), metrics.get("true_negatives")),
    ]


@console_view(perms.VIEW_MODELS)
def model_detail(request: HttpRequest, number: int) -> HttpResponse:
    actor = _actor(request)
    version = _decorate(services.get_version(number=number))
    metrics = version.metrics or {}
    approver = actor.has_permission(perms.APPROVE_MODELS)
    context = {
        "version": version,
        "metric_rows": _metric_rows(metrics),
        "metrics": metrics,
        "importances": metrics.get("importances", []),
        "is_trainer": version.trained_by_id == actor.pk,
        "may_approve": approver
        and version.status == ModelStatus.TRAINED
        and version.trained_by_id != actor.pk,
        "may_activate": approver
        and version.status in (ModelStatus.APPROVED, ModelStatus.RETIRED)
        and version.approved_by_id is not None,
        "breadcrumbs": [(_("Fraud model"), reverse("aml:model_list")), (f"v{version.number}", "")],
    }
    return render(request, "aml/model_detail.html", context)


def _transition(request: HttpRequest, number: int, call: Any, done: str, **kwargs: Any) -> HttpResponse:
    try:
        call(number=number, actor=_actor(request), **kwargs)
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(request, done)
    return _back(number)


@console_view(perms.APPROVE_MODELS)
@require_POST
def model_approve(request: HttpRequest, number: int) -> HttpResponse:
    note = request.POST.get("note", "")
    return _transition(request, number, actions.do_approve_fraud_model, _("Approved."), note=note)


@console_view(perms.APPROVE_MODELS)
@require_POST
def model_activate(request: HttpRequest, number: int) -> HttpResponse:
    return _transition(
        request, number, actions.do_activate_fraud_model, _("In use: new payments get this model's points.")
    )


@console_view(perms.VIEW_MODELS)
def model_pr_chart(request: HttpRequest, number: int) -> HttpResponse:
    metrics = services.get_version(number=number).metrics or {}
    curve = metrics.get("pr_curve", [])
    base = metrics.get("base_rate")
    svg = charts.line_chart(
        title=_("Precision against recall on the held-out period"),
        series=[charts.Series(_("Precision"), [p["recall"] for p in curve], [p["precision"] for p in curve])],
        y_label=_("precision"),
        thresholds=[(float(base), _("base rate"))] if base else [],
        empty_text=_("No fraud in the held-out period."),
        y_range=(0.0, 1.02),
        x_range=(0.0, 1.0),
    )
    return charts.svg_response(svg)


@console_view(perms.VIEW_MODELS)
def model_importance_chart(request: HttpRequest, number: int) -> HttpResponse:
    top = (services.get_version(number=number).metrics or {}).get("importances", [])[:CHART_FEATURES]
    svg = charts.bar_chart(
        # Canonical feature names are long; the table under the chart gives them in full.
        title=_("Feature importance (gain)"),
        labels=[str(i + 1) for i in range(len(top))],
        values=[item["gain"] for item in top],
        y_label=_("gain"),
        empty_text=_("No feature was used."),
    )
    return charts.svg_response(svg)


def url_patterns() -> list[URLPattern]:
    """The console routes of these pages, for ``bastion/aml/urls.py`` (namespace ``aml``)."""
    return [
        path("models/", model_list, name="model_list"),
        path("models/train/", model_train, name="model_train"),
        path("models/<int:number>/", model_detail, name="model_detail"),
        path("models/<int:number>/approve/", model_approve, name="model_approve"),
        path("models/<int:number>/activate/", model_activate, name="model_activate"),
        path("models/<int:number>/pr.svg", model_pr_chart, name="model_pr_chart"),
        path("models/<int:number>/importance.svg", model_importance_chart, name="model_importance_chart"),
    ]
