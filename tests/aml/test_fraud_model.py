"""The learned fraud model (R5.5): reproducible training, identical points in real time and batch,
dual control, activation reaching the Decision API, explanations, API and console.

Training data stay small (tens of thousands of generated payments, few trees) so this runs in
seconds.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from io import StringIO
from typing import Any

import numpy as np
import polars as pl
import pytest
from django.core.management import call_command

from bastion.aml.actions.fraud import do_activate_fraud_model, do_approve_fraud_model
from bastion.aml.fraud import EXPLAIN_ID
from bastion.aml.fraud.dataset import Periods
from bastion.aml.fraud.model import PAYMENT_COLUMNS, CompositeModel, FraudModel, feature_matrix
from bastion.aml.fraud.train import Split, train_model
from bastion.aml.models import FraudModelVersion
from bastion.aml.services.fraud import fit_model
from bastion.engine import Engine
from bastion.engine.generator import generate, records
from bastion.platform.errors import Conflict, PermissionDenied
from bastion.risk import transport
from bastion.risk.actions.decisions import do_ensure_active_ruleset
from bastion.risk.models import Decision
from bastion.risk.ratings import ReferenceModel
from tests.api.conftest import assert_error_shape, bearer_client, call, make_token, session_client
from tests.factories import World, make_user
from tests.risk.helpers import payment

START = dt.datetime(2026, 1, 5, tzinfo=dt.UTC) - dt.timedelta(hours=8)  # 2026-01-05 00:00 in Shanghai
SYNTHETIC_PERIODS = {"train_start": "2026-01-05", "train_end": "2026-01-25", "test_start": "2026-01-26",
                     "test_end": "2026-02-03"}  # fmt: skip


@pytest.fixture(autouse=True)
def _fresh_owner() -> Iterator[None]:
    # The in-process owner keeps feature state (and the model) in memory; the database rolls back.
    transport.reset_inline()
    yield
    transport.reset_inline()


@pytest.fixture(scope="module")
def trained() -> dict[str, Any]:
    """A small model trained on generated payments with the default rule set's features."""
    frame = generate(20_000, seed=11, start=START, days=30)
    labels = (frame["label"] != "").to_numpy().astype(np.int8)
    engine = Engine.default()
    result = engine.score_frame(frame.drop("label"))
    names = [*result.feature_columns, *PAYMENT_COLUMNS]
    matrix = feature_matrix(result.frame, result.feature_columns, names)
    cut = frame.height * 2 // 3
    fitted = train_model(
        train=Split(matrix[:cut], labels[:cut]), test=Split(matrix[cut:], labels[cut:]), feature_names=names,
        seed=3, options={"num_boost_round": 40},
    )  # fmt: skip
    return {"result": fitted, "frame": frame}


def _model(trained: dict[str, Any], **options: Any) -> FraudModel:
    result = trained["result"]
    settings = {"max_points": result.max_points, "threshold": result.threshold, "version": 1, **options}
    return FraudModel(model_text=result.model_text, feature_names=result.feature_names, **settings)


# --- pure: points, both paths, explanations --------------------------------------------------------
def test_score_one_equals_score_batch(trained: dict[str, Any]) -> None:
    frame = trained["frame"]
    # Channel points only: ReferenceModel.score_batch reads a "counterparty_institution" column that
    # the normalised batch frame calls "institution" (reported; not this module's to change).
    reference = ReferenceModel({"cash": ("high", 7), "mobile": ("medium", 3)}, {}, {})
    engine = Engine.default(model=CompositeModel(reference, _model(trained)))
    batch = engine.score_frame(frame.drop("label")).frame
    scorer = engine.scorer()
    live = [scorer.score_record(record) for record in records(frame)]
    assert [d.model_points for d in live] == batch["model_points"].to_list()
    assert [d.score for d in live] == batch["score"].to_list()
    fraud_only = Engine.default(model=_model(trained)).score_frame(frame.drop("label")).frame["model_points"]
    assert (fraud_only > 0).sum() > 20, "the model must give points to some payments"
    assert int(fraud_only.max() or 0) <= trained["result"].max_points


