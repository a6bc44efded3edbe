"""Named lists (R5.5) through the API and the console: shared, audited, expiring, used by rules."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from bastion.audit.models import AuditEvent
from bastion.risk.models import ListEntry, RiskList
from bastion.risk.services.backtests import run_backtest
from tests.api.conftest import assert_error_shape, bearer_client, call, make_token, session_client
from tests.factories import World
from tests.risk.helpers import payment

pytestmark = pytest.mark.django_db

ENTRIES = "/api/v1/risk/lists/blocklist/entries"
FRAUD_PAYEE = "6222021111222233"


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


def fired(body: dict[str, Any]) -> set[str]:
    return {rule["id"] for rule in body["fired"]}


def add_entry(client: Any, value: str = FRAUD_PAYEE, **changes: Any) -> Any:
    body = {"value": value, "entry_type": "payee", "reason": "电信诈骗收款账户 (案件 2026-118)"} | changes
    return call(client, "POST", ENTRIES, body)


def test_shipped_lists_exist_for_the_default_rules(world: World) -> None:
    assert set(RiskList.objects.values_list("name", "kind")) >= {
        ("blocklist", "block"), ("watchlist", "watch"), ("allowlist", "allow"),
    }  # fmt: skip
    listed = call(session_client(world.users["auditor_hq"]), "GET", "/api/v1/risk/lists").json()
    assert {item["name"] for item in listed["items"]} >= {"blocklist", "watchlist", "allowlist"}


def test_an_entry_blocks_the_next_payment_and_its_removal_releases_it(
    world: World, gateway: Any, settings: Any, monkeypatch: Any
) -> None:
    monkeypatch.setenv("BASTION_RISK_RULESET_CHECK_SECONDS", "0")
    analyst = session_client(world.users["risk_analyst"])
    assert "LIST-BLOCKED" not in fired(decide(gateway, 1, payee_account=FRAUD_PAYEE))
    response = add_entry(analyst)
    assert response.status_code == 201, response.content
    entry = response.json()
    assert entry["state"] == "live" and entry["added_by"] == world.users["risk_analyst"].username
    blocked = decide(gateway, 2, payee_account=FRAUD_PAYEE)
    assert "LIST-BLOCKED" in fired(blocked) and blocked["action"] == "block"
    assert blocked["level"] == "high_risk"
    removed = call(analyst, "POST", f"{ENTRIES}/{entry['id']}/remove", {"reason": "误报，已核实为正常商户"})
    assert removed.status_code == 200 and removed.json()["state"] == "removed"
    assert "LIST-BLOCKED" not in fired(decide(gateway, 3, payee_account=FRAUD_PAYEE))
    # Both changes are in the audit trail, with who and why.
    events = AuditEvent.objects.filter(action__in=["risk.add_list_entry", "risk.remove_list_entry"])
    assert [e.action for e in events.order_by("pk")] == ["risk.add_list_entry", "risk.remove_list_entry"]


def test_an_expired_entry_stops_counting_without_anyone_acting(
    world: World, gateway: Any, clock: Any, monkeypatch: Any
) -> None:
    monkeypatch.setenv("BASTION_RISK_RULESET_CHECK_SECONDS", "3600")  # only the expiry can reload
    analyst = session_client(world.users["aml_officer"])  # AML maintains the shared lists too
    expires = (timezone.now() + timedelta(hours=1)).isoformat()
    decide(gateway, 1)  # the owner loads before the entry exists
    monkeypatch.setenv("BASTION_RISK_RULESET_CHECK_SECONDS", "0")
    assert add_entry(analyst, expires_at=expires).status_code == 201
    decide(gateway, 2)  # picks up the new revision
    monkeypatch.setenv("BASTION_RISK_RULESET_CHECK_SECONDS", "3600")
    assert "LIST-BLOCKED" in fired(decide(gateway, 3, payee_account=FRAUD_PAYEE))
    clock.advance(hours=1, seconds=1)
    assert "LIST-BLOCKED" not in fired(decide(gateway, 4, payee_account=FRAUD_PAYEE))
    analyst = session_client(world.users["aml_officer"])  # the first session idled out
    live = call(analyst, "GET", f"{ENTRIES}?state=live").json()
    expired = call(analyst, "GET", f"{ENTRIES}?state=expired").json()
    assert live["total"] == 0 and [e["value"] for e in expired["items"]] == [FRAUD_PAYEE]
    # The same value can be listed again once its entry expired.
    assert add_entry(analyst).status_code == 201


def test_refusals_name_the_field_and_change_nothing(world: World) -> None:
    analyst = session_client(world.users["risk_analyst"])
    assert add_entry(analyst).status_code == 201
    before = ListEntry.objects.count()
    assert_error_shape(add_entry(analyst), 409, "already_listed")
    for body, field in (
        ({"value": "X-1", "expires_at": "2020-01-01T00:00:00+08:00"}, "expires_at"),
        ({"value": "X-2", "expires_at": "2030-01-01T00:00:00"}, "expires_at"),
        ({"value": "X-3", "entry_type": "planet"}, "entry_type"),
        ({"value": "X-4", "reason": "   "}, "reason"),
        ({"value": "  "}, "value"),
    ):
        error = assert_error_shape(add_entry(analyst, **body), 422)
        assert any(field in name for name in error["fields"]), (body, error)
    missing = call(analyst, "POST", "/api/v1/risk/lists/nosuch/entries", {"value": "1", "entry_type": "ip",
                                                                        "reason": "r"})  # fmt: skip
    assert_error_shape(missing, 404)
    bad_name = call(
        analyst, "POST", "/api/v1/risk/lists", {"name": "Bad Name", "title": "t", "kind": "block"}
    )
    assert "name" in assert_error_shape(bad_name, 422)["fields"]
    assert ListEntry.objects.count() == before


def test_who_may_read_and_who_may_change(world: World) -> None:
    compliance = session_client(world.users["compliance_hq"])
    assert call(compliance, "GET", ENTRIES).status_code == 200
    assert add_entry(compliance).status_code == 403
    assert call(session_client(world.users["onsite_engineer"]), "GET", ENTRIES).status_code == 403


def test_a_new_list_is_usable_by_rules_and_unknown_names_are_refused(world: World) -> None:
    analyst = session_client(world.users["risk_analyst"])
    text = (
        '[[rule]]\nid = "MULE-DEVICE"\nwhen = \'device in list("mule_devices")\'\npoints = 60\n'
        'reason_zh = "设备在跑分设备名单中"\nreason_en = "Device is on the mule-device list"\n'
    )
    unknown = call(analyst, "POST", "/api/v1/risk/rulesets/check", {"text": text}).json()
    assert not unknown["ok"] and "mule_devices" in unknown["errors"][0]["message"]
    assert unknown["errors"][0]["line"] == 3 and unknown["errors"][0]["rule_id"] == "MULE-DEVICE"
    created = call(analyst, "POST", "/api/v1/risk/lists",
                   {"name": "mule_devices", "title": "跑分设备", "kind": "block"})  # fmt: skip
    assert created.status_code == 201 and created.json()["live_entries"] == 0
    assert call(analyst, "POST", "/api/v1/risk/rulesets/check", {"text": text}).json()["ok"]


def test_backtests_use_the_lists_in_force(world: World, gateway: Any) -> None:
    for n in range(3):
        decide(gateway, n, payee_account=FRAUD_PAYEE)
    from bastion.risk.services import active_ruleset

    text = active_ruleset().text
    day = date(2026, 11, 24)
    assert run_backtest(text=text, start=day, end=day, compare_text=None)["levels"]["high_risk"] == 0
    assert add_entry(session_client(world.users["risk_analyst"])).status_code == 201
    result = run_backtest(text=text, start=day, end=day, compare_text=None)
    assert {r["id"]: r["hits"] for r in result["rules"]}["LIST-BLOCKED"] == 3


def test_console_lists_add_and_remove(world: World, console: Any) -> None:
    page = console("risk_analyst", language="zh-hans")
    index = page.get("/risk/lists/")
    assert index.status_code == 200
    text = index.content.decode()
    assert "<h1>名单管理</h1>" in text and 'href="/risk/lists/blocklist/"' in text
    added = page.post("/risk/lists/blocklist/entries/", {
        "value": FRAUD_PAYEE, "entry_type": "payee", "reason": "涉诈账户", "expires_at": "",
    }, follow=True)  # fmt: skip
    assert added.status_code == 200 and FRAUD_PAYEE in added.content.decode()
    entry = ListEntry.objects.get(value=FRAUD_PAYEE)
    assert entry.added_by == world.users["risk_analyst"] and entry.removed_at is None
    refused = page.post(f"/risk/lists/blocklist/entries/{entry.pk}/remove/", {"reason": ""}, follow=True)
    assert 'class="message error"' in refused.content.decode()
    entry.refresh_from_db()
    assert entry.removed_at is None
    page.post(f"/risk/lists/blocklist/entries/{entry.pk}/remove/", {"reason": "已核实"}, follow=True)
    entry.refresh_from_db()
    assert entry.removed_at is not None and entry.removal_reason == "已核实"
    reader = console("auditor_hq").get("/risk/lists/blocklist/?state=removed")
    assert reader.status_code == 200 and FRAUD_PAYEE in reader.content.decode()
    assert "add-entry" not in reader.content.decode()
