"""The rule language: grammar, type errors, canonical feature names, rule-set files."""

from __future__ import annotations

import pytest

from bastion.engine import Engine, EngineError, RuleSet, RuleSetError, RuleSyntaxError, RuleTypeError
from bastion.engine.rules.syntax import parse, to_text

from .conftest import engine_for


@pytest.mark.parametrize(
    ("text", "line", "column", "fragment"),
    [
        ("amount >", 1, 9, "ends too early"),
        ("amount >= 5 and", 1, 16, "ends too early"),
        ("count(payer 10m) > 1", 1, 13, "unexpected '10m'"),
        ("channel == 'cash'", 1, 12, "double quotes"),
        ("amount = 5", 1, 8, "use '=='"),
        ("amount / 3 > 1", 1, 8, "no division"),
        ("amount > 5\n  and (count(payer, 1h) > 2", 2, 28, "ends too early"),
        ("amount > 5 5", 1, 12, "unexpected '5'"),
        ("", 1, 1, "empty"),
    ],
)
def test_syntax_errors_give_line_and_column(text: str, line: int, column: int, fragment: str) -> None:
    with pytest.raises(RuleSyntaxError) as caught:
        parse(text)
    assert (caught.value.line, caught.value.column) == (line, column)
    assert fragment in caught.value.message


@pytest.mark.parametrize(
    ("when", "fragment"),
    [
        ("amont > 5", "unknown field 'amont'; did you mean 'amount'?"),
        ("cnt(payer, 1h) > 1", "unknown function 'cnt'; did you mean 'count'?"),
        ("amount > count(payer, 1h)", "cannot compare money with count"),
        ('channel == "cashh"', "unknown channel 'cashh'"),
        ('channel in ["cash", "atn"]', "unknown channel 'atn'"),
        ("count(payer) > 1", "count() takes (key, window[, filter]), got 1"),
        ("count(payre, 1h) > 1", "did you mean 'payer'"),
        ("count(payer, 5) > 1", "needs a window such as 10m"),
        ("count(payer, 400d) > 1", "between 1s and 366d"),
        ("amount > 1.234", "more than two decimal places"),
        ("since_last(payer) > 5", "a duration needs a unit"),
        ("amount", "must be a condition"),
        ("amount * amount > 1", "plain number on one side"),
        ("count(payer, 1h) * 1.5 > 1", "whole numbers"),
        ("count(payer, 1h, count(payer, 1h) > 1) > 1", "filter may only use the payment's own fields"),
        ('count(payer, 1h, payee in list("x")) > 1', "filter may not use named lists"),
        ("is_new(payer, payer)", "two different attributes"),
        ("in_sum(device, 1h) > 1", "works on payer or customer"),
        ("zscore_limit(payer, 0) < amount", "above 0"),
        ('channel > "cash"', "text can only be compared with == or !="),
        ("cross_border > true", "true/false can only be compared"),
        ("not amount", "'not' needs a condition"),
        ('amount in ["a"]', 'left side of "in" must be text'),
        ('payee in "x"', 'right side of "in" must be a list'),
        ("payer", "must be a condition"),
        ("count > 1", "count is a function"),
    ],
)
def test_type_errors_are_clear(when: str, fragment: str) -> None:
    with pytest.raises(RuleTypeError) as caught:
        engine_for(when)
    assert fragment in str(caught.value)
    assert "rule 'R0'" in str(caught.value)
    assert caught.value.line == 1 and caught.value.column is not None


def test_error_message_points_at_the_column() -> None:
    with pytest.raises(RuleTypeError) as caught:
        engine_for('amount > 5 and channel == "cashh"')
    rendered = str(caught.value).splitlines()
    assert rendered[-2].strip() == 'amount > 5 and channel == "cashh"'
    assert rendered[-1].index("^") - rendered[-2].index("a") == caught.value.column - 1


def test_canonical_feature_names_deduplicate_windows() -> None:
    engine = engine_for("count(payer, 24h) > 1", "count(payer, 1d) > 2", "count(payer, 1440m) > 3")
    assert [f.name for f in engine.features] == ["count(payer, 1d)"]


def test_to_text_round_trips_structure() -> None:
    text = 'not (a or b) and c not in ["x", "y"] and -amount * 3 - 2 > 1'
    assert to_text(parse(to_text(parse(text)))) == to_text(parse(text))


