"""Reads of rule management: versions, the syntax check with document positions, backtests."""

from __future__ import annotations

import re
import tomllib
from dataclasses import asdict, dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from bastion.engine import RuleError, RuleSet, RuleSetError
from bastion.engine.engine import compile_condition
from bastion.platform.errors import NotFound
from bastion.risk.models import RuleSetBacktest, RuleSetVersion
from bastion.risk.services.lists import unknown_lists

_TOML_AT = re.compile(r"\(at line (\d+), column (\d+)\)")


@dataclass(frozen=True)
class RuleProblem:
    """One error of a rule-set text, positioned in the whole document where it can be."""

    message: str
    line: int | None = None
    column: int | None = None
    rule_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _when_position(text: str, rule_id: str) -> tuple[int, int, bool] | None:
    """(line, column, multi-line string) where the ``when`` value of ``rule_id`` starts in ``text``."""
    lines = text.splitlines()
    id_line = re.compile(r"^\s*id\s*=\s*[\"']" + re.escape(rule_id) + r"[\"']\s*(#.*)?$")
    start = next((i for i, line in enumerate(lines) if id_line.match(line)), None)
    if start is None:
        return None
    # The rule's keys run until the next table header; its ``when`` may come before or after ``id``.
    begin = start
    while begin > 0 and not lines[begin].lstrip().startswith("["):
        begin -= 1
    for index in range(begin, len(lines)):
        if index > start and lines[index].lstrip().startswith("["):
            break
        found = re.match(r"^(\s*when\s*=\s*)('''|\"\"\"|'|\")", lines[index])
        if found:
            quote = found.group(2)
            column = len(found.group(1)) + len(quote) + 1
            multi = len(quote) == 3
            if multi and lines[index][column - 1 :].strip() == "":
                return index + 2, 1, True  # TOML drops the newline right after the opening quotes
            return index + 1, column, multi
    return None


def _placed(text: str, error: RuleError) -> RuleProblem:
    rule_id = error.rule_id or ""
    where = _when_position(text, rule_id) if rule_id else None
    detail = f"{error.kind}: {error.message}"
    if where is None or error.line is None or error.column is None:
        return RuleProblem(detail, None, None, error.rule_id)
    line, column, _multi = where
    if error.line == 1:
        return RuleProblem(detail, line, column + error.column - 1, rule_id)
    return RuleProblem(detail, line + error.line - 1, error.column, rule_id)


def check_ruleset_text(text: str) -> list[RuleProblem]:
    """Every problem the engine finds in a rule-set text (empty: it can be submitted).

    TOML and rule-set shape errors stop the check; rule conditions are each compiled, so one
    bad rule does not hide another.
    """
    if not text.strip():
        return [RuleProblem(_("The rule set is empty."), 1, 1)]
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = _TOML_AT.search(str(exc))
        message = _TOML_AT.sub("", str(exc)).strip()
        if found:
            return [RuleProblem(message, int(found.group(1)), int(found.group(2)))]
        return [RuleProblem(message)]
    try:
        ruleset = RuleSet.from_toml(text)
    except RuleSetError as exc:
        return [RuleProblem(str(exc).removeprefix("rules: "))]
    problems = []
    for rule in ruleset.rules:
        try:
            used = compile_condition(rule.id, rule.when)[1]
        except RuleError as exc:
            problems.append(_placed(text, exc))
            continue
        for name in unknown_lists(used):
            where = _when_position(text, rule.id)
            problems.append(
                RuleProblem(
                    _('No list is named "%(name)s"; create it under Lists first.') % {"name": name},
                    where[0] if where else None,
                    where[1] if where else None,
                    rule.id,
                )
            )
    return problems


def rule_summaries(text: str) -> list[dict[str, Any]]:
    """Id, points and reasons of each rule of a valid text (empty when the text does not parse)."""
    try:
        ruleset = RuleSet.from_toml(text)
    except RuleSetError:
        return []
    return [
        {"id": r.id, "points": r.points, "reason_zh": r.reason_zh, "reason_en": r.reason_en,
         "enabled": r.enabled}
        for r in ruleset.rules
    ]  # fmt: skip


def rulesets_with_people() -> QuerySet[RuleSetVersion]:
    return RuleSetVersion.objects.select_related(
        "created_by", "updated_by", "submitted_by", "approved_by", "activated_by", "based_on"
    ).order_by("-number")


def list_rulesets_filtered(*, status: str | None = None) -> QuerySet[RuleSetVersion]:
    queryset = rulesets_with_people()
    return queryset.filter(status=status) if status else queryset


def get_ruleset(*, number: int) -> RuleSetVersion:
    version = rulesets_with_people().filter(number=number).first()
    if version is None:
        raise NotFound(_("Rule-set version not found."))
    return version


def backtests_of(version: RuleSetVersion) -> QuerySet[RuleSetBacktest]:
    return version.backtests.select_related("requested_by", "compared_with").order_by("-requested_at", "-pk")


def get_backtest(*, backtest_id: int) -> RuleSetBacktest:
    found = (
        RuleSetBacktest.objects.select_related("version", "compared_with", "requested_by")
        .filter(pk=backtest_id)
        .first()
    )
    if found is None:
        raise NotFound(_("Backtest not found."))
    return found