def test_composite_uses_features_and_caps_at_100(trained: dict[str, Any]) -> None:
    class Flat:
        name, uses_features = "flat", False

        def score_one(self, payment: Any, features: Any) -> int:
            return 80

        def score_batch(self, frame: pl.DataFrame, columns: Any) -> pl.Series:
            return pl.Series([80] * frame.height)

    assert not CompositeModel(Flat()).uses_features
    both = CompositeModel(Flat(), Flat())
    assert both.score_one(None, {}) == 100
    assert both.score_batch(pl.DataFrame({"a": [1, 2]}), {}).to_list() == [100, 100]
    assert CompositeModel(ReferenceModel(), _model(trained)).uses_features


def test_explanation_lists_the_top_features(trained: dict[str, Any]) -> None:
    model = _model(trained, threshold=0.0, max_points=100)
    engine = Engine.default(model=model)
    scorer = engine.scorer()
    best: tuple[int, Any] = (0, None)
    for record in records(trained["frame"].head(3000)):
        values, decision = scorer.score_with_features(engine_payment(engine, record))
        if decision.model_points > best[0]:
            best = (decision.model_points, (engine_payment(engine, record), engine.named_features(values)))
    points, (found, features) = best
    part = model.explanation_part(found, features)
    assert part is not None and part.id == EXPLAIN_ID and part.points == points
    top = part.evidence["top_features"]
    assert 1 <= len(top) <= 5 and all(set(item) == {"feature", "value", "contribution"} for item in top)
    assert abs(top[0]["contribution"]) >= abs(top[-1]["contribution"])
    assert top[0]["feature"] in model.feature_names


def engine_payment(engine: Engine, record: dict[str, Any]) -> Any:
    from bastion.engine import Payment

    return Payment.from_mapping(record, engine.config)


# --- training through Django: reproducible, clearly better than the base rate ---------------------
@pytest.mark.django_db
def test_synthetic_training_is_reproducible_and_beats_the_base_rate() -> None:
    periods = Periods(dt.date(2026, 1, 5), dt.date(2026, 1, 25), dt.date(2026, 1, 26), dt.date(2026, 2, 3))
    runs = [
        fit_model(
            periods=periods,
            synthetic=True,
            synthetic_rows=30_000,
            seed=5,
            options={"num_boost_round": 40},
            ruleset=do_ensure_active_ruleset(),
        )
        for _ in range(2)
    ]
    first, second = (run.result.metrics for run in runs)
    assert first == second
    assert runs[0].result.model_text == runs[1].result.model_text
    assert first["test_positives"] > 20 and first["train_positives"] > 50
    assert first["pr_auc"] > 10 * first["base_rate"], first
    assert first["precision"] > 0.5 and first["recall"] > 0.5, first


@pytest.mark.django_db
def test_command_prints_the_same_evaluation_twice() -> None:
    outputs = []
    for _ in range(2):
        out = StoringIO()
        call_command("aml-train-model", "--synthetic", "8000", "--seed", "2", "--trees", "10", "--no-store",
                     "--json", stdout=out)  # fmt: skip
        outputs.append(out.getvalue().strip().splitlines()[-1])
    assert outputs[0] == outputs[1]
    metrics = json.loads(outputs[0])
    assert metrics["pr_auc"] is not None and metrics["model_sha256"]
    assert not FraudModelVersion.objects.exists()


class StoringIO(StringIO):
    """call_command's stdout, also offering the ``_out`` the command's rich console writes to."""

    @property
    def _out(self) -> StringIO:
        return self


# --- dual control and activation --------------------------------------------------------------------
def _version(trained: dict[str, Any], *, trainer: Any, number: int = 1, **fields: Any) -> FraudModelVersion:
    result = trained["result"]
    values: dict[str, Any] = {
        "number": number, "params": {**result.params, "threshold": 0.0}, "feature_names": result.feature_names,
        "ruleset_number": 1, "train_start": dt.date(2026, 1, 5), "train_end": dt.date(2026, 1, 25),
        "test_start": dt.date(2026, 1, 26), "test_end": dt.date(2026, 2, 3), "train_rows": result.train_rows,
        "test_rows": result.test_rows, "metrics": result.metrics, "max_points": 100, "seed": 3,
        "model_text": result.model_text, "trained_by": trainer,
    }  # fmt: skip
    values.update(fields)
    return FraudModelVersion.objects.create(**values)


