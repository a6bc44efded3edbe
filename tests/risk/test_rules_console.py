"""The rule console: versions list, editor with the live check, dual control buttons, backtest page."""

from __future__ import annotations

from typing import Any

import pytest

from bastion.risk.actions import default_ruleset_text, do_ensure_active_ruleset
from bastion.risk.actions import rules as actions
from bastion.risk.models import RuleSetBacktest, RuleSetVersion
from tests.factories import World
from tests.risk.test_rules import NEW_RULE, _history

pytestmark = pytest.mark.django_db


def test_versions_page_in_both_languages(console: Any) -> None:
    do_ensure_active_ruleset()
    english = console("risk_analyst").get("/risk/rules/")
    assert english.status_code == 200
    assert "Risk rules" in english.content.decode() and "Active" in english.content.decode()
    chinese = console("risk_analyst", language="zh-hans").get("/risk/rules/").content.decode()
    assert "风险规则" in chinese and "规则集版本" in chinese and "生效中" in chinese
    assert console("onsite_engineer").get("/risk/rules/").status_code == 403


def test_live_check_shows_line_and_column(console: Any) -> None:
    client = console("risk_analyst")
    bad = client.post(
        "/risk/rules/check/", {"text": NEW_RULE.replace("channel ==", "chanel ==")}, HTTP_HX_REQUEST="true"
    )
    body = bad.content.decode()
    assert bad.status_code == 200 and "line 4, column 9" in body and "NEW-MOBILE-5K" in body
    good = client.post("/risk/rules/check/", {"text": NEW_RULE}, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="check-ok"' in good


def test_maker_sees_no_approve_button_and_the_second_person_approves(world: World, console: Any) -> None:
    do_ensure_active_ruleset()
    maker = console("risk_analyst")
    created = maker.post("/risk/rules/new/", {"name": "mobile 5k"})
    number = RuleSetVersion.objects.get(name="mobile 5k").number
    assert created.status_code == 302 and created["Location"] == f"/risk/rules/{number}/"
    saved = maker.post(
        f"/risk/rules/{number}/save/",
        {"name": "mobile 5k", "note": "", "text": default_ruleset_text() + NEW_RULE},
    )
    assert saved.status_code == 302
    maker.post(f"/risk/rules/{number}/submit/")
    page = maker.get(f"/risk/rules/{number}/").content.decode()
    assert 'id="maker-notice"' in page and 'id="approve-button"' not in page
    # Forcing the request anyway is refused with the dual-control message.
    refused = maker.post(f"/risk/rules/{number}/approve/", {"note": ""}, follow=True).content.decode()
    assert "second person" in refused
    assert RuleSetVersion.objects.get(number=number).status == "submitted"
    checker = console("risk_analyst_2")
    assert 'id="approve-button"' in checker.get(f"/risk/rules/{number}/").content.decode()
    checker.post(f"/risk/rules/{number}/approve/", {"note": "ok"})
    checker.post(f"/risk/rules/{number}/activate/")
    assert RuleSetVersion.objects.get(status="active").number == number


def test_backtest_page_and_charts(
    world: World, console: Any, django_capture_on_commit_callbacks: Any
) -> None:
    _history(world)
    draft = actions.do_create_ruleset_draft(
        name="t", text=default_ruleset_text() + NEW_RULE, actor=world.users["risk_analyst"]
    )
    client = console("risk_analyst", language="zh-hans")
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(
            f"/risk/rules/{draft.number}/backtests/", {"start": "2026-11-20", "end": "2026-11-22"}
        )
    backtest = RuleSetBacktest.objects.get()
    assert started.status_code == 302 and started["Location"] == f"/risk/rules/backtests/{backtest.pk}/"
    page = client.get(started["Location"]).content.decode()
    backtest.refresh_from_db()
    assert backtest.status == "done"
    assert "NEW-MOBILE-5K" in page and "与当前启用版本对比" in page and 'id="precision"' in page
    for chart in ("levels.svg", "rules.svg"):
        svg = client.get(f"/risk/rules/backtests/{backtest.pk}/{chart}")
        assert svg.status_code == 200 and svg["Content-Type"].startswith("image/svg+xml")
    assert "NEW-MOBILE-5K" in client.get(f"/risk/rules/backtests/{backtest.pk}/rules.svg").content.decode()
