"""Rule sets: the data analysts edit (TOML), validated before anything is compiled.

A rule set file has an optional ``[policy]`` table and a list of ``[[rule]]`` tables::

    [policy]
    attention = 30
    warning = 60
    high_risk = 80
    challenge_methods = ["dynamic_code", "face"]
    [policy.actions]
    high_risk = "hold"

    [[rule]]
    id = "LV-CASH"
    when = 'channel == "cash" and amount >= 50000'
    points = 30
    min_level = "attention"      # optional
    action = "review"            # optional
    reason_zh = "..."
    reason_en = "..."
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import RuleSetError
from .scoring import ACTIONS, LEVELS, Policy

RULE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
RULE_KEYS = {"id", "when", "points", "reason_zh", "reason_en", "min_level", "action", "enabled", "tags"}


@dataclass(frozen=True)
class Rule:
    """One analyst-written rule."""

    id: str
    when: str
    points: int
    reason_zh: str
    reason_en: str
    min_level: str | None = None
    action: str | None = None
    enabled: bool = True
    tags: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not RULE_ID.match(self.id):
            raise RuleSetError(f"rule id {self.id!r} must be 1-64 letters, digits, '.', '_' or '-'")
        if not isinstance(self.points, int) or isinstance(self.points, bool) or not 0 <= self.points <= 100:
            raise RuleSetError(f"rule {self.id}: points must be a whole number from 0 to 100")
        if not self.reason_zh.strip() or not self.reason_en.strip():
            raise RuleSetError(f"rule {self.id}: reason_zh and reason_en are both required")
        if self.min_level is not None and self.min_level not in LEVELS:
            raise RuleSetError(f"rule {self.id}: min_level must be one of {', '.join(LEVELS)}")
        if self.action is not None and self.action not in ACTIONS:
            raise RuleSetError(f"rule {self.id}: action must be one of {', '.join(ACTIONS)}")


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    policy: Policy = field(default_factory=Policy)
    name: str = "rules"

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise RuleSetError(f"duplicate rule id {rule.id!r}")
            seen.add(rule.id)

    @property
    def active(self) -> tuple[Rule, ...]:
        return tuple(rule for rule in self.rules if rule.enabled)

    @classmethod
    def from_rules(cls, rules: Iterable[Rule | Mapping[str, Any]], policy: Policy | None = None) -> RuleSet:
        built = tuple(r if isinstance(r, Rule) else _rule_from_mapping(r) for r in rules)
        return cls(built, policy or Policy())

    @classmethod
    def from_toml(cls, text: str, name: str = "rules") -> RuleSet:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise RuleSetError(f"{name}: not valid TOML: {exc}") from None
        unknown = set(data) - {"policy", "rule", "name", "version"}
        if unknown:
            raise RuleSetError(f"{name}: unknown top-level key(s): {', '.join(sorted(unknown))}")
        rules = data.get("rule", [])
        if not isinstance(rules, list) or not rules:
            raise RuleSetError(f"{name}: needs at least one [[rule]] table")
        policy = _policy_from_mapping(data.get("policy", {}))
        return cls(tuple(_rule_from_mapping(r) for r in rules), policy, str(data.get("name", name)))

    @classmethod
    def from_path(cls, path: str | Path) -> RuleSet:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise RuleSetError(f"cannot read rule set {path}: {exc.strerror}") from None
        return cls.from_toml(text, name=path.name)


def load_default_ruleset() -> RuleSet:
    """The rule set shipped with the engine (rulesets/default.toml)."""
    text = resources.files("bastion.engine").joinpath("rulesets/default.toml").read_text(encoding="utf-8")
    return RuleSet.from_toml(text, name="default.toml")


def _rule_from_mapping(data: Mapping[str, Any]) -> Rule:
    rule_id = data.get("id", "?")
    unknown = set(data) - RULE_KEYS
    if unknown:
        raise RuleSetError(f"rule {rule_id}: unknown key(s): {', '.join(sorted(unknown))}")
    for key in ("id", "when", "points", "reason_zh", "reason_en"):
        if key not in data:
            raise RuleSetError(f"rule {rule_id}: missing {key!r}")
    for key in ("id", "when", "reason_zh", "reason_en"):
        if not isinstance(data[key], str):
            raise RuleSetError(f"rule {rule_id}: {key!r} must be text")
    return Rule(
        id=data["id"],
        when=data["when"],
        points=data["points"],
        reason_zh=data["reason_zh"],
        reason_en=data["reason_en"],
        min_level=data.get("min_level"),
        action=data.get("action"),
        enabled=bool(data.get("enabled", True)),
        tags=tuple(data.get("tags", ())),
    )


def _policy_from_mapping(data: Mapping[str, Any]) -> Policy:
    unknown = set(data) - {"attention", "warning", "high_risk", "actions", "challenge_methods"}
    if unknown:
        raise RuleSetError(f"policy: unknown key(s): {', '.join(sorted(unknown))}")
    defaults = Policy()
    actions = dict(defaults.actions)
    actions.update(data.get("actions", {}))
    try:
        return Policy(
            attention=int(data.get("attention", defaults.attention)),
            warning=int(data.get("warning", defaults.warning)),
            high_risk=int(data.get("high_risk", defaults.high_risk)),
            actions=actions,
            challenge_methods=tuple(data.get("challenge_methods", defaults.challenge_methods)),
        )
    except (TypeError, ValueError) as exc:
        raise RuleSetError(f"policy: {exc}") from None
