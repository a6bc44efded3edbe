"""Reads of the fraud model (R5.5): versions, the model in use, and explanations of decisions.

Fraud-model versions are institution-wide (one model scores every branch's payments), so the
version lists are not branch-scoped; explanations are, through the decision they explain.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from bastion.aml.choices import ModelStatus
from bastion.aml.fraud import EXPLAIN_ID
from bastion.aml.models import FraudModelVersion
from bastion.platform.errors import FieldError, NotFound

if TYPE_CHECKING:
    # LightGBM loads only where a model is used: every process imports the scorer, few score.
    from bastion.aml.fraud.dataset import Dataset, Periods
    from bastion.aml.fraud.model import FraudModel
    from bastion.aml.fraud.train import TrainingResult

Progress = Callable[[str, int, int], None]

# Parsing a booster costs milliseconds: keep the few versions this process has loaded.
_loaded: dict[tuple[int, int], FraudModel] = {}
_loaded_lock = threading.Lock()


def list_versions(*, status: str | None = None) -> QuerySet[FraudModelVersion]:
    """Versions, newest first, with the people who trained and approved them."""
    found = FraudModelVersion.objects.select_related("trained_by", "approved_by").defer("model_text")
    return found.filter(status=status) if status else found


def get_version(*, number: int) -> FraudModelVersion:
    version = (
        FraudModelVersion.objects.select_related("trained_by", "approved_by").filter(number=number).first()
    )
    if version is None:
        raise NotFound(_("Fraud-model version not found."))
    return version


def active_version_number() -> int:
    """The number of the version in use, 0 when none (what scorers poll; one indexed read)."""
    number = (
        FraudModelVersion.objects.filter(status=ModelStatus.ACTIVE)
        .order_by("-activated_at", "-number")
        .values_list("number", flat=True)
        .first()
    )
    return int(number or 0)


def threshold_of(version: FraudModelVersion) -> float:
    """The probability from which the version adds points (kept with its parameters)."""
    return float((version.params or {}).get("threshold", 0.5))


def load_model(version: FraudModelVersion) -> FraudModel:
    """The version as an engine model (cached per process: versions never change once trained)."""
    from bastion.aml.fraud.model import FraudModel

    key = (version.pk, version.number)
    with _loaded_lock:
        model = _loaded.get(key)
        if model is None:
            model = FraudModel(
                model_text=version.model_text, feature_names=list(version.feature_names),
                max_points=version.max_points, threshold=threshold_of(version), version=version.number,
            )  # fmt: skip
            _loaded.clear()  # only the newest matters; old boosters are not kept alive
            _loaded[key] = model
    return model


def active_fraud_model() -> FraudModel | None:
    """The model in use, or None."""
    number = active_version_number()
    if not number:
        return None
    version = FraudModelVersion.objects.filter(number=number).first()
    return load_model(version) if version is not None else None


def scoring_model(reference: Any, fraud: FraudModel | None) -> Any:
    """What the engine scores with: the reference ratings alone, or with the fraud model added."""
    from bastion.aml.fraud.model import CompositeModel

    return reference if fraud is None else CompositeModel(reference, fraud)


def stored_explanation(fired: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The fraud model's line among a stored decision's reasons, if it added points."""
    return next((item for item in fired if item.get("id") == EXPLAIN_ID), None)