@pytest.mark.django_db
def test_the_trainer_and_tokens_cannot_approve(world: World, trained: dict[str, Any]) -> None:
    trainer = world.users["aml_officer"]
    version = _version(trained, trainer=trainer)
    with pytest.raises(PermissionDenied) as refused:
        do_approve_fraud_model(number=version.number, actor=trainer)
    assert refused.value.code == "maker_cannot_approve"
    token, _ = make_token(world.users["risk_analyst"], permissions=["aml.approve_models"], all_branches=True)
    with pytest.raises(PermissionDenied) as by_token:
        do_approve_fraud_model(number=version.number, actor=token)
    assert by_token.value.code == "person_required"
    with pytest.raises(Conflict):
        do_activate_fraud_model(number=version.number, actor=world.users["risk_analyst"])
    approved = do_approve_fraud_model(number=version.number, actor=world.users["risk_analyst"])
    assert approved.status == "approved" and approved.approved_by == world.users["risk_analyst"]


def _submitter(world: World) -> Any:
    _, secret = make_token(world.users["admin_hq"], permissions=["risk.submit_payment"], all_branches=True,
                           name="payment-gateway")  # fmt: skip
    return bearer_client(secret)


def _takeover(n: int) -> dict[str, Any]:
    """Like the generator's account takeover: a large night transfer from a new device and city."""
    return payment(n, amount="68000.00", timestamp=f"2026-11-24T03:{n:02d}:00+08:00", device_id=f"X{n:08d}",
                   city="乌鲁木齐", ip="203.0.113.7", payee_account=f"62229{n:011d}")  # fmt: skip


