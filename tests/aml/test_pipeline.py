"""Decisions of the payment risk service become AML alerts: rules tagged "aml", once per customer,
rule and day, with later payments joining the alert; the sweep reads each decision once."""

from __future__ import annotations

import pytest

from bastion.aml.actions.pipeline import do_sweep_rule_alerts
from bastion.aml.actions.reminders import do_remind_aml_deadlines
from bastion.aml.models import Alert, SweepCursor
from bastion.notify.models import Notification
from tests.api.conftest import call
from tests.factories import World
from tests.risk.helpers import payment
from tests.risk.test_api import submitter

pytestmark = pytest.mark.django_db


def decide(client, n: int, **changes) -> dict:
    response = call(client, "POST", "/api/v1/risk/decisions", payment(n, **changes))
    assert response.status_code == 200, response.content
    return dict(response.json())


def test_structuring_decisions_become_one_alert(world: World) -> None:
    client = submitter(world)
    cash = {"channel": "cash", "business_type": "deposit", "payee_account": None, "device_id": None, "ip": None,
            "auth_method": "none"}  # fmt: skip
    bodies = [
        decide(client, n * 600, amount=amount, **cash)
        for n, amount in enumerate(("46000.00", "47000.00", "48500.00"))
    ]
    assert "STR-CASH-REPEATED" in {r["id"] for r in bodies[-1]["fired"]}
    decide(client, 9000, amount="120.00")  # an ordinary payment raises nothing
    assert do_sweep_rule_alerts() == 4
    alerts = {a.code: a for a in Alert.objects.all()}
    assert set(alerts) == {"STR-CASH-NEAR-THRESHOLD", "STR-CASH-REPEATED"}
    near = alerts["STR-CASH-NEAR-THRESHOLD"]
    assert len(near.payment_ids) == 3 and str(near.total) == "141500.00"
    assert (
        near.source == "rule"
        and near.customer_no == "C000001"
        and near.summary_zh.startswith("现金交易金额略低于")
    )
    assert do_sweep_rule_alerts() == 0  # nothing read twice
    decide(client, 3000, amount="49000.00", **cash)
    assert do_sweep_rule_alerts() == 1
    near.refresh_from_db()
    assert len(near.payment_ids) == 4  # a later payment of the same day joins the new alert
    assert SweepCursor.objects.get(name="rule-alerts").position > 0


def test_fraud_and_large_value_rules_raise_no_alert(world: World) -> None:
    client = submitter(world)
    decide(client, 1, channel="cash", business_type="deposit", amount="60000.00", payee_account=None)
    do_sweep_rule_alerts()
    assert not Alert.objects.exists()


def test_deadline_reminder_reaches_officers(world: World) -> None:
    import datetime as dt

    from bastion.aml.actions.reports import do_generate_large_value_reports
    from tests.aml.helpers import at, store_payment

    store_payment(when=at("2026-11-20"), amount="60000.00", channel="cash", business_type="deposit")
    do_generate_large_value_reports(day=dt.date(2026, 11, 20), actor=None)
    counts = do_remind_aml_deadlines(today=dt.date(2026, 11, 26))
    assert counts["large_value"] == 1
    officer = world.users["aml_officer"]
    assert Notification.objects.filter(recipient=officer, kind="aml.deadlines").exists()


def test_shared_list_hits_reach_aml(world: World) -> None:
    from bastion.risk.actions.lists import do_add_list_entry
    from bastion.risk.scorer import lists_changed

    do_add_list_entry(list_name="watchlist", value="6222021111000099", entry_type="payee",
                      reason="反诈中心共享：涉诈收款账户", actor=world.users["risk_analyst"])  # fmt: skip
    lists_changed()
    body = decide(submitter(world), 1, payee_account="6222021111000099", amount="3000.00")
    assert "LIST-WATCHED" in {r["id"] for r in body["fired"]}
    do_sweep_rule_alerts()
    assert Alert.objects.get(code="LIST-WATCHED").payment_ids == [body["payment_id"]]
