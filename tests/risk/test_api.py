"""The Decision API through HTTP: durable answers, idempotent retries, named bad fields, scope.

Every test runs twice: through Django's stack (sessions, the ninja operation) and through the decision
gateway that answers payment systems' bearer calls in production (``bastion.risk.gateway``); both
lanes must give the same answers.
"""

from __future__ import annotations

from typing import Any

import pytest

from bastion.risk.models import Decision, RuleSetVersion, StoredPayment
from tests.api.conftest import (
    assert_error_shape,
    bearer_client,
    call,
    gateway_client,
    make_token,
    session_client,
)
from tests.factories import World
from tests.risk.helpers import payment

pytestmark = pytest.mark.django_db
_LANES = {"django": bearer_client, "gateway": gateway_client}
_lane = ["django"]


@pytest.fixture(autouse=True, params=sorted(_LANES))
def lane(request: pytest.FixtureRequest) -> Any:
    _lane[0] = request.param
    yield request.param
    _lane[0] = "django"


def submitter(world: World, *, branch: Any = None) -> Any:
    owner = world.users["admin_hq"] if branch is None else world.users["administrator"]
    _, secret = make_token(
        owner,
        permissions=["risk.submit_payment"],
        branches=[branch] if branch is not None else [],
        all_branches=branch is None,
        name="payment-gateway",
    )
    return _LANES[_lane[0]](secret)


def test_default_ruleset_is_version_one_and_active(world: World) -> None:
    assert call(submitter(world), "POST", "/api/v1/risk/decisions", payment(1)).status_code == 200
    version = RuleSetVersion.objects.get(status="active")
    assert version.number == 1 and "LV-CASH-SINGLE" in version.text and version.activated_at
    assert Decision.objects.get().ruleset == version


