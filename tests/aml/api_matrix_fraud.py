"""The fraud-model endpoints in the authorisation matrix (see tests/api/matrix.py), merged
into tests/aml/api_matrix.py.

Who may do what (R1.2, aml/permissions.py): AML officers and risk analysts train, approve and
deploy versions (a second person approves, never the trainer; tokens neither approve nor deploy);
compliance officers and auditors read them. Versions are institution-wide: the permission alone
decides. An explanation is of one payment's decision and is scoped like the decision.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from bastion.aml.fraud import EXPLAIN_ID
from bastion.aml.models import FraudModelVersion
from bastion.risk.actions.decisions import do_ensure_active_ruleset
from bastion.risk.models import Decision, StoredPayment
from tests.api.matrix import Case as MatrixCase
from tests.api.matrix import permission_then_scope, person_only, role_of
from tests.factories import make_user

TRAINERS = frozenset({"aml_officer", "risk_analyst"})
MODEL_READERS = TRAINERS | {"compliance_officer", "auditor"}
ACTOR = "aml_officer_a"
# Small and fast: 3,000 generated payments, 5 trees; the seed makes the result the same each time.
TRAIN_BODY = {"train_start": "2026-01-05", "train_end": "2026-01-25", "test_start": "2026-01-26",
              "test_end": "2026-02-03", "synthetic": True, "synthetic_rows": 3000, "num_boost_round": 5,
              "seed": 1}  # fmt: skip


def institution_wide(roles: frozenset[str], ok: int) -> Any:
    return lambda principal, target, as_token: ok if role_of(principal) in roles else 403


MATRIX: dict[tuple[str, str], MatrixCase] = {
    ("GET", "/aml/models"): MatrixCase(None, institution_wide(MODEL_READERS, 200)),
    ("POST", "/aml/models"): MatrixCase(None, institution_wide(TRAINERS, 201), lambda t: dict(TRAIN_BODY)),
    ("GET", "/aml/models/{number}"): MatrixCase("model_trained", institution_wide(MODEL_READERS, 200)),
    ("POST", "/aml/models/{number}/approve"): MatrixCase(
        "model_trained", person_only(institution_wide(TRAINERS, 200)), lambda t: {"note": "checked"}
    ),
    ("POST", "/aml/models/{number}/activate"): MatrixCase(
        "model_approved", person_only(institution_wide(TRAINERS, 200))
    ),
    ("GET", "/aml/models/explain/{payment_id}"): MatrixCase(
        "model_decision", permission_then_scope(MODEL_READERS, 200)
    ),
}

PATH_PARAMS = {"model_trained": "number", "model_approved": "number", "model_decision": "payment_id"}


def _version(number: int, trainer: Any, *, approved_by: Any = None) -> FraudModelVersion:
    # The booster text is never parsed by these endpoints (approve/activate/read), so any text does;
    # activation's scorers load the model only when a payment is scored, which the matrix never does.
    return FraudModelVersion.objects.create(
        number=number, status="approved" if approved_by else "trained", feature_names=["payment.amount_fen"],
        ruleset_number=1, train_start=dt.date(2026, 1, 5), train_end=dt.date(2026, 1, 25),
        test_start=dt.date(2026, 1, 26), test_end=dt.date(2026, 2, 3), metrics={"pr_auc": 0.9},
        params={"threshold": 0.5}, model_text="tree", trained_by=trainer, approved_by=approved_by,
        approved_at=dt.datetime(2026, 2, 4, tzinfo=dt.UTC) if approved_by else None,
    )  # fmt: skip


def _decision(side: str, branch: Any) -> str:
    payment = StoredPayment.objects.create(
        payment_id=f"FRAUD-MATRIX-{side}", account_hash=11, occurred_at=dt.datetime(2026, 11, 19, 3, tzinfo=dt.UTC),
        amount=Decimal("68000.00"), currency="CNY", channel="mobile", business_type="transfer",
        payer_account=f"6222-FRAUD-{side}", payer_customer=f"C-FRAUD-{side}", customer_type="natural_person",
        auth_method="password", branch=branch, source="http", digest="1" * 64,
    )  # fmt: skip
    explained = {"id": EXPLAIN_ID, "points": 30, "reason_zh": "欺诈模型评分偏高", "reason_en": "Fraud model",
                 "evidence": {"model_version": 900, "probability": 0.8,
                              "top_features": [{"feature": "payment.hour", "value": 3.0, "contribution": 1.2}]}}  # fmt: skip
    Decision.objects.create(
        payment=payment, score=30, level="attention", action="review", fired=[explained], model_points=30,
        ruleset=do_ensure_active_ruleset(), decided_at=dt.datetime(2026, 11, 19, 3, tzinfo=dt.UTC), latency_us=100,
    )  # fmt: skip
    return payment.payment_id


def build_targets(api_world: Any) -> dict[str, dict[str, Any]]:
    trainer = make_user("fraud_trainer", roles=["risk_analyst"], institution_wide=True)
    checker = make_user("fraud_checker", roles=["risk_analyst"], institution_wide=True)
    targets: dict[str, dict[str, Any]] = {}
    for offset, (side, branch) in enumerate((("A", api_world.branch_a), ("B", api_world.branch_b))):
        found = {
            "model_trained": _version(900 + offset, trainer).number,
            "model_approved": _version(910 + offset, trainer, approved_by=checker).number,
            "model_decision": _decision(side, branch),
        }
        for kind, value in found.items():
            targets.setdefault(kind, {})[side] = value
    return targets


# --- lists and bad input (tests/api/test_scope_and_input.py) ---------------------------------------
LIST_BRANCH_OF: dict[str, Any] = {"/aml/models": None}  # institution-wide, not branch data
NOT_LISTS: set[str] = set()
LIST_READERS = {"/aml/models": "compliance_hq"}

BAD_INPUT: dict[tuple[str, str], list[tuple[Any, ...]]] = {
    ("POST", "/aml/models"): [
        ("/aml/models", {**TRAIN_BODY, "test_start": "2026-01-20"}, "test_start", ACTOR),
        ("/aml/models", {**TRAIN_BODY, "synthetic_rows": 10}, "synthetic_rows", ACTOR),
        ("/aml/models", {**TRAIN_BODY, "threshold": 1.5}, "threshold", ACTOR),
        ("/aml/models", {**TRAIN_BODY, "train_end": "someday"}, "train_end", ACTOR),
    ],
    ("POST", "/aml/models/{number}/approve"): [
        ("/aml/models/{model_trained}/approve", {"note": "x" * 1001}, "note", ACTOR),
        ("/aml/models/abc/approve", {}, "number", ACTOR),
    ],
    ("POST", "/aml/models/{number}/activate"): [("/aml/models/abc/activate", {}, "number", ACTOR)],
}