@pytest.mark.django_db
def test_activation_changes_the_points_of_a_new_decision(
    world: World, trained: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    client = _submitter(world)
    before = call(client, "POST", "/api/v1/risk/decisions", _takeover(1)).json()
    assert before["model_points"] == 0
    version = _version(trained, trainer=world.users["aml_officer"])
    do_approve_fraud_model(number=version.number, actor=world.users["risk_analyst"])
    with django_capture_on_commit_callbacks(execute=True):
        do_activate_fraud_model(number=version.number, actor=world.users["risk_analyst"])
    after = call(client, "POST", "/api/v1/risk/decisions", _takeover(2)).json()
    assert after["model_points"] > 0, after
    part = next(item for item in after["fired"] if item["id"] == EXPLAIN_ID)
    assert part["points"] == after["model_points"]
    assert part["evidence"]["model_version"] == version.number and part["evidence"]["top_features"]
    stored = Decision.objects.get(payment__payment_id=after["payment_id"])
    assert stored.model_points == after["model_points"]
    assert any(item["id"] == EXPLAIN_ID for item in stored.fired)
    # A second version takes over and retires the first.
    second = _version(trained, trainer=world.users["aml_officer"], number=2, max_points=10)
    do_approve_fraud_model(number=2, actor=world.users["risk_analyst"])
    with django_capture_on_commit_callbacks(execute=True):
        do_activate_fraud_model(number=2, actor=world.users["risk_analyst"])
    assert FraudModelVersion.objects.get(number=1).status == "retired"
    third = call(client, "POST", "/api/v1/risk/decisions", _takeover(3)).json()
    assert 0 < third["model_points"] <= second.max_points


# --- API --------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_api_trains_approves_activates_and_explains(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    officer = session_client(world.users["aml_officer"])
    body = {**SYNTHETIC_PERIODS, "synthetic": True, "synthetic_rows": 8000, "num_boost_round": 20,
            "threshold": 0.2, "seed": 4}  # fmt: skip
    created = call(officer, "POST", "/api/v1/aml/models", body)
    assert created.status_code == 201, created.content
    version = created.json()
    assert version["status"] == "trained" and version["trained_by"] == "aml_officer_a"
    assert version["metrics"]["pr_auc"] is not None and version["feature_names"][-1] == PAYMENT_COLUMNS[-1]
    number = version["number"]
    listed = call(officer, "GET", "/api/v1/aml/models").json()
    assert [item["number"] for item in listed["items"]] == [number] and listed["total"] == 1
    assert_error_shape(
        call(officer, "POST", f"/api/v1/aml/models/{number}/approve", {}), 403, "maker_cannot_approve"
    )
    analyst = session_client(world.users["risk_analyst"])
    approved = call(analyst, "POST", f"/api/v1/aml/models/{number}/approve", {"note": "checked"})
    assert approved.status_code == 200 and approved.json()["approved_by"] == "risk_analyst_a"
    with django_capture_on_commit_callbacks(execute=True):
        active = call(analyst, "POST", f"/api/v1/aml/models/{number}/activate", {})
    assert active.status_code == 200 and active.json()["status"] == "active"
    decided = call(_submitter(world), "POST", "/api/v1/risk/decisions", _takeover(7)).json()
    # The payments carry no branch: an institution-wide reader sees their decisions.
    reader = session_client(world.users["compliance_hq"])
    explained = call(reader, "GET", f"/api/v1/aml/models/explain/{decided['payment_id']}")
    assert explained.status_code == 200, explained.content
    answer = explained.json()
    assert answer["source"] == ("stored" if decided["model_points"] else "recomputed")
    assert answer["top_features"] and answer["model_version"] == number
    quiet = call(_submitter(world), "POST", "/api/v1/risk/decisions", payment(8)).json()
    if not any(item["id"] == EXPLAIN_ID for item in quiet["fired"]):
        recomputed = call(reader, "GET", f"/api/v1/aml/models/explain/{quiet['payment_id']}").json()
        assert recomputed["source"] == "recomputed" and recomputed["top_features"]


@pytest.mark.django_db
def test_api_refusals(world: World) -> None:
    officer = session_client(world.users["aml_officer"])
    late = {**SYNTHETIC_PERIODS, "test_start": "2026-01-20", "synthetic": True}
    assert (
        "test_start" in assert_error_shape(call(officer, "POST", "/api/v1/aml/models", late), 422)["fields"]
    )
    small = {**SYNTHETIC_PERIODS, "synthetic": True, "synthetic_rows": 10}
    assert (
        "synthetic_rows"
        in assert_error_shape(call(officer, "POST", "/api/v1/aml/models", small), 422)["fields"]
    )
    nothing = {**SYNTHETIC_PERIODS, "synthetic": False}
    assert assert_error_shape(call(officer, "POST", "/api/v1/aml/models", nothing), 422)["fields"]
    assert_error_shape(call(officer, "GET", "/api/v1/aml/models/99"), 404)
    agent = session_client(world.users["customer_service_agent"])
    assert_error_shape(call(agent, "GET", "/api/v1/aml/models"), 403)
    assert_error_shape(
        call(agent, "POST", "/api/v1/aml/models", {**SYNTHETIC_PERIODS, "synthetic": True}), 403
    )
    assert not FraudModelVersion.objects.exists()


# --- console ------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_console_shows_the_evaluation_and_dual_control(world: World, trained: dict[str, Any]) -> None:
    from django.test import Client

    from tests.web.conftest import sign_in

    trainer = world.users["aml_officer"]
    _version(trained, trainer=trainer)

    def console(user: Any) -> Client:
        client = Client(headers={"accept-language": "en"})
        client.cookies["bastion_language"] = "en"
        return sign_in(client, user)

    page = console(trainer).get("/aml/models/1/").content.decode()
    assert "PR-AUC" in page and str(trained["result"].metrics["pr_auc"]) in page
    assert 'id="approve-button"' not in page and "a second person approves it" in page
    checker = console(world.users["risk_analyst"])
    assert 'id="approve-button"' in checker.get("/aml/models/1/").content.decode()
    assert checker.post("/aml/models/1/approve/", {"note": "ok"}).status_code == 302
    assert 'id="activate-button"' in checker.get("/aml/models/1/").content.decode()
    listing = checker.get("/aml/models/").content.decode()
    assert 'id="model-1"' in listing
    for chart in ("pr.svg", "importance.svg"):
        response = checker.get(f"/aml/models/1/{chart}")
        assert response.status_code == 200 and response["Content-Type"].startswith("image/svg")
    assert console(world.users["customer_service_agent"]).get("/aml/models/").status_code == 403
    zh = console(world.users["risk_analyst"])
    zh.cookies["bastion_language"] = "zh-hans"
    assert zh.get("/aml/models/1/").status_code == 200
    assert make_user  # imported for helpers shared with the matrix file
