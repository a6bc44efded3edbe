"""Limits, business authorisation and the review queue through the API (R4.4, 003, #5 item 6)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from bastion.audit.models import AuditEvent
from bastion.risk.models import PaymentReview, StoredPayment
from tests.api.conftest import assert_error_shape, bearer_client, call, make_token, session_client
from tests.factories import World, make_user
from tests.risk.helpers import payment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _controls_seen_at_once(monkeypatch: Any) -> None:
    # Tests roll back instead of committing, so the owner learns of new controls by polling.
    monkeypatch.setenv("BASTION_RISK_RULESET_CHECK_SECONDS", "0")


@pytest.fixture
def gateway(world: World) -> Any:
    _, secret = make_token(
        world.users["admin_hq"], permissions=["risk.submit_payment"], all_branches=True, name="gateway"
    )
    return bearer_client(secret)


def decide(client: Any, n: int, **changes: Any) -> dict[str, Any]:
    response = call(client, "POST", "/api/v1/risk/decisions", payment(n, **changes))
    assert response.status_code == 200, response.content
    return dict(response.json())


def control(world: World, **body: Any) -> dict[str, Any]:
    response = call(session_client(world.users["risk_analyst"]), "POST", "/api/v1/risk/controls", body)
    assert response.status_code == 201, response.content
    return dict(response.json())


def fired(body: dict[str, Any]) -> set[str]:
    return {rule["id"] for rule in body["fired"]}


def test_single_limit_challenges_unless_the_payer_verified_as_it_asks(world: World, gateway: Any) -> None:
    limit = control(world, kind="limit", name="手机银行转账单笔5万", channel="mobile", business_type="transfer",
                    single_amount="50000.00", required_auth=["face", "multi_factor"])  # fmt: skip
    assert limit["single_amount"] == "50000.00" and limit["required_auth"] == ["face", "multi_factor"]
    at_limit = decide(gateway, 1, amount="50000.00")
    assert f"LIMIT-{limit['id']}-SINGLE" not in fired(at_limit)
    above = decide(gateway, 2, amount="50000.01")
    assert above["action"] == "challenge" and f"LIMIT-{limit['id']}-SINGLE" in fired(above)
    assert {"face", "multi_factor"} <= set(above["required_auth"])
    evidence = next(r for r in above["fired"] if r["id"].startswith("LIMIT-"))["evidence"]
    assert evidence == {"amount": "50000.01", "limit": "50000.00"}
    verified = decide(gateway, 3, amount="50000.01", auth_method="face")
    assert not any(r.startswith("LIMIT-") for r in fired(verified))
    other_channel = decide(gateway, 4, amount="80000.00", channel="atm", business_type="withdrawal")
    assert not any(r.startswith("LIMIT-") for r in fired(other_channel))


def test_daily_limit_counts_the_accounts_completed_payments_of_the_bank_day(
    world: World, gateway: Any
) -> None:
    limit = control(world, kind="limit", name="日累计10万", business_type="transfer", daily_amount="100000.00",
                    required_auth=["dynamic_code"])  # fmt: skip
    rule = f"LIMIT-{limit['id']}-DAILY"
    assert rule not in fired(decide(gateway, 1, amount="40000.00"))
    assert rule not in fired(decide(gateway, 2, amount="40000.00", channel="counter"))  # any channel counts
    third = decide(gateway, 3, amount="40000.00")
    assert rule in fired(third) and third["action"] == "challenge"
    assert next(r for r in third["fired"] if r["id"] == rule)["evidence"]["today_before"] == "80000.00"
    # The challenged payment did not complete, so it is not counted: 20,000 more still fits.
    assert rule not in fired(decide(gateway, 4, amount="20000.00"))
    assert rule in fired(decide(gateway, 5, amount="0.01"))
    # Another account has its own total; the next bank day starts from zero.
    assert rule not in fired(decide(gateway, 6, account="6222020000000077", amount="90000.00"))
    next_day = payment(7, amount="90000.00") | {"timestamp": "2026-11-25T09:00:00+08:00"}
    assert rule not in fired(dict(call(gateway, "POST", "/api/v1/risk/decisions", next_day).json()))


def test_large_smart_counter_transfer_waits_for_a_second_person(world: World, gateway: Any) -> None:
    threshold = control(world, kind="authorisation", name="智能柜台大额转账", channel="smart_counter",
                        business_type="transfer", single_amount="50000.00", review_minutes=30)  # fmt: skip
    operator = world.users["branch_manager"]
    body = payment(1, amount="80000.00", channel="smart_counter", auth_method="face") | {
        "operator": operator.username, "branch_id": world.branch_a.pk,
    }  # fmt: skip
    decided = call(gateway, "POST", "/api/v1/risk/decisions", body).json()
    assert decided["action"] == "hold" and f"AUTH-{threshold['id']}" in fired(decided)
    review = decided["review"]
    assert review["kind"] == "authorisation" and review["status"] == "pending" and review["outcome"] is None
    made = datetime.fromisoformat(decided["decided_at"])
    assert (datetime.fromisoformat(review["due_at"]) - made).total_seconds() == 30 * 60
    path = f"/api/v1/risk/reviews/{review['id']}"
    # The authoriser sees the payment with its risk details.
    shown = call(session_client(world.users["risk_analyst"]), "GET", path).json()
    assert shown["decision"]["fired"] and shown["amount"] == "80000"
    refused = call(session_client(operator), "POST", f"{path}/authorise", {"outcome": "release"})
    assert_error_shape(refused, 403, "maker_cannot_approve")
    no_reason = call(
        session_client(world.users["risk_analyst"]), "POST", f"{path}/authorise", {"outcome": "reject"}
    )
    assert "note" in assert_error_shape(no_reason, 422)["fields"]
    done = call(
        session_client(world.users["risk_analyst"]), "POST", f"{path}/authorise", {"outcome": "release"}
    )
    assert done.status_code == 200 and done.json()["status"] == "released"
    stored = call(gateway, "GET", f"/api/v1/risk/decisions/{body['id']}")
    assert stored.status_code == 403  # the gateway token only submits
    seen = call(session_client(world.users["admin_hq"]), "GET", "/api/v1/risk/reviews?status=released")
    assert seen.status_code == 403  # administrators do not read decisions
    final = call(
        session_client(world.users["auditor_hq"]), "GET", f"/api/v1/risk/decisions/{body['id']}"
    ).json()
    assert final["review"]["outcome"] == "allow"
    assert AuditEvent.objects.filter(action="risk.authorise_payment").count() == 1
    # A retry of the payment answers the stored decision, with the review as it stands now.
    again = call(gateway, "POST", "/api/v1/risk/decisions", body)
    assert again["Idempotent-Replayed"] == "true" and again.json()["review"]["status"] == "released"


def test_held_and_review_decisions_need_two_reviewers_and_feed_outcomes(world: World, gateway: Any) -> None:
    flagged = decide(gateway, 1, channel="cash", business_type="deposit", amount="60000.00",
                     branch_id=world.branch_a.pk)  # fmt: skip
    assert flagged["action"] == "review" and flagged["review"]["kind"] == "review"
    assert "review" not in {decide(gateway, 2)["action"]} and PaymentReview.objects.count() == 1
    path = f"/api/v1/risk/reviews/{flagged['review']['id']}"
    first, second = world.users["risk_analyst"], world.users["aml_officer"]
    queue = call(session_client(first), "GET", "/api/v1/risk/reviews").json()
    assert [item["payment_id"] for item in queue["items"]] == [flagged["payment_id"]]
    bad = call(session_client(first), "POST", f"{path}/propose", {"outcome": "reject", "note": " "})
    assert "note" in assert_error_shape(bad, 422)["fields"]
    proposed = call(session_client(first), "POST", f"{path}/propose",
                    {"outcome": "reject", "note": "客户承认为冒用他人身份存入", "fraud": True})  # fmt: skip
    assert proposed.json()["status"] == "proposed"
    assert_error_shape(
        call(session_client(first), "POST", f"{path}/confirm", {}), 403, "maker_cannot_approve"
    )
    returned = call(session_client(second), "POST", f"{path}/return", {"note": "证据不足，请补充监控录像"})
    assert returned.json()["status"] == "pending" and returned.json()["proposed_by"] is None
    call(session_client(first), "POST", f"{path}/propose",
         {"outcome": "reject", "note": "已补充录像，确认冒用", "fraud": True})  # fmt: skip
    confirmed = call(session_client(second), "POST", f"{path}/confirm", {"note": "同意"})
    assert confirmed.json()["status"] == "rejected" and confirmed.json()["outcome"] == "block"
    assert StoredPayment.objects.get(payment_id=flagged["payment_id"]).confirmed_fraud is True
    assert_error_shape(call(session_client(second), "POST", f"{path}/confirm", {}), 409, "wrong_status")
    actions = list(AuditEvent.objects.filter(action__startswith="risk.").values_list("action", flat=True))
    assert actions.count("risk.propose_review") == 2 and "risk.confirm_review" in actions


def test_reviews_are_branch_scoped_and_machines_cannot_decide(world: World, gateway: Any) -> None:
    other = decide(gateway, 1, channel="cash", business_type="deposit", amount="60000.00",
                   branch_id=world.branch_b.pk)  # fmt: skip
    path = f"/api/v1/risk/reviews/{other['review']['id']}"
    assert call(session_client(world.users["risk_analyst"]), "GET", path).status_code == 404
    hq = make_user("risk_hq", roles=["risk_analyst"], institution_wide=True)
    assert call(session_client(hq), "GET", path).status_code == 200
    _, secret = make_token(hq, permissions=["risk.review_payments"], all_branches=True, name="robot")
    robot = call(bearer_client(secret), "POST", f"{path}/propose", {"outcome": "release", "note": "auto"})
    assert_error_shape(robot, 403, "person_required")


def test_controls_refuse_bad_settings_by_field(world: World) -> None:
    analyst = session_client(world.users["risk_analyst"])
    for body, field in (
        ({"kind": "limit", "name": "x", "required_auth": ["face"]}, "single_amount"),
        ({"kind": "limit", "name": "x", "single_amount": "100"}, "required_auth"),
        ({"kind": "limit", "name": "x", "single_amount": "100", "required_auth": ["password"]}, "required_auth"),
        ({"kind": "limit", "name": "x", "single_amount": "-5", "required_auth": ["face"]}, "single_amount"),
        ({"kind": "limit", "name": "x", "single_amount": "1.001", "required_auth": ["face"]}, "single_amount"),
        ({"kind": "limit", "name": "x", "channel": "pigeon", "single_amount": "1", "required_auth": ["face"]},
         "channel"),
        ({"kind": "authorisation", "name": "x"}, "single_amount"),
        ({"kind": "cap", "name": "x"}, "kind"),
    ):  # fmt: skip
        error = assert_error_shape(call(analyst, "POST", "/api/v1/risk/controls", body), 422)
        assert field in error["fields"], (body, error)
    made = control(world, kind="limit", name="x", single_amount="100", required_auth=["face"])
    edited = call(
        analyst, "PATCH", f"/api/v1/risk/controls/{made['id']}", {"active": False, "single_amount": "200"}
    )
    assert edited.json()["active"] is False and edited.json()["single_amount"] == "200.00"
    assert call(session_client(world.users["aml_officer"]), "POST", "/api/v1/risk/controls",
                {"kind": "limit", "name": "y"}).status_code == 403  # fmt: skip