def explain_payment(principal: Any, *, payment_id: str) -> dict[str, Any]:
    """Why the fraud model scored a stored payment as it did: its top contributing features.

    The scorer stores the explanation with the decision whenever the model adds points (the
    features it saw are gone a moment later), so this is normally a read. For a payment decided
    without model points (before a model was in use, or below its threshold) the features are
    recomputed from the stored history with the batch path and the active model asked.
    """
    from bastion.risk.services import get_decision

    decision = get_decision(principal, payment_id=payment_id)
    stored = stored_explanation(list(decision.fired or []))
    if stored is not None:
        evidence = stored.get("evidence", {})
        return {
            "payment_id": payment_id, "source": "stored", "model_version": evidence.get("model_version"),
            "points": stored.get("points", 0), "probability": evidence.get("probability"),
            "top_features": evidence.get("top_features", []), "reason_zh": stored.get("reason_zh", ""),
            "reason_en": stored.get("reason_en", ""),
        }  # fmt: skip
    model = active_fraud_model()
    if model is None:
        raise NotFound(
            _("The fraud model added no points to this payment and no model is in use to explain it."),
            code="no_model",
        )
    return recompute_explanation(model, decision.payment, payment_id=payment_id)


def recompute_explanation(model: FraudModel, payment: Any, *, payment_id: str) -> dict[str, Any]:
    """The active model's view of a stored payment, from features recomputed over stored history."""
    import datetime as dt

    import polars as pl

    from bastion.aml.fraud.model import feature_matrix, points_of
    from bastion.engine import EngineConfig
    from bastion.risk.ratings import ReferenceModel
    from bastion.risk.scorer import build_engine
    from bastion.risk.services import active_ruleset
    from bastion.risk.services.backtests import history_frame

    frame, _outcomes = history_frame(before=payment.occurred_at + dt.timedelta(microseconds=1))
    # Payments stored after this one (pk order) were not yet seen when it was decided.
    frame = frame.with_row_index("row")
    row = frame.filter(pl.col("id") == payment_id)["row"].to_list()
    if not row:  # pragma: no cover - the payment itself is always in its own history
        raise NotFound(_("Payment not found."))
    frame = frame.head(row[0] + 1).drop("row")
    engine = build_engine(active_ruleset().text, EngineConfig(), None, ReferenceModel())
    result = engine.score_frame(frame)
    matrix = feature_matrix(result.frame.tail(1), result.feature_columns, model.feature_names)
    probability = float(model.probabilities(matrix)[0])
    return {
        "payment_id": payment_id, "source": "recomputed", "model_version": model.version,
        "points": points_of(probability, max_points=model.max_points, threshold=model.threshold),
        "probability": round(probability, 4),
        "top_features": [c.to_dict() for c in model.explain_matrix(matrix)],
        "reason_zh": "", "reason_en": "",
    }  # fmt: skip


@dataclass
class Fitted:
    """A trained and evaluated model before it is stored, with the data it came from."""

    result: TrainingResult
    data: Dataset
    timing: dict[str, float]


def fit_model(
    *,
    periods: Periods,
    synthetic: bool,
    ruleset: Any,
    synthetic_rows: int = 50_000,
    seed: int = 0,
    options: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
) -> Fitted:
    """Build the data of both periods with ``ruleset``'s features, train, evaluate; store nothing.

    Problems with the data (an empty period, no fraud to learn from) are FieldErrors naming the
    input to change.
    """
    from bastion.aml.fraud import dataset
    from bastion.aml.fraud.train import TrainingError, train_model

    started = time.perf_counter()
    try:
        periods.check()
        if synthetic:
            frame, labels = dataset.synthetic_payments(rows=synthetic_rows, seed=seed, periods=periods)
        else:
            frame, labels = dataset.stored_payments(periods=periods)
        data = dataset.build_dataset(frame=frame, labels=labels, periods=periods, ruleset_text=ruleset.text,
                                     ruleset_number=ruleset.number, progress=progress)  # fmt: skip
        prepared = time.perf_counter()
        result = train_model(train=data.train, test=data.test, feature_names=data.feature_names, seed=seed,
                             options=options, progress=progress)  # fmt: skip
    except TrainingError as exc:
        raise FieldError(
            exc.field or "train_start", _("Cannot train: %(reason)s.") % {"reason": exc}
        ) from None
    timing = {"prepare_s": round(prepared - started, 3), "train_s": round(time.perf_counter() - prepared, 3)}
    return Fitted(result, data, timing)
