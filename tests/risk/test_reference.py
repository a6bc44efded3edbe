"""Channel risk assessments (R4.6) and counterparty ratings (R4.8) feed the score, identically in batch."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import polars as pl
import pytest
from django.utils import timezone

from bastion.engine import Engine, EngineConfig, Payment, load_default_ruleset
from bastion.notify.models import Notification
from bastion.risk.actions.reference import do_remind_channel_reviews
from bastion.risk.models import ChannelAssessment, StoredPayment
from bastion.risk.ratings import ReferenceModel
from bastion.risk.services import active_ruleset
from bastion.risk.services.backtests import run_backtest
from tests.api.conftest import assert_error_shape, bearer_client, call, make_token, session_client
from tests.factories import World
from tests.risk.helpers import payment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _poll_at_once(monkeypatch: Any) -> None:
    monkeypatch.setenv("BASTION_RISK_RULESET_CHECK_SECONDS", "0")


@pytest.fixture
def gateway(world: World) -> Any:
    _, secret = make_token(world.users["admin_hq"], permissions=["risk.submit_payment"], all_branches=True,
                           name="gateway")  # fmt: skip
    return bearer_client(secret)


def decide(client: Any, n: int, **changes: Any) -> dict[str, Any]:
    response = call(client, "POST", "/api/v1/risk/decisions", payment(n, **changes))
    assert response.status_code == 200, response.content
    return dict(response.json())


def assessment(**changes: Any) -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "period_start": (today - timedelta(days=30)).isoformat(), "period_end": today.isoformat(),
        "identified_risks": "冒用身份开立的手机银行账户；SIM卡劫持", "qualitative_rating": "low",
        "qualitative_notes": "身份核验有效，交易监测覆盖全面", "incidents": 0,
    } | changes  # fmt: skip


def test_assessment_computes_the_figures_and_its_rating_feeds_the_score(world: World, gateway: Any) -> None:
    today = timezone.localdate()
    stamp = f"{today.isoformat()}T10:00:00+08:00"
    for n in range(10):
        decide(gateway, n, timestamp=stamp.replace("10:00:00", f"10:00:{n:02d}"))
    StoredPayment.objects.filter(payment_id="PAY-00000003").update(confirmed_fraud=True)
    analyst = session_client(world.users["risk_analyst"])
    made = call(analyst, "POST", "/api/v1/risk/channels/mobile/assessments", assessment())
    assert made.status_code == 201, made.content
    body = made.json()
    # One confirmed fraud in ten payments: 1,000 basis points, so quantitatively high whatever the opinion.
    assert (body["payments"], body["confirmed_fraud"], body["fraud_rate_bp"]) == (10, 1, "1000.00")
    assert (body["qualitative_rating"], body["quantitative_rating"], body["rating"]) == (
        "low",
        "high",
        "high",
    )
    assert body["losses"] == "120.00" and body["points"] == 15
    assert body["next_review"] == (today + timedelta(days=90)).isoformat()
    scored = decide(gateway, 20, amount="60.00", account="6222020000000555")
    assert scored["model_points"] == 15 and scored["score"] == 15 and scored["level"] == "normal"
    part = next(r for r in scored["fired"] if r["id"] == "CHANNEL-RISK")
    assert part["points"] == 15 and part["reason_zh"] == "渠道风险评估为高"
    assert decide(gateway, 21, channel="atm", business_type="withdrawal")["model_points"] == 0
    overview = {row["channel"]: row for row in call(analyst, "GET", "/api/v1/risk/channels").json()}
    assert overview["mobile"]["assessment"]["rating"] == "high" and not overview["mobile"]["due"]
    assert overview["atm"]["assessment"] is None and overview["atm"]["due"]


def test_counterparty_grades_add_points_and_say_why(world: World, gateway: Any) -> None:
    analyst = session_client(world.users["risk_analyst"])
    bank = call(analyst, "POST", "/api/v1/risk/counterparties",
                {"kind": "institution", "identifier": "BANK-ZJ-017", "name": "某农村商业银行", "grade": "B"})  # fmt: skip
    assert bank.status_code == 201 and bank.json()["points"] == 20
    call(analyst, "POST", "/api/v1/risk/counterparties",
         {"kind": "merchant", "identifier": "M-88", "name": "某跨境电商", "grade": "CCC"})  # fmt: skip
    to_bank = decide(gateway, 1, counterparty_institution="BANK-ZJ-017")
    assert to_bank["model_points"] == 20
    why = next(r for r in to_bank["fired"] if r["id"] == "COUNTERPARTY-RATING")
    assert why["evidence"] == {"counterparty_institution": "BANK-ZJ-017", "grade": "B"}
    # Both rated: the worse grade counts, once.
    both = decide(gateway, 2, counterparty_institution="BANK-ZJ-017", payee_customer="M-88")
    assert both["model_points"] == 30
    regraded = call(analyst, "PATCH", f"/api/v1/risk/counterparties/{bank.json()['id']}", {"grade": "A"})
    assert regraded.json()["points"] == 0
    assert decide(gateway, 3, counterparty_institution="BANK-ZJ-017")["model_points"] == 0
    again = call(analyst, "POST", "/api/v1/risk/counterparties",
                 {"kind": "merchant", "identifier": "M-88", "name": "重复", "grade": "A"})  # fmt: skip
    assert_error_shape(again, 409, "already_rated")


def test_batch_and_backtests_see_the_same_points(world: World, gateway: Any) -> None:
    model = ReferenceModel(
        {"mobile": ("high", 15)}, {"BANK-1": ("某行", "BB", 10)}, {"M-1": ("某商户", "D", 40)}
    )
    records = [
        payment(1), payment(2, counterparty_institution="BANK-1"), payment(3, payee_customer="M-1", channel="atm",
                                                                          business_type="withdrawal"),
        payment(4, channel="pos", business_type="purchase"),
    ]  # fmt: skip
    config = EngineConfig()
    one = [model.score_one(Payment.from_mapping(r, config), {}) for r in records]
    frame = pl.DataFrame(records).with_columns(pl.col("channel").cast(pl.Enum(["mobile", "atm", "pos"])))
    assert one == [15, 25, 40, 0] and model.score_batch(frame, {}).to_list() == one
    # Through the engine's own batch path (attribute-named columns), as backtests run it.
    engine = Engine(load_default_ruleset(), lists={"blocklist": set(), "watchlist": set()}, model=model)
    stamped = [r | {"id": f"B-{n}"} for n, r in enumerate(records)]
    batch = list(engine.score_frame(pl.DataFrame(stamped)).decisions())
    assert [d.model_points for d in batch] == one
    call(session_client(world.users["risk_analyst"]), "POST", "/api/v1/risk/channels/mobile/assessments",
         assessment(qualitative_rating="high"))  # fmt: skip
    decided = [decide(gateway, n) for n in range(3)]
    day = date.fromisoformat(payment(0)["timestamp"][:10])
    result = run_backtest(text=active_ruleset().text, start=day, end=day, compare_text=None)
    assert result["payments"] == 3 and all(d["model_points"] == 15 for d in decided)
    assert result["levels"] == {"normal": 3, "attention": 0, "warning": 0, "high_risk": 0}


def test_refusals_and_the_review_reminder(world: World) -> None:
    analyst = session_client(world.users["risk_analyst"])
    late = assessment(period_end=(timezone.localdate() + timedelta(days=1)).isoformat())
    error = assert_error_shape(call(analyst, "POST", "/api/v1/risk/channels/mobile/assessments", late), 422)
    assert "period_end" in error["fields"]
    aml = session_client(world.users["aml_officer"])
    assert call(aml, "POST", "/api/v1/risk/channels/mobile/assessments", assessment()).status_code == 403
    assert call(aml, "GET", "/api/v1/risk/channels").status_code == 200
    assert ChannelAssessment.objects.count() == 0
    due = do_remind_channel_reviews(today=timezone.localdate())
    assert due == 9  # nothing assessed yet
    assert Notification.objects.filter(
        kind="risk.channel_review_due", recipient=world.users["risk_analyst"]
    ).exists()


def test_console_assesses_a_channel_and_rates_a_counterparty(world: World, console: Any) -> None:
    page = console("risk_analyst", language="zh-hans")
    text = page.get("/risk/channels/").content.decode()
    assert "<h1>支付渠道</h1>" in text and "尚未评估" in text and 'id="assess-button"' in text
    today = timezone.localdate()
    done = page.post("/risk/channels/assess/", {
        "channel": "digital_currency", "period_start": (today - timedelta(days=60)).isoformat(),
        "period_end": today.isoformat(), "identified_risks": "匿名钱包", "qualitative_rating": "high",
        "qualitative_notes": "新业务，监测规则尚不完善", "incidents": "2",
    }, follow=True).content.decode()  # fmt: skip
    assert "已评估" in done and "匿名钱包" in done
    assert ChannelAssessment.objects.get().rating == "high"
    page.post("/risk/counterparties/save/", {"kind": "merchant", "identifier": "M-9", "name": "示例商户",
                                             "grade": "BB", "note": ""})  # fmt: skip
    listed = page.get("/risk/counterparties/").content.decode()
    assert "示例商户" in listed and "<h1>交易对手</h1>" in listed
    reader = console("auditor_hq").get("/risk/channels/").content.decode()
    assert "Digital currency" in reader and 'id="assess-button"' not in reader
