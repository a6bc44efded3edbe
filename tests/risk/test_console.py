"""The decision console: feed with filters and branch scope, a payment's page with reasons, the chart."""

from __future__ import annotations

from typing import Any

import pytest

from bastion.risk import flows
from bastion.risk.models import Decision
from tests.factories import World
from tests.risk.helpers import payment

pytestmark = pytest.mark.django_db


@pytest.fixture
def decided(world: World) -> World:
    """Two payments in branch A (one large cash deposit) and one in branch B."""
    admin = world.users["admin_hq"]
    flows.submit_payments(
        principal=admin,
        payments=[
            (payment(1, account="6222020000000001"), world.branch_a.pk),
            (
                payment(
                    2,
                    account="6222020000000002",
                    channel="cash",
                    business_type="deposit",
                    amount="60000.00",
                    auth_method="none",
                ),
                world.branch_a.pk,
            ),
            (payment(3, account="6222020000000003"), world.branch_b.pk),
        ],
        single=False,
    )
    return world


def test_feed_lists_decisions_in_the_readers_branch_only(decided: World, console: Any) -> None:
    page = console("risk_analyst").get("/risk/decisions/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "PAY-00000001" in text and "PAY-00000002" in text
    assert "PAY-00000003" not in text  # branch B is outside the analyst's scope
    other = console("branch_manager_b").get("/risk/decisions/").content.decode()
    assert "PAY-00000003" in other and "PAY-00000001" not in other


def test_feed_filters_by_level_and_account_and_serves_the_live_partial(decided: World, console: Any) -> None:
    client = console("risk_analyst")
    high = client.get("/risk/decisions/", {"action": "allow"}).content.decode()
    assert "PAY-00000001" in high and "PAY-00000002" not in high
    by_account = client.get("/risk/decisions/", {"q": "6222020000000002"}).content.decode()
    assert "PAY-00000002" in by_account and "PAY-00000001" not in by_account
    partial = client.get("/risk/decisions/", headers={"HX-Request": "true"})
    body = partial.content.decode()
    assert "<html" not in body and 'hx-trigger="every 10s"' in body
    older = client.get("/risk/decisions/", {"page": "2"}, headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 10s"' not in older  # only the first page refreshes itself


def test_payment_page_shows_reasons_and_the_values_behind_them(decided: World, console: Any) -> None:
    page = console("risk_analyst").get("/risk/decisions/PAY-00000002/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "LV-CASH-SINGLE" in text
    assert "60000.00 CNY" in text and "amount" in text
    chinese = (
        console("risk_analyst", language="zh-hans").get("/risk/decisions/PAY-00000002/").content.decode()
    )
    assert "大额现金" in chinese or "现金" in chinese
    level = {"normal": "正常", "attention": "关注", "warning": "警告", "high_risk": "高风险"}
    assert level[Decision.objects.get(payment__payment_id="PAY-00000002").level] in chinese  # R4.1 names


def test_payment_outside_scope_is_not_found_and_other_roles_are_refused(decided: World, console: Any) -> None:
    assert console("risk_analyst").get("/risk/decisions/PAY-00000003/").status_code == 404
    assert console("risk_analyst").get("/risk/decisions/NO-SUCH/").status_code == 404
    assert console("onsite_engineer").get("/risk/decisions/").status_code == 403


def test_level_chart_is_an_svg_of_the_readers_decisions(decided: World, console: Any) -> None:
    chart = console("risk_analyst").get("/risk/decisions/levels.svg")
    assert chart.status_code == 200 and chart["Content-Type"].startswith("image/svg+xml")
    assert "<svg" in chart.content.decode()