def test_decision_is_stored_before_the_answer(world: World) -> None:
    client = submitter(world)
    response = call(client, "POST", "/api/v1/risk/decisions", payment(1, channel="cash", amount="60000.00"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["payment_id"] == "PAY-00000001"
    assert body["level"] == "attention" and body["level_zh"] == "关注"
    assert body["ruleset_version"] == 1
    fired = {rule["id"]: rule for rule in body["fired"]}
    assert "LV-CASH-SINGLE" in fired
    assert fired["LV-CASH-SINGLE"]["reason_zh"].startswith("单笔现金")
    assert fired["LV-CASH-SINGLE"]["evidence"]["amount"] == "60000.00"
    stored = Decision.objects.select_related("payment", "ruleset").get(payment__payment_id="PAY-00000001")
    assert stored.action == body["action"] and stored.score == body["score"]
    assert stored.ruleset.number == 1
    assert stored.payment.amount == 60000 and stored.payment.source == "http"


def test_retry_returns_the_same_decision_and_counts_once(world: World) -> None:
    client = submitter(world)
    # Five earlier payments in ten minutes fire the burst rule on the sixth; a retry must not count.
    for n in range(5):
        assert call(client, "POST", "/api/v1/risk/decisions", payment(n)).status_code == 200
    first = call(client, "POST", "/api/v1/risk/decisions", payment(3))
    assert first.status_code == 200 and first["Idempotent-Replayed"] == "true"
    sixth = call(client, "POST", "/api/v1/risk/decisions", payment(5)).json()
    evidence = next(r["evidence"] for r in sixth["fired"] if r["id"] == "FREQ-BURST-10M")
    assert evidence == {"count(payer, 10m)": 5}, evidence  # the retry was not counted again
    again = call(client, "POST", "/api/v1/risk/decisions", payment(5))
    assert again.json() == sixth
    assert StoredPayment.objects.count() == 6 and Decision.objects.count() == 6


def test_reused_id_with_other_content_is_a_conflict(world: World) -> None:
    client = submitter(world)
    assert call(client, "POST", "/api/v1/risk/decisions", payment(1)).status_code == 200
    response = call(client, "POST", "/api/v1/risk/decisions", payment(1, amount="999.00"))
    error = assert_error_shape(response, 409, "payment_id_reused")
    assert "id" in error["fields"]
    assert StoredPayment.objects.get().amount == 120


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount": "-5"}, "amount"),
        ({"amount": 12.5}, "amount"),
        ({"channel": "pigeon"}, "channel"),
        ({"timestamp": "2026-11-24T10:00:00"}, "timestamp"),
        ({"currency": "XYZ"}, "currency"),
        ({"ip": "999.1.1.1"}, "ip"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_payment_names_the_field_and_stores_nothing(
    world: World, changes: dict[str, Any], field: str
) -> None:
    response = call(submitter(world), "POST", "/api/v1/risk/decisions", payment(1, **changes))
    error = assert_error_shape(response, 422)
    assert field in error["fields"], error
    assert not StoredPayment.objects.exists()


@pytest.mark.parametrize(
    ("body", "status", "code", "batch_field"),
    [
        ("not json", 400, "invalid_body", "body"),
        ("", 422, "validation_error", "body"),
        ("[]", 422, "validation_error", "payments"),
    ],
)
def test_a_body_that_is_no_payment_is_refused(
    world: World, body: str, status: int, code: str, batch_field: str
) -> None:
    client = submitter(world)
    paths = {"/api/v1/risk/decisions": "body", "/api/v1/risk/decisions/batch": batch_field}
    for path, field in paths.items():
        response = client.post(path, data=body, content_type="application/json")
        assert assert_error_shape(response, status, code)["fields"].keys() == {field}
    assert not StoredPayment.objects.exists()


def test_a_body_over_the_upload_limit_is_refused_whole(world: World, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    batch = {"payments": [payment(n) for n in range(100)]}
    response = call(submitter(world), "POST", "/api/v1/risk/decisions/batch", batch)
    assert assert_error_shape(response, 413, "payload_too_large")["fields"].keys() == {"body"}
    assert not StoredPayment.objects.exists()


def test_missing_field_is_named(world: World) -> None:
    record = payment(1)
    del record["payer_account"]
    error = assert_error_shape(call(submitter(world), "POST", "/api/v1/risk/decisions", record), 422)
    assert "payer_account" in error["fields"]


def test_batch_decides_in_order_and_replays(world: World) -> None:
    client = submitter(world)
    payments = [payment(n) for n in range(6)]
    response = call(client, "POST", "/api/v1/risk/decisions/batch", {"payments": payments})
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["decision"]["payment_id"] for r in results] == [p["id"] for p in payments]
    assert all(r["status"] == "decided" for r in results)
    again = call(client, "POST", "/api/v1/risk/decisions/batch", {"payments": [*payments[:2], payment(6)]})
    statuses = [r["status"] for r in again.json()["results"]]
    assert statuses == ["replayed", "replayed", "decided"]
    assert again.json()["results"][0]["decision"] == results[0]["decision"]
    assert StoredPayment.objects.count() == 7


def test_batch_with_one_bad_payment_stores_nothing(world: World) -> None:
    payments = [payment(1), payment(2, auth_method="telepathy"), payment(3)]
    response = call(submitter(world), "POST", "/api/v1/risk/decisions/batch", {"payments": payments})
    error = assert_error_shape(response, 422)
    assert "payments.1.auth_method" in error["fields"], error
    assert not StoredPayment.objects.exists()


def test_batch_in_batch_duplicate_counts_once(world: World) -> None:
    payments = [payment(1), payment(1), payment(1, amount="5.00")]
    response = call(submitter(world), "POST", "/api/v1/risk/decisions/batch", {"payments": payments})
    statuses = [r["status"] for r in response.json()["results"]]
    assert statuses == ["decided", "replayed", "conflict"]
    assert StoredPayment.objects.count() == 1


def test_branch_scoped_token_must_name_its_branch(world: World) -> None:
    client = submitter(world, branch=world.branch_a)
    error = assert_error_shape(call(client, "POST", "/api/v1/risk/decisions", payment(1)), 422)
    assert "branch_id" in error["fields"]
    outside = payment(2, branch_id=world.branch_b.pk)
    assert_error_shape(call(client, "POST", "/api/v1/risk/decisions", outside), 422)
    inside = call(client, "POST", "/api/v1/risk/decisions", payment(3, branch_id=world.branch_a.pk))
    assert inside.status_code == 200
    assert StoredPayment.objects.get().branch_id == world.branch_a.pk


def test_analysts_read_decisions_in_their_scope(world: World) -> None:
    client = submitter(world)
    call(client, "POST", "/api/v1/risk/decisions", payment(1, branch_id=world.branch_a.pk))
    call(
        client,
        "POST",
        "/api/v1/risk/decisions",
        payment(2, account="6222020000000002", branch_id=world.branch_b.pk),
    )
    analyst = session_client(world.users["risk_analyst"])  # branch A
    listed = analyst.get("/api/v1/risk/decisions").json()
    assert [item["payment_id"] for item in listed["items"]] == ["PAY-00000001"]
    assert analyst.get("/api/v1/risk/decisions/PAY-00000002").status_code == 404
    detail = analyst.get("/api/v1/risk/decisions/PAY-00000001").json()
    assert detail["payment"]["amount"] == "120" and detail["branch_id"] == world.branch_a.pk
    auditor = session_client(world.users["auditor_hq"])
    assert auditor.get("/api/v1/risk/decisions?level=normal").json()["total"] == 2


def test_analyst_cannot_submit_and_gateway_cannot_read(world: World) -> None:
    analyst = session_client(world.users["risk_analyst"], enforce_csrf=False)
    assert_error_shape(call(analyst, "POST", "/api/v1/risk/decisions", payment(1)), 403)
    assert_error_shape(submitter(world).get("/api/v1/risk/decisions"), 403)