def test_named_lists_must_be_supplied_and_can_change() -> None:
    with pytest.raises(EngineError, match="not supplied: blocklist"):
        engine_for('payee in list("blocklist")')
    engine = engine_for('payee in list("blocklist")', lists={"blocklist": set()})
    engine.set_list("blocklist", {"B1"})
    assert engine.lists["blocklist"] == frozenset({"B1"})


RULESET = """
[policy]
attention = 20
warning = 50
high_risk = 90

[[rule]]
id = "R1"
when = 'amount > 10'
points = 25
reason_zh = "金额"
reason_en = "amount"
"""


def test_ruleset_from_toml() -> None:
    ruleset = RuleSet.from_toml(RULESET)
    assert ruleset.policy.attention == 20 and ruleset.policy.high_risk == 90
    assert [r.id for r in ruleset.rules] == ["R1"]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[[rule]]\nid='R1'\n", "missing 'when'"),
        (RULESET.replace("points = 25", "points = 250"), "points must be a whole number"),
        (RULESET.replace("points = 25", "points = 2.5"), "points must be a whole number"),
        (RULESET.replace('reason_zh = "金额"', 'reason_zh = " "'), "reason_zh and reason_en are both required"),
        (RULESET + RULESET.split("[[rule]]")[1].join(["[[rule]]", ""]), "duplicate rule id"),
        (RULESET.replace("warning = 50", "warning = 10"), "0 < attention < warning < high_risk"),
        (RULESET.replace('id = "R1"', 'id = "R 1"'), "rule id 'R 1'"),
        (RULESET + "\nmin_level = 'severe'\n", "min_level must be one of"),
        (RULESET + "\naction = 'explode'\n", "action must be one of"),
        (RULESET + "\ncolour = 'red'\n", "unknown key(s): colour"),
        ("name = 'x'\n", "needs at least one [[rule]]"),
        ("this is not toml", "not valid TOML"),
        ("[policy]\nchallenge_methods = ['password']\n[[rule]]\nid='a'\nwhen='true'\npoints=1\n"
         "reason_zh='a'\nreason_en='a'\n", "challenge methods"),
    ],
)  # fmt: skip
def test_ruleset_errors(text: str, fragment: str) -> None:
    with pytest.raises(RuleSetError, match=None) as caught:
        RuleSet.from_toml(text)
    assert fragment in str(caught.value)


def test_disabled_rules_are_not_compiled() -> None:
    ruleset = RuleSet.from_rules(
        [
            {"id": "on", "when": "amount > 1", "points": 1, "reason_zh": "a", "reason_en": "a"},
            {"id": "off", "when": "count(payer, 1h) > 1", "points": 1, "reason_zh": "b", "reason_en": "b",
             "enabled": False},
        ]
    )  # fmt: skip
    engine = Engine(ruleset)
    assert [r.rule.id for r in engine.rules] == ["on"] and engine.features == ()


def test_default_ruleset_is_complete(default_engine: Engine) -> None:
    rules = {r.rule.id: r.rule for r in default_engine.rules}
    assert 28 <= len(rules) <= 40
    assert all(r.reason_zh and r.reason_en for r in rules.values())
    assert default_engine.window_feature_count >= 10
    tags = {tag for r in rules.values() for tag in r.tags}
    assert {"pboc", "structuring", "frequency", "volume", "volatility", "concentration", "device"} <= tags


def test_code_like_text_in_rules_stays_data() -> None:
    """Rule text never reaches generated code except as repr() of checked literals."""
    nasty = '\\"); __import__(\\"os\\").system(\\"echo pwned\\"); (\\"'
    engine = engine_for(f'payee == "{nasty}" or count(payer, 1h, city == "{nasty}") > 0')
    assert "__import__" not in engine.new_state().source.replace(repr(nasty.replace("\\", "")), "")
    records = [at(0, payee_account='"); __import__("os").system("echo pwned"); ("')]
    decisions = both(engine, [*records, at(1, city='"); __import__("os").system("echo pwned"); ("')])
    assert len(decisions) == 2


def at(seconds: float, **overrides: object) -> dict[str, object]:
    from .conftest import at as make

    return make(seconds, **overrides)


def both(engine: Engine, records: list[dict[str, object]]) -> list[list[object]]:
    from .conftest import both as run

    return run(engine, records)
