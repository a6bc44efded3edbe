"""Errors raised by the risk engine.

Every error carries enough context for an analyst or an API client to fix the input without reading
engine source: the offending field, or the rule id with line and column.
"""

from __future__ import annotations


class EngineError(Exception):
    """Base class of every error the engine raises on purpose."""


class PaymentValidationError(EngineError, ValueError):
    """A payment record is invalid; ``field`` names the offending field."""

    def __init__(self, field: str, message: str, *, row: int | None = None) -> None:
        self.field = field
        self.message = message
        self.row = row
        where = f"row {row}: " if row is not None else ""
        super().__init__(f"{where}{field}: {message}")


class RuleError(EngineError):
    """A rule cannot be compiled. Subclasses say whether it is syntax or meaning."""

    kind = "rule error"

    def __init__(
        self,
        message: str,
        *,
        rule_id: str | None = None,
        line: int | None = None,
        column: int | None = None,
        source: str | None = None,
    ) -> None:
        self.message = message
        self.rule_id = rule_id
        self.line = line
        self.column = column
        self.source = source
        super().__init__(self._render())

    def with_rule(self, rule_id: str, source: str) -> RuleError:
        """Return a copy that names the rule and can show the offending line."""
        return type(self)(self.message, rule_id=rule_id, line=self.line, column=self.column, source=source)

    def _render(self) -> str:
        parts = []
        if self.rule_id is not None:
            parts.append(f"rule {self.rule_id!r}")
        if self.line is not None and self.column is not None:
            parts.append(f"line {self.line}, column {self.column}")
        head = ", ".join(parts)
        text = f"{self.kind}: {self.message}" if not head else f"{head}: {self.kind}: {self.message}"
        pointer = self._pointer()
        return text + pointer

    def _pointer(self) -> str:
        if self.source is None or self.line is None or self.column is None:
            return ""
        lines = self.source.splitlines() or [""]
        if not 1 <= self.line <= len(lines):
            return ""
        code = lines[self.line - 1]
        return f"\n    {code}\n    {' ' * (self.column - 1)}^"


class RuleSyntaxError(RuleError):
    """The rule text does not follow the grammar."""

    kind = "syntax error"


class RuleTypeError(RuleError):
    """The rule parses but means nothing: unknown name, wrong argument, mismatched types."""

    kind = "type error"


class RuleSetError(EngineError):
    """A rule set file is malformed (missing keys, duplicate ids, bad thresholds)."""


class SnapshotError(EngineError):
    """A state snapshot cannot be restored (corrupt, other version, other rule set)."""


class BatchInputError(EngineError):
    """A batch input file or table cannot be scored."""
