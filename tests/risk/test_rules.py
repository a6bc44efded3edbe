"""Rule management through the API: drafts, the syntax check, dual control, activation, backtests."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from bastion.engine import Engine, RuleSet
from bastion.engine.engine import required_lists
from bastion.risk.actions import default_ruleset_text, do_ensure_active_ruleset
from bastion.risk.models import Decision, RuleSetVersion, StoredPayment
from bastion.risk.services.rules import check_ruleset_text
from tests.api.conftest import assert_error_shape, bearer_client, call, make_token, session_client
from tests.factories import World, make_user
from tests.risk.helpers import payment

pytestmark = pytest.mark.django_db

NEW_RULE = """
[[rule]]
id = "NEW-MOBILE-5K"
when = 'channel == "mobile" and amount >= 5000'
points = 40
reason_zh = "手机银行单笔5000元以上"
reason_en = "Mobile payment of CNY 5,000 or more"
"""
BASE = "/api/v1/risk/rulesets"


@pytest.fixture
def people(world: World) -> dict[str, Any]:
    second = make_user("risk_analyst_2", roles=["risk_analyst"], institution_wide=True)
    return {
        "maker": session_client(world.users["risk_analyst"]),
        "checker": session_client(second),
        "auditor": session_client(world.users["auditor_hq"]),
    }


def gateway(world: World) -> Any:
    _, secret = make_token(world.users["admin_hq"], permissions=["risk.submit_payment"], all_branches=True)
    return bearer_client(secret)


def _draft(client: Any, text: str) -> dict[str, Any]:
    do_ensure_active_ruleset()
    response = call(client, "POST", BASE, {"name": "mobile 5k", "text": text})
    assert response.status_code == 201, response.content
    return response.json()


def test_syntax_check_names_line_and_column(people: dict[str, Any]) -> None:
    text = NEW_RULE.replace("channel ==", "chanel ==")
    response = call(people["maker"], "POST", f"{BASE}/check", {"text": text})
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is False
    [error] = body["errors"]
    # The condition starts on document line 4 after `when = '`; the unknown name is its first word.
    assert (error["rule_id"], error["line"], error["column"]) == ("NEW-MOBILE-5K", 4, 9)
    assert "chanel" in error["message"]
    toml = call(people["maker"], "POST", f"{BASE}/check", {"text": "[[rule]\nid = 1"}).json()
    assert toml["ok"] is False and toml["errors"][0]["line"] == 1
    good = call(people["maker"], "POST", f"{BASE}/check", {"text": NEW_RULE}).json()
    assert good == {"ok": True, "errors": [], "rules": [
        {"id": "NEW-MOBILE-5K", "points": 40, "reason_zh": "手机银行单笔5000元以上",
         "reason_en": "Mobile payment of CNY 5,000 or more", "enabled": True}]}  # fmt: skip


def test_multi_line_condition_positions() -> None:
    text = "[[rule]]\nid = \"M\"\nwhen = '''\namount > 1\n  and cnt(payer, 1d) > 2'''\npoints = 1\n" \
        "reason_zh = \"x\"\nreason_en = \"x\"\n"  # fmt: skip
    [problem] = check_ruleset_text(text)
    assert (problem.line, problem.column) == (5, 7)


def test_maker_cannot_approve_and_a_second_person_can(world: World, people: dict[str, Any]) -> None:
    draft = _draft(people["maker"], default_ruleset_text() + NEW_RULE)
    number = draft["number"]
    assert draft["status"] == "draft" and draft["created_by"] == "risk_analyst_a"
    # Not approvable before submission.
    assert_error_shape(call(people["checker"], "POST", f"{BASE}/{number}/approve", {}), 409, "wrong_status")
    submitted = call(people["maker"], "POST", f"{BASE}/{number}/submit")
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    # Submitted versions do not change.
    assert_error_shape(call(people["maker"], "PATCH", f"{BASE}/{number}", {"name": "x"}), 409, "wrong_status")
    refused = call(people["maker"], "POST", f"{BASE}/{number}/approve", {"note": "looks fine"})
    body = assert_error_shape(refused, 403, "maker_cannot_approve")
    assert str(number) in body["message"]  # the message names the version (in the reader's language)
    assert_error_shape(call(people["auditor"], "POST", f"{BASE}/{number}/approve", {}), 403)
    # Not activatable before approval.
    assert_error_shape(call(people["checker"], "POST", f"{BASE}/{number}/activate"), 409, "wrong_status")
    approved = call(people["checker"], "POST", f"{BASE}/{number}/approve", {"note": "checked backtest"})
    assert approved.status_code == 200, approved.content
    assert approved.json()["approved_by"] == "risk_analyst_2"
    assert RuleSetVersion.objects.get(status="active").number == 1


def test_reject_returns_to_draft_with_the_reason(people: dict[str, Any]) -> None:
    number = _draft(people["maker"], NEW_RULE)["number"]
    call(people["maker"], "POST", f"{BASE}/{number}/submit")
    assert_error_shape(call(people["checker"], "POST", f"{BASE}/{number}/reject", {"note": ""}), 422)
    rejected = call(people["checker"], "POST", f"{BASE}/{number}/reject", {"note": "threshold too low"})
    assert rejected.json()["status"] == "draft" and rejected.json()["review_note"] == "threshold too low"
    edited = call(people["maker"], "PATCH", f"{BASE}/{number}", {"text": NEW_RULE.replace("5000", "8000")})
    assert edited.status_code == 200 and "8000" in edited.json()["text"]


def test_submit_refuses_a_text_with_errors(people: dict[str, Any]) -> None:
    number = _draft(people["maker"], NEW_RULE.replace("amount >=", "amount >=="))["number"]
    body = assert_error_shape(call(people["maker"], "POST", f"{BASE}/{number}/submit"), 422)
    assert "text" in body["fields"]
    assert RuleSetVersion.objects.get(number=number).status == "draft"


def test_a_second_analyst_cannot_approve_after_editing(world: World, people: dict[str, Any]) -> None:
    number = _draft(people["maker"], NEW_RULE)["number"]
    call(people["checker"], "PATCH", f"{BASE}/{number}", {"note": "tweaked"})
    call(people["maker"], "POST", f"{BASE}/{number}/submit")
    # The checker edited the draft: they are one of its makers now.
    assert_error_shape(
        call(people["checker"], "POST", f"{BASE}/{number}/approve", {}), 403, "maker_cannot_approve"
    )


def test_activation_is_atomic_and_the_next_decision_uses_it(
    world: World, people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    client = gateway(world)
    before = call(client, "POST", "/api/v1/risk/decisions", payment(1, amount="6000.00")).json()
    assert before["ruleset_version"] == 1
    assert "NEW-MOBILE-5K" not in {r["id"] for r in before["fired"]}
    number = _draft(people["maker"], default_ruleset_text() + NEW_RULE)["number"]
    call(people["maker"], "POST", f"{BASE}/{number}/submit")
    call(people["checker"], "POST", f"{BASE}/{number}/approve", {"note": "ok"})
    with django_capture_on_commit_callbacks(execute=True):
        activated = call(people["checker"], "POST", f"{BASE}/{number}/activate")
    assert activated.status_code == 200, activated.content
    assert activated.json()["status"] == "active" and activated.json()["activated_by"] == "risk_analyst_2"
    assert list(RuleSetVersion.objects.filter(status="active").values_list("number", flat=True)) == [number]
    assert RuleSetVersion.objects.get(number=1).status == "retired"
    # The in-process owner switches on its next batch, without a restart.
    after = call(client, "POST", "/api/v1/risk/decisions", payment(2, amount="6000.00")).json()
    assert after["ruleset_version"] == number
    assert "NEW-MOBILE-5K" in {r["id"] for r in after["fired"]}
    assert Decision.objects.get(payment__payment_id="PAY-00000002").ruleset.number == number
    assert Decision.objects.get(payment__payment_id="PAY-00000001").ruleset.number == 1


# --- backtests -------------------------------------------------------------------------------------
def _history(world: World) -> list[dict[str, Any]]:
    """Payments over three days (some cash, some large mobile), stored through the Decision API."""
    records = []
    for n in range(60):
        day = 20 + n % 3
        amount = ("6000.00", "120.00", "52000.00", "9000.00")[n % 4]
        channel = "cash" if amount == "52000.00" else "mobile"
        account = f"62220500{n % 7:08d}"
        records.append(
            payment(n, account=account, amount=amount, channel=channel)
            | {"timestamp": f"2026-11-{day:02d}T{(n * 7) % 24:02d}:{n % 60:02d}:00+08:00"}
        )
    response = call(gateway(world), "POST", "/api/v1/risk/decisions/batch", {"payments": records})
    assert response.status_code == 200, response.content
    # Known outcomes on a few: some large mobile payments were fraud, one small one too.
    StoredPayment.objects.filter(payment_id__in=[r["id"] for r in records[:12]]).update(confirmed_fraud=False)
    fraud = [*[r["id"] for r in records if r["amount"] == "9000.00"][:3], records[1]["id"]]
    StoredPayment.objects.filter(payment_id__in=fraud).update(confirmed_fraud=True)
    return records


def _direct(text: str, records: list[dict[str, Any]]) -> pl.DataFrame:
    ruleset = RuleSet.from_toml(text)
    engine = Engine(ruleset, lists={name: () for name in required_lists(ruleset)})
    return engine.score_frame(pl.DataFrame(records)).output()


def test_backtest_matches_a_direct_batch_run(
    world: World, people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    records = _history(world)
    text = default_ruleset_text() + NEW_RULE
    number = _draft(people["maker"], text)["number"]
    with django_capture_on_commit_callbacks(execute=True):
        started = call(
            people["maker"],
            "POST",
            f"{BASE}/{number}/backtests",
            {"start": "2026-11-21", "end": "2026-11-22"},
        )
    assert started.status_code == 202, started.content
    backtest_id = started.json()["id"]
    body = call(people["auditor"], "GET", f"{BASE}/{number}/backtests/{backtest_id}").json()
    assert body["status"] == "done", body
    result = body["result"]

    # The same payments, in the same order, scored directly by the engine's batch path.
    mine = _direct(text, records)
    active = _direct(default_ruleset_text(), records)
    zone = ZoneInfo("Asia/Shanghai")
    days = [datetime.fromisoformat(r["timestamp"]).astimezone(zone).date().isoformat() for r in records]
    inside = [d in ("2026-11-21", "2026-11-22") for d in days]
    expected_days: dict[str, Counter[str]] = {"2026-11-21": Counter(), "2026-11-22": Counter()}
    hits: Counter[str] = Counter()
    for i, row in enumerate(mine.iter_rows(named=True)):
        if inside[i]:
            expected_days[days[i]][row["level"]] += 1
            hits.update(row["fired"])
    assert result["payments"] == sum(inside) == 40
    assert result["days"] == [
        {"date": d, **{lv: c[lv] for lv in ("normal", "attention", "warning", "high_risk")}}
        for d, c in expected_days.items()
    ]
    assert {r["id"]: r["hits"] for r in result["rules"] if r["hits"]} == dict(hits)
    assert hits["NEW-MOBILE-5K"] > 0
    mine_flag = [lv != "normal" for lv in mine["level"].to_list()]
    active_flag = [lv != "normal" for lv in active["level"].to_list()]
    pairs = [(a, b) for a, b, keep in zip(mine_flag, active_flag, inside, strict=True) if keep]
    assert result["overlap"]["compared_with"] == 1
    assert result["overlap"]["both"] == sum(1 for a, b in pairs if a and b)
    assert result["overlap"]["only_this"] == sum(1 for a, b in pairs if a and not b) > 0
    assert result["overlap"]["only_active"] == sum(1 for a, b in pairs if b and not a)
    # Outcomes: fraud known on a few payments in the window.
    outcome = dict(StoredPayment.objects.values_list("payment_id", "confirmed_fraud"))
    known = [(f, outcome[r["id"]]) for f, r, keep in zip(mine_flag, records, inside, strict=True)
             if keep and outcome[r["id"]] is not None]  # fmt: skip
    tp = sum(1 for f, o in known if f and o)
    assert result["outcomes"]["known"] == len(known) > 0
    assert result["outcomes"]["precision"] == round(tp / sum(1 for f, _ in known if f), 4)
    assert result["outcomes"]["recall"] == round(tp / sum(1 for _, o in known if o), 4)


def test_backtest_refuses_bad_windows(people: dict[str, Any]) -> None:
    number = _draft(people["maker"], NEW_RULE)["number"]
    bad = call(
        people["maker"], "POST", f"{BASE}/{number}/backtests", {"start": "2026-11-22", "end": "2026-11-01"}
    )
    assert "end" in assert_error_shape(bad, 422)["fields"]


def test_versions_list_filters_by_status(people: dict[str, Any]) -> None:
    number = _draft(people["maker"], NEW_RULE)["number"]
    drafts = call(people["auditor"], "GET", f"{BASE}?status=draft").json()
    assert [v["number"] for v in drafts["items"]] == [number] and drafts["total"] == 1
    everything = call(people["auditor"], "GET", BASE).json()
    assert [v["number"] for v in everything["items"]] == [number, 1]
    assert everything["items"][1]["status"] == "active"
    assert_error_shape(call(people["auditor"], "GET", f"{BASE}?status=nonsense"), 422)
    # Readers cannot write.
    assert_error_shape(call(people["auditor"], "POST", BASE, {"name": "x"}), 403)


def test_tokens_cannot_approve_or_activate(world: World, people: dict[str, Any]) -> None:
    number = _draft(people["maker"], NEW_RULE)["number"]
    call(people["maker"], "POST", f"{BASE}/{number}/submit")
    second = make_user("risk_analyst_3", roles=["risk_analyst"], institution_wide=True)
    _, secret = make_token(second, permissions=["risk.approve_rulesets"], all_branches=True)
    machine = bearer_client(secret)
    assert_error_shape(call(machine, "POST", f"{BASE}/{number}/approve", {}), 403, "person_required")
    call(people["checker"], "POST", f"{BASE}/{number}/approve", {})
    assert_error_shape(call(machine, "POST", f"{BASE}/{number}/activate"), 403, "person_required")
    assert RuleSetVersion.objects.get(number=number).status == "approved"


def test_approval_prepares_the_new_versions_state_so_activation_replays_only_the_tail(
    world: World, people: dict[str, Any], django_capture_on_commit_callbacks: Any, caplog: Any
) -> None:
    from bastion.risk.models import FeatureSnapshot
    from bastion.risk.scorer import PartitionOwner

    client = gateway(world)
    for n in range(6):
        call(client, "POST", "/api/v1/risk/decisions", payment(n, account=f"6222060000{n:06d}"))
    number = _draft(people["maker"], default_ruleset_text() + NEW_RULE)["number"]
    call(people["maker"], "POST", f"{BASE}/{number}/submit")
    with django_capture_on_commit_callbacks(execute=True):
        call(people["checker"], "POST", f"{BASE}/{number}/approve", {"note": "ok"})
    version = RuleSetVersion.objects.get(number=number)
    prepared = FeatureSnapshot.objects.filter(ruleset=version)
    assert prepared.count() == PartitionOwner().count  # every partition, before activation
    assert sum(prepared.values_list("payments", flat=True)) == 6
    call(client, "POST", "/api/v1/risk/decisions", payment(7, account="6222060000000099"))
    with django_capture_on_commit_callbacks(execute=True):
        call(people["checker"], "POST", f"{BASE}/{number}/activate")
    owner = PartitionOwner()
    with caplog.at_level("INFO", logger="bastion.risk.scorer"):
        owner.load()
    # Only the payment stored after the approval is replayed, not the whole history.
    assert f"rule set v{number}, 1 payments replayed" in caplog.text
