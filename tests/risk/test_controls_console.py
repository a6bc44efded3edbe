"""Console pages of limits, authorisation and the review queue, in Chinese, through a browser client."""

from __future__ import annotations

from typing import Any

import pytest

from bastion.risk.models import PaymentControl, PaymentReview
from tests.api.conftest import bearer_client, call, make_token
from tests.factories import World
from tests.risk.helpers import payment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _poll_at_once(monkeypatch: Any) -> None:
    monkeypatch.setenv("BASTION_RISK_RULESET_CHECK_SECONDS", "0")


def submit(world: World, n: int, **changes: Any) -> dict[str, Any]:
    _, secret = make_token(world.users["admin_hq"], permissions=["risk.submit_payment"], all_branches=True,
                           name=f"gw{n}")  # fmt: skip
    response = call(bearer_client(secret), "POST", "/api/v1/risk/decisions", payment(n, **changes))
    assert response.status_code == 200, response.content
    return dict(response.json())


def test_analyst_sets_a_threshold_and_a_manager_authorises_in_the_console(world: World, console: Any) -> None:
    analyst = console("risk_analyst", language="zh-hans")
    page = analyst.get("/risk/controls/").content.decode()
    assert "<h1>限额与业务授权</h1>" in page and "暂无限额或授权设置。" in page
    saved = analyst.post("/risk/controls/new/", {
        "kind": "authorisation", "name": "智能柜台大额转账", "channel": "smart_counter",
        "business_type": "transfer", "single_amount": "50000", "review_minutes": "30",
    }, follow=True).content.decode()  # fmt: skip
    assert "智能柜台大额转账" in saved and 'class="message success"' in saved
    refused = analyst.post("/risk/controls/new/", {"kind": "limit", "name": "无金额", "review_minutes": "30"},
                           follow=True).content.decode()  # fmt: skip
    assert "限额须设置单笔或日累计金额。" in refused and PaymentControl.objects.count() == 1
    decided = submit(world, 1, amount="70000.00", channel="smart_counter", branch_id=world.branch_a.pk,
                     operator=world.users["branch_manager"].username)  # fmt: skip
    review_id = decided["review"]["id"]
    manager = console("branch_manager", language="zh-hans")
    queue = manager.get("/risk/reviews/").content.decode()
    assert "<h1>复核队列</h1>" in queue and decided["payment_id"] in queue and "业务授权" in queue
    detail = manager.get(f"/risk/reviews/{review_id}/").content.decode()
    assert "需业务授权：智能柜台大额转账" in detail and 'id="authorise-button"' in detail
    own = manager.post(f"/risk/reviews/{review_id}/authorise/", {"outcome": "release"}, follow=True)
    assert "经办人不能授权自己提交的交易。" in own.content.decode()
    assert PaymentReview.objects.get(pk=review_id).status == "pending"
    done = analyst.post(f"/risk/reviews/{review_id}/authorise/", {"outcome": "release", "note": "核实无误"},
                        follow=True).content.decode()  # fmt: skip
    assert "授权结果已记录。" in done and "已放行" in done


def test_two_reviewers_release_a_flagged_payment_in_the_console(world: World, console: Any) -> None:
    flagged = submit(world, 1, channel="cash", business_type="deposit", amount="60000.00",
                     branch_id=world.branch_a.pk)  # fmt: skip
    review_id = flagged["review"]["id"]
    first = console("risk_analyst")
    page = first.get(f"/risk/reviews/{review_id}/").content.decode()
    assert 'id="propose-button"' in page and "LV-CASH-SINGLE" in page
    first.post(
        f"/risk/reviews/{review_id}/propose/", {"outcome": "release", "fraud": "no", "note": "Salary cash"}
    )
    assert 'id="confirm-button"' not in first.get(f"/risk/reviews/{review_id}/").content.decode()
    second = console("aml_officer")
    assert 'id="confirm-button"' in second.get(f"/risk/reviews/{review_id}/").content.decode()
    second.post(f"/risk/reviews/{review_id}/confirm/", {"note": "OK"})
    review = PaymentReview.objects.select_related("payment").get(pk=review_id)
    assert review.status == "released" and review.payment.confirmed_fraud is False
    closed = second.get("/risk/reviews/?status=released").content.decode()
    assert flagged["payment_id"] in closed
    assert console("onsite_engineer").get("/risk/reviews/").status_code == 403
