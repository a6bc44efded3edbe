"""Scores, levels, actions, step-up authentication, evidence and the model interface."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl
import pytest

from bastion.engine import Engine, EngineError, Payment, Policy, RuleSet, RuleSetError

from .conftest import at, both, frame_of, realtime, with_ids


def make(rules: list[dict[str, Any]], policy: Policy | None = None, model: Any = None) -> Engine:
    full = [{"reason_zh": f"原因{r['id']}", "reason_en": f"reason {r['id']}", **r} for r in rules]
    return Engine(RuleSet.from_rules(full, policy), lists={"bl": {"BAD"}}, model=model)


def decide(engine: Engine, *records: dict[str, Any]) -> list[Any]:
    rows = with_ids(list(records))
    _, decisions = realtime(engine, rows)
    assert decisions == list(engine.score_frame(frame_of(rows)).decisions())
    return decisions


def test_points_add_up_and_clamp_to_100() -> None:
    engine = make([{"id": f"R{i}", "when": "amount > 1", "points": 40} for i in range(3)])
    [d] = decide(engine, at(0, amount="5.00"))
    assert d.score == 100 and d.level == "high_risk" and d.action == "hold"
    assert [f.id for f in d.fired] == ["R0", "R1", "R2"]


@pytest.mark.parametrize(
    ("points", "level", "level_zh", "action", "auth"),
    [
        (0, "normal", "正常", "allow", ()),
        (29, "normal", "正常", "allow", ()),
        (30, "attention", "关注", "review", ()),
        (60, "warning", "警告", "challenge", ("dynamic_code", "face")),
        (79, "warning", "警告", "challenge", ("dynamic_code", "face")),
        (80, "high_risk", "高风险", "hold", ()),
    ],
)
def test_default_thresholds(
    points: int, level: str, level_zh: str, action: str, auth: tuple[str, ...]
) -> None:
    engine = make([{"id": "R", "when": "amount > 1", "points": points}])
    [d] = decide(engine, at(0, amount="5.00"))
    assert (d.score, d.level, d.level_zh, d.action, d.required_auth) == (
        points,
        level,
        level_zh,
        action,
        auth,
    )


def test_configurable_thresholds_actions_and_methods() -> None:
    policy = Policy(
        attention=10,
        warning=20,
        high_risk=30,
        actions={"normal": "allow", "attention": "challenge", "warning": "hold", "high_risk": "block"},
        challenge_methods=("fingerprint",),
    )
    engine = make([{"id": "R", "when": "amount > 1", "points": 15}], policy)
    [d] = decide(engine, at(0, amount="5.00"))
    assert (d.level, d.action, d.required_auth) == ("attention", "challenge", ("fingerprint",))


def test_min_level_and_action_raise_but_never_lower() -> None:
    engine = make(
        [
            {
                "id": "LIST",
                "when": 'payee in list("bl")',
                "points": 5,
                "min_level": "high_risk",
                "action": "block",
            },
            {"id": "SMALL", "when": "amount > 1", "points": 90, "min_level": "attention", "action": "review"},
        ]
    )
    blocked, held = decide(engine, at(0, payee_account="BAD", amount="5.00"), at(1, amount="5.00"))
    assert (blocked.score, blocked.level, blocked.action) == (95, "high_risk", "block")
    assert (held.score, held.level, held.action) == (90, "high_risk", "hold")


def test_evidence_names_the_values_that_fired_with_money_as_strings() -> None:
    engine = make(
        [{"id": "DAY", "when": "sum(payer, 24h) + amount > 150 and count(payer, 1h) >= 1", "points": 10}]
    )
    _, d = decide(engine, at(0, amount="100.00"), at(60, amount="60.50"))
    assert d.fired[0].evidence == {"amount": "60.50", "sum(payer, 1d)": "100.00", "count(payer, 1h)": 1}
    assert d.to_dict()["fired"][0]["reason_en"] == "reason DAY"
    assert d.reasons_zh == ["原因DAY"]


def test_evidence_renders_limits_and_durations() -> None:
    engine = make(
        [{"id": "Z", "when": "amount > zscore_limit(payer, 1) and since_last(payer) > 1s", "points": 10}]
    )
    rows = [at(i * 60, amount="10.00") for i in range(5)] + [at(400.5, amount="99.00")]
    evidence = decide(engine, *rows)[-1].fired[0].evidence
    assert evidence == {"amount": "99.00", "zscore_limit(payer, 1)": "10.00", "since_last(payer)": "160.5s"}


class RoundModel:
    name = "round-amounts"

    def score_one(self, payment: Any, features: Mapping[str, Any]) -> int:
        return 25 if payment.amount % 100_000 == 0 else 0

    def score_batch(self, frame: pl.DataFrame, feature_columns: Mapping[str, str]) -> pl.Series:
        return (
            pl.when(pl.col("amount") % 100_000 == 0)
            .then(25)
            .otherwise(0)
            .alias("m")
            .pipe(frame.select)
            .to_series()
        )


def test_model_contribution_is_added_identically_on_both_paths() -> None:
    engine = make([{"id": "R", "when": "amount >= 1000", "points": 10}], model=RoundModel())
    plain, round_number = decide(engine, at(0, amount="1500.00"), at(1, amount="2000.00"))
    assert (plain.score, plain.model_points) == (10, 0)
    assert (round_number.score, round_number.model_points, round_number.level) == (35, 25, "attention")


def test_model_must_return_whole_points() -> None:
    class Bad(RoundModel):
        def score_one(self, payment: Any, features: Mapping[str, Any]) -> int:
            return 101

    engine = make([{"id": "R", "when": "amount >= 1000", "points": 10}], model=Bad())
    with pytest.raises(EngineError, match="whole points from 0 to 100"):
        engine.scorer().score(Payment.from_mapping(at(0)))


def test_policy_validation() -> None:
    with pytest.raises(RuleSetError, match="action for level"):
        Policy(actions={"normal": "allow", "attention": "review", "warning": "shrug", "high_risk": "hold"})


def test_hour_and_weekday_use_beijing_time() -> None:
    engine = make([{"id": "NIGHT", "when": "hour < 6 and weekday == 2", "points": 10}])
    # 2026-03-02 is a Monday; 18:30 UTC Monday is 02:30 Tuesday in Beijing.
    rows = [at(9.5 * 3600), at(9.5 * 3600 + 24 * 3600)]
    decisions = decide(engine, *rows)
    assert [bool(d.fired) for d in decisions] == [True, False]
    assert decisions[0].fired[0].evidence == {"hour": 2, "weekday": 2}


def test_fields_can_be_compared_to_each_other() -> None:
    engine = make([{"id": "SAME", "when": "payee == payer or payee_customer == customer", "points": 10}])
    rows = [
        at(0, payee_account="A1"),
        at(1, payee_account=None, payee_customer=None),
        at(2, payee_customer="C1"),
    ]
    assert [bool(d.fired) for d in decide(engine, *rows)] == [True, False, True]
    both(engine, rows)


class PaymentOnlyModel(RoundModel):
    """Reads the payment only, so real time keeps the rules-only fast path."""

    name = "payment-only"
    uses_features = False

    def score_one(self, payment: Any, features: Mapping[str, Any]) -> int:
        assert not features  # nothing is built for a payment-only model
        return super().score_one(payment, features)


def test_payment_only_model_matches_batch_with_and_without_rules_firing() -> None:
    engine = make([{"id": "R", "when": "amount >= 1000", "points": 10}], model=PaymentOnlyModel())
    rows = [at(0, amount="300.00"), at(1, amount="1500.00"), at(2, amount="2000.00"), at(3, amount="5.00")]
    decisions = decide(engine, *rows)
    assert [(d.score, d.model_points) for d in decisions] == [(0, 0), (10, 0), (35, 25), (0, 0)]
    assert decisions[0].fired == () and decisions[2].fired[0].id == "R"
    only_model = decide(make([{"id": "R", "when": "amount >= 9000", "points": 10}], model=PaymentOnlyModel()),
                        at(0, amount="1000.00"))[0]  # fmt: skip
    assert (only_model.score, only_model.model_points, only_model.fired) == (25, 25, ())
    both(engine, rows)
