"""The indicators console: branch scope, charts, warnings acknowledged, thresholds managed, in both languages."""

from __future__ import annotations

from typing import Any

import pytest

from bastion.audit.models import AuditEvent
from bastion.risk.actions import indicators as actions
from bastion.risk.models import IndicatorThreshold, IndicatorWarning
from tests.factories import World, make_user
from tests.risk.indicator_data import DAY, PREVIOUS, build

pytestmark = pytest.mark.django_db

RANGE = {"start": "2026-11-14", "end": "2026-11-20"}


@pytest.fixture
def computed(world: World) -> World:
    build(world)
    watcher = make_user("risk_hq", roles=["risk_analyst"], institution_wide=True)
    # A branch manager answers for their own branch only.
    actions.do_create_indicator_threshold(
        actor=watcher, name="高风险笔数", indicator="level_high_risk", granularity="day", scope="branch",
        branch_id=world.branch_b.pk, comparison="gte", value="1", severity="high_risk",
        responsible_id=world.users["branch_manager_b"].pk,
    )  # fmt: skip
    actions.do_compute_indicators(day=PREVIOUS)
    actions.do_compute_indicators(day=DAY)
    return world


def test_page_shows_the_readers_branch_values_charts_and_warnings(computed: World, console: Any) -> None:
    page = console("risk_analyst").get("/risk/indicators/", {**RANGE, "indicator": "volume_amount"})
    assert page.status_code == 200
    text = page.content.decode()
    assert computed.branch_a.name in text and "600" in text  # branch A's day amount
    assert computed.branch_b.name not in text  # outside the analyst's branch scope
    assert "/risk/indicators/charts/volume_amount.svg?" in text and "/risk/indicators/levels.svg" in text
    own = console("branch_manager_b").get("/risk/indicators/", RANGE).content.decode()
    assert "高风险笔数" in own and f'id="warning-{IndicatorWarning.objects.get().pk}"' in own


def test_institution_readers_see_channels_and_the_institution(computed: World, console: Any) -> None:
    client = console("compliance_hq")
    whole = client.get("/risk/indicators/", {**RANGE, "indicator": "volume_count"}).content.decode()
    assert "Institution" in whole
    mobile = client.get("/risk/indicators/", {**RANGE, "channel": "mobile"}).content.decode()
    assert "Mobile banking" in mobile
    both = client.get("/risk/indicators/", {**RANGE, "channel": "mobile", "branch": computed.branch_a.pk})
    assert "Choose a channel or a branch" in both.content.decode()
    hours = client.get("/risk/indicators/", {"granularity": "hour", "end": "2026-11-20"}).content.decode()
    assert 'name="start" value="2026-11-19"' in hours  # the default range is shown in the form
    assert "2026-11-20 10:00" in hours  # hourly rows


def test_charts_are_svg_with_the_threshold_line(computed: World, console: Any) -> None:
    client = console("branch_manager_b")
    chart = client.get(
        "/risk/indicators/charts/level_high_risk.svg", {**RANGE, "branch": computed.branch_b.pk}
    )
    assert chart.status_code == 200 and chart["Content-Type"].startswith("image/svg+xml")
    body = chart.content.decode()
    assert "<svg" in body and "高风险笔数" in body  # the threshold's dashed line is labelled
    levels = client.get("/risk/indicators/levels.svg", RANGE)
    assert levels.status_code == 200 and "<svg" in levels.content.decode()


def test_warning_is_acknowledged_from_the_page(computed: World, console: Any) -> None:
    warning = IndicatorWarning.objects.get()
    outsider = console("risk_analyst").post(
        f"/risk/indicators/warnings/{warning.pk}/acknowledge/", {"note": "x"}
    )
    assert outsider.status_code == 302
    warning.refresh_from_db()
    assert warning.is_open  # branch B is outside branch A's analyst's scope
    client = console("branch_manager_b")
    done = client.post(
        f"/risk/indicators/warnings/{warning.pk}/acknowledge/",
        {"note": "已核实", "next": "/risk/indicators/"},
    )
    assert done.status_code == 302 and done["Location"] == "/risk/indicators/"
    warning.refresh_from_db()
    assert not warning.is_open and warning.note == "已核实"
    listed = client.get("/risk/indicators/warnings/", {"status": "acknowledged"}).content.decode()
    assert "已核实" in listed


def test_thresholds_are_managed_by_risk_analysts_only(computed: World, console: Any) -> None:
    assert console("auditor_hq").get("/risk/indicators/thresholds/new/").status_code == 403
    assert console("auditor_hq").get("/risk/indicators/thresholds/").status_code == 200
    assert console("onsite_engineer").get("/risk/indicators/").status_code == 403
    client = console("risk_analyst")
    form = {
        "name": "单户高频", "indicator": "frequency_max", "granularity": "hour", "scope": "branch",
        "branch": computed.branch_a.pk, "comparison": "gte", "value": "20", "severity": "warning",
        "responsible": computed.users["risk_analyst"].pk, "active": "on",
    }  # fmt: skip
    refused = client.post("/risk/indicators/thresholds/new/", {**form, "branch": ""})
    assert refused.status_code == 422  # a branch analyst cannot answer for every branch
    assert "branch scope" in refused.content.decode()
    created = client.post("/risk/indicators/thresholds/new/", form)
    assert created.status_code == 302
    threshold = IndicatorThreshold.objects.get(name="单户高频")
    edited = client.post(f"/risk/indicators/thresholds/{threshold.pk}/", {**form, "value": "30"})
    assert edited.status_code == 302
    threshold.refresh_from_db()
    assert str(threshold.value.normalize()) == "3E+1"
    actions_logged = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"risk.create_indicator_threshold", "risk.update_indicator_threshold"} <= actions_logged
    listed = client.get("/risk/indicators/thresholds/").content.decode()
    assert "单户高频" in listed and computed.branch_a.name in listed


def test_the_page_speaks_chinese(computed: World, console: Any) -> None:
    text = console("branch_manager_b", language="zh-hans").get("/risk/indicators/", RANGE).content.decode()
    assert "监测指标" in text and "待处理预警" in text and "确认" in text
