"""Monitoring indicators: exact values on a hand-built day, idempotent recompute, thresholds and warnings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from bastion.audit.models import AuditEvent
from bastion.identity.models import User
from bastion.notify.models import Notification
from bastion.platform.errors import Conflict, FieldError, NotFound, PermissionDenied
from bastion.risk.actions import indicators as actions
from bastion.risk.models import Decision, IndicatorValue, IndicatorWarning, StoredPayment
from tests.api.conftest import assert_error_shape, call, session_client
from tests.factories import World, make_user
from tests.risk.indicator_data import DAY, PREVIOUS, SHANGHAI, at, build, stored

pytestmark = pytest.mark.django_db


def values(
    granularity: str = "day", period: dt.datetime | None = None
) -> dict[tuple[str, str, str], Decimal]:
    rows = IndicatorValue.objects.filter(granularity=granularity, period_start=period or at(DAY, 0))
    return {(r.scope, r.scope_key, r.indicator): r.value for r in rows}


@pytest.fixture
def day(world: World) -> World:
    build(world)
    actions.do_compute_indicators(day=PREVIOUS)
    actions.do_compute_indicators(day=DAY)
    return world


def test_formulas_give_the_hand_worked_values(day: World) -> None:
    got = values()
    a, b = str(day.branch_a.pk), str(day.branch_b.pk)
    institution = {k[2]: v for k, v in got.items() if k[0] == "institution"}
    assert institution == {
        "volume_count": Decimal(4),
        "volume_amount": Decimal("1000.0000"),
        # amounts 100, 200, 300, 400: mean 250, population standard deviation 111.803399
        "amount_cv": Decimal("0.447214"),
        # day 19 had 500.00: (1000 - 500) / 500
        "amount_change": Decimal("100.000000"),
        "frequency_avg": Decimal("1.333333"),  # 4 payments by 3 payer accounts
        "frequency_max": Decimal(2),  # A1 paid twice
        "top10_payer_share": Decimal("100.000000"),
        # payees P1 400 + P2 200 of 1000 (the cash payment has no payee)
        "top10_payee_share": Decimal("60.000000"),
        "payer_hhi": Decimal("3400.000000"),  # (0.3² + 0.3² + 0.4²) × 10,000
        "level_normal": Decimal(2),
        "level_attention": Decimal(1),
        "level_warning": Decimal(0),
        "level_high_risk": Decimal(1),
    }
    assert got[("branch", a, "amount_cv")] == Decimal("0.408248")  # 100, 200, 300
    assert got[("branch", a, "payer_hhi")] == Decimal("5000.000000")
    assert got[("branch", a, "frequency_avg")] == Decimal("1.500000")
    assert got[("branch", a, "amount_change")] == Decimal("20.000000")  # 600 vs 500
    assert got[("branch", b, "volume_amount")] == Decimal("400.0000")
    assert got[("branch", b, "amount_cv")] == Decimal("0.000000")
    assert got[("branch", b, "top10_payee_share")] == Decimal("0.000000")
    assert ("branch", b, "amount_change") not in got  # no earlier day with payments: no baseline
    assert got[("channel", "cash", "level_high_risk")] == Decimal(1)
    assert got[("channel", "mobile", "volume_count")] == Decimal(3)
    # Rows of branch scope carry the branch (for scoping); channel and institution rows do not.
    row = IndicatorValue.objects.get(
        granularity="day", period_start=at(DAY, 0), scope="branch", scope_key=a, indicator="volume_count"
    )
    assert row.branch_id == day.branch_a.pk and row.channel == ""


def test_hourly_values_follow_the_bank_time_zone(day: World) -> None:
    nine = values("hour", at(DAY, 9))
    assert nine[("institution", "", "volume_count")] == Decimal(3)
    assert nine[("institution", "", "amount_change")] == Decimal("20.000000")  # same hour on day 19: 500
    ten = values("hour", at(DAY, 10))
    assert ten[("institution", "", "volume_count")] == Decimal(1)
    assert ("institution", "", "amount_change") not in ten
    hours = IndicatorValue.objects.filter(granularity="hour", period_start__gte=at(DAY, 0))
    assert {r.period_start.astimezone(SHANGHAI).hour for r in hours} == {9, 10}


def test_recompute_is_idempotent_and_picks_up_late_payments(day: World) -> None:
    before = list(IndicatorValue.objects.order_by("pk").values_list("pk", "indicator", "scope_key", "value"))
    again = actions.do_compute_indicators(day=DAY)
    after = list(IndicatorValue.objects.order_by("pk").values_list("pk", "indicator", "scope_key", "value"))
    assert after == before and again.removed == 0
    stored(at=at(DAY, 23, 59), amount="1000.00", payer="A3", payee="P3", branch=day.branch_a)
    actions.do_compute_indicators(day=DAY)
    assert values()[("institution", "", "volume_count")] == Decimal(5)
    assert IndicatorValue.objects.filter(granularity="hour", period_start=at(DAY, 23)).exists()
    # A scope that no longer has payments in the day loses its rows (a correction, say).
    cash = StoredPayment.objects.get(channel="cash")
    Decision.objects.filter(payment=cash).delete()
    cash.delete()
    result = actions.do_compute_indicators(day=DAY)
    assert result.removed > 0
    assert not IndicatorValue.objects.filter(period_start__gte=at(DAY, 0), scope_key="cash").exists()
    assert not IndicatorValue.objects.filter(period_start__gte=at(DAY, 0), branch=day.branch_b).exists()


def _responsible() -> User:
    found = User.objects.filter(username="risk_hq").first()
    return found or make_user("risk_hq", roles=["risk_analyst"], institution_wide=True)


def _threshold(world: World, **changes: Any) -> Any:
    fields: dict[str, Any] = {
        "name": "高风险笔数",
        "indicator": "level_high_risk",
        "granularity": "day",
        "scope": "branch",
        "comparison": "gte",
        "value": "1",
        "severity": "high_risk",
        "responsible_id": _responsible().pk,
    }
    return actions.do_create_indicator_threshold(actor=world.users["risk_analyst"], **{**fields, **changes})


def test_crossing_raises_one_warning_and_one_notification_even_on_recompute(day: World) -> None:
    threshold = _threshold(day)
    assert AuditEvent.objects.filter(action="risk.create_indicator_threshold").count() == 1
    actions.do_compute_indicators(day=DAY)
    actions.do_compute_indicators(day=DAY)
    warning = IndicatorWarning.objects.get()
    assert (warning.threshold, warning.branch, warning.value) == (threshold, day.branch_b, Decimal(1))
    notes = Notification.objects.filter(kind="risk.indicator_warning", channel="in_app")
    assert notes.count() == 1 and notes.get().recipient_id == threshold.responsible_id
    assert "高风险笔数" in notes.get().subject
    assert AuditEvent.objects.filter(action="risk.raise_indicator_warning").count() == 1


def test_at_most_thresholds_wait_for_the_period_to_end(day: World) -> None:
    _threshold(day, indicator="volume_count", comparison="lte", value="3", scope="any")
    actions.do_compute_indicators(day=DAY, now=at(DAY, 12))
    assert not IndicatorWarning.objects.exists()  # the day is still running
    actions.do_compute_indicators(day=DAY, now=at(DAY + dt.timedelta(days=1), 0, 5))
    # Day totals ≤ 3: branch A (3), branch B (1), channel mobile (3), channel cash (1); not the institution (4).
    assert IndicatorWarning.objects.count() == 4


def test_acknowledging_a_warning_is_audited_and_scoped(day: World) -> None:
    _threshold(day)
    actions.do_compute_indicators(day=DAY)
    warning = IndicatorWarning.objects.get()  # branch B
    with pytest.raises(NotFound):
        actions.do_acknowledge_indicator_warning(
            warning_id=warning.pk, note="checked", actor=day.users["branch_manager"]
        )
    with pytest.raises(PermissionDenied):
        actions.do_acknowledge_indicator_warning(
            warning_id=warning.pk, note="x", actor=day.users["auditor_hq"]
        )
    with pytest.raises(FieldError):
        actions.do_acknowledge_indicator_warning(
            warning_id=warning.pk, note=" ", actor=day.users["branch_manager_b"]
        )
    actions.do_acknowledge_indicator_warning(
        warning_id=warning.pk, note="已核实为正常大额存现", actor=day.users["branch_manager_b"]
    )
    warning.refresh_from_db()
    assert warning.acknowledged_by == day.users["branch_manager_b"] and not warning.is_open
    assert AuditEvent.objects.filter(action="risk.acknowledge_indicator_warning").count() == 1
    with pytest.raises(Conflict):
        actions.do_acknowledge_indicator_warning(
            warning_id=warning.pk, note="again", actor=User.objects.get(username="risk_hq")
        )


def test_threshold_changes_are_checked_permissioned_and_audited(world: World) -> None:
    with pytest.raises(PermissionDenied):
        actions.do_create_indicator_threshold(actor=world.users["auditor_hq"], name="x")
    branch_user = world.users["risk_analyst"]  # scoped to branch A
    with pytest.raises(FieldError) as refused:
        _threshold(world, responsible_id=branch_user.pk)
    assert "responsible_id" in refused.value.fields
    with pytest.raises(FieldError) as refused:
        _threshold(world, channel="mobile")
    assert "channel" in refused.value.fields
    with pytest.raises(FieldError) as refused:
        _threshold(world, value="lots")
    assert "value" in refused.value.fields
    # A branch analyst may answer for their own branch.
    own = _threshold(world, branch_id=world.branch_a.pk, responsible_id=branch_user.pk)
    changed = actions.do_update_indicator_threshold(
        threshold_id=own.pk, value="5", active=False, actor=world.users["risk_analyst"]
    )
    assert changed.value == Decimal("5") and not changed.active
    event = AuditEvent.objects.filter(action="risk.update_indicator_threshold").get()
    assert event.before == {"value": "1.000000", "active": True}
    assert event.after == {"value": "5.000000", "active": False}


def test_backfill_command_computes_a_range_with_progress(world: World) -> None:
    build(world)
    out = StringIO()
    call_command("risk-indicators", "--from", "2026-11-19", "--to", "2026-11-21", stdout=out)
    assert "3 day(s) computed" in out.getvalue()
    assert values()[("institution", "", "amount_change")] == Decimal("100.000000")
    assert not IndicatorValue.objects.filter(period_start__gte=at(DAY + dt.timedelta(days=1), 0)).exists()
    with pytest.raises(CommandError):
        call_command("risk-indicators", "--from", "2026-11-21", "--to", "2026-11-19", stdout=StringIO())


def test_periodic_task_recomputes_yesterday_and_today(world: World, clock: Any) -> None:
    from bastion.risk.tasks import compute_recent_indicators

    build(world)
    _threshold(world)
    clock.current = at(DAY, 12)
    assert compute_recent_indicators.call_local() == 1  # the high-risk payment of branch B, day 20
    assert values()[("institution", "", "volume_count")] == Decimal(4)
    assert values(period=at(PREVIOUS, 0))[("institution", "", "volume_count")] == Decimal(1)
    assert compute_recent_indicators.call_local() == 0  # raised once


def test_api_reads_values_and_warnings_in_the_callers_scope(day: World) -> None:
    _threshold(day)
    actions.do_compute_indicators(day=DAY)
    a, b = str(day.branch_a.pk), str(day.branch_b.pk)
    query = "/api/v1/risk/indicators?indicator=volume_amount&start=2026-11-20&end=2026-11-20"
    whole = call(session_client(day.users["auditor_hq"]), "GET", query).json()
    assert {(i["scope"], i["scope_key"], i["value"]) for i in whole["items"]} == {
        ("institution", "", "1000"), ("channel", "mobile", "600"), ("channel", "cash", "400"),
        ("branch", a, "600"), ("branch", b, "400"),
    }  # fmt: skip
    own = call(session_client(day.users["branch_manager_b"]), "GET", query + "&page_size=5").json()
    assert [(i["scope_key"], i["branch_id"]) for i in own["items"]] == [(b, day.branch_b.pk)]
    hourly = call(
        session_client(day.users["auditor_hq"]), "GET", query + "&granularity=hour&scope=institution"
    )
    assert [i["period_start"] for i in hourly.json()["items"]] == [
        "2026-11-20T02:00:00+00:00",  # 10:00 in Shanghai
        "2026-11-20T01:00:00+00:00",
    ]
    warnings = call(
        session_client(day.users["branch_manager_b"]), "GET", "/api/v1/risk/indicator-warnings?status=open"
    )
    assert [(w["threshold_name"], w["value"], w["branch_id"]) for w in warnings.json()["items"]] == [
        ("高风险笔数", "1", day.branch_b.pk)
    ]
    hidden = call(session_client(day.users["branch_manager"]), "GET", "/api/v1/risk/indicator-warnings")
    assert hidden.json()["total"] == 0  # branch A's manager does not see branch B's warning
    refused = call(session_client(day.users["onsite_engineer"]), "GET", "/api/v1/risk/indicators")
    assert_error_shape(refused, 403, "permission_denied")
    bad = call(session_client(day.users["auditor_hq"]), "GET", "/api/v1/risk/indicators?indicator=nope")
    assert bad.status_code == 422
