"""Typologies run over stored payments as they arrive: alerts raised once, by the payment that
completes the pattern, with the parameters an officer tuned; bad parameters name themselves."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from bastion.aml.actions.typologies import (
    backtest_typologies,
    do_sweep_typologies,
    do_update_typology_settings,
)
from bastion.aml.models import Alert
from bastion.platform.errors import FieldError
from tests.aml.helpers import at, store_payment

pytestmark = pytest.mark.django_db
MULE = "6222020000777777"


def fan_in(world, *, payers: int, start: str = "10:00", day: str = "2026-11-20") -> list:
    base = at(day, start)
    return [
        store_payment(
            when=base + dt.timedelta(minutes=5 * i),
            amount="5000.00",
            customer=f"C80{i:04d}",
            payee_customer="C999001",
            payee_account=MULE,
            branch=world.branch_a,
        )
        for i in range(payers)
    ]


def test_fan_in_raised_once_by_the_completing_payment(world) -> None:
    fan_in(world, payers=9)
    assert do_sweep_typologies() == 0  # nine payers are not yet a fan-in
    store_payment(when=at("2026-11-20", "11:00"), amount="5000.00", customer="C809999", payee_customer="C999001",
                  payee_account=MULE, branch=world.branch_a)  # fmt: skip
    assert do_sweep_typologies() == 1
    alert = Alert.objects.get(code="fan_in")
    assert alert.source == "typology" and alert.account == MULE and len(alert.payment_ids) == 10
    assert alert.total == Decimal("50000.00") and alert.branch_id == world.branch_a.pk
    assert "10" in alert.summary_en and alert.summary_zh
    assert do_sweep_typologies() == 0  # read once


def test_tuned_parameters_apply_and_bad_ones_are_refused(world) -> None:
    officer = world.users["aml_officer"]
    with pytest.raises(FieldError) as bad:
        do_update_typology_settings(params={"fan_in": {"min_counterparties": 0}}, note="x", actor=officer)
    assert "fan_in.min_counterparties" in bad.value.fields
    with pytest.raises(FieldError) as unknown:
        do_update_typology_settings(params={"fan_in": {"colour": "red"}}, note="x", actor=officer)
    assert "fan_in.colour" in unknown.value.fields
    with pytest.raises(FieldError) as window:
        do_update_typology_settings(params={"fan_in": {"window": "a week"}}, note="x", actor=officer)
    assert "fan_in.window" in window.value.fields
    settings = do_update_typology_settings(
        params={"fan_in": {"min_counterparties": 5}}, note="分行反馈", actor=officer
    )
    assert settings.version == 1
    fan_in(world, payers=5)
    assert do_sweep_typologies() == 1
    assert Alert.objects.get(code="fan_in").details["settings_version"] == 1


def test_backtest_compares_candidate_with_parameters_in_force(world) -> None:
    fan_in(world, payers=6)
    result = backtest_typologies(params={"fan_in": {"min_counterparties": 5}}, start=at("2026-11-20", "00:00"),
                                 end=at("2026-11-21", "00:00"))  # fmt: skip
    assert result["payments"] == 6
    assert result["candidate"]["fan_in"]["alerts"] == 1
    assert "fan_in" not in result["in_force"]
