"""Compile typed rules to one Python function for the real-time path.

We generate Python source from our own typed tree (never from analyst text directly: every name in
the output comes from a fixed table or is a repr() of a checked literal) and compile it once. A
single generated function evaluating all rules avoids per-rule call overhead, which matters in a
20-microsecond budget.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..config import MICROS_PER_DAY, MICROS_PER_HOUR
from ..features import Feature
from .check import (
    T,
    TArith,
    TBool,
    TCompare,
    TFeature,
    TField,
    TIn,
    TList,
    TLit,
    TNeg,
    TNot,
    TPresent,
    TStrList,
)

Evaluate = Callable[[Any, Sequence[Any], Mapping[str, frozenset[str]]], list[int]]


class PythonCompiler:
    """Turns typed trees into Python expression text over ``p`` (payment), ``f`` (features), ``L``."""

    def __init__(self, feature_index: Mapping[Feature, int], utc_offset_us: int) -> None:
        self.feature_index = feature_index
        self.offset = utc_offset_us
        self.constants: dict[str, object] = {}
        # Feature values are f[i] in the standalone rule function, locals v<i> inside the generated
        # state code (FeatureState.score), where amount and ts are locals too.
        self._feature = "f[{}]"
        self._in_state = False

    def state_expr(self, node: T) -> str:
        """Expression text for the generated state code (see ``FeatureState.score``): features are
        locals ``v<i>``, payment fields are locals ``p_<attr>`` loaded once per payment."""
        self._feature, self._in_state = "v{}", True
        try:
            return self.expr(node)
        finally:
            self._feature, self._in_state = "f[{}]", False

    def state_conjuncts(self, node: T) -> list[str]:
        """A rule's top-level ``and`` chain as separate expressions, in evaluation order."""
        if isinstance(node, TBool) and node.op == "and":
            return self.state_conjuncts(node.left) + self.state_conjuncts(node.right)
        return [self.state_expr(node)]

    def expr(self, node: T) -> str:
        if isinstance(node, TLit):
            return repr(node.value) if not isinstance(node.value, bool) else str(node.value)
        if isinstance(node, TField):
            return self._field(node.attr)
        if isinstance(node, TFeature):
            return self._feature.format(self.feature_index[node.feature])
        if isinstance(node, TList):
            return f"L[{node.name!r}]"
        if isinstance(node, TPresent):
            return f"(p_{node.attr} is not None)" if self._in_state else f"(p.{node.attr} is not None)"
        if isinstance(node, TStrList):
            name = f"_K{len(self.constants)}"
            self.constants[name] = node.values
            return name
        if isinstance(node, TNot):
            return f"(not {self.expr(node.operand)})"
        if isinstance(node, TNeg):
            return f"(-{self.expr(node.operand)})"
        if isinstance(node, TBool | TCompare | TArith):
            return f"({self.expr(node.left)} {node.op} {self.expr(node.right)})"
        if isinstance(node, TIn):
            op = "not in" if node.negated else "in"
            return f"({self.expr(node.item)} {op} {self.expr(node.container)})"
        raise TypeError(node)  # pragma: no cover

    def _field(self, attr: str) -> str:
        if self._in_state:
            return self._local_field(attr)
        if attr == "hour":
            return f"((p.ts + {self.offset}) // {MICROS_PER_HOUR} % 24)"
        if attr == "weekday":
            # 1970-01-01 was a Thursday; ISO weekday 1 = Monday.
            return f"(((p.ts + {self.offset}) // {MICROS_PER_DAY} + 3) % 7 + 1)"
        return f"p.{attr}"

    def _local_field(self, attr: str) -> str:
        if attr == "hour":
            return f"((ts + {self.offset}) // {MICROS_PER_HOUR} % 24)"
        if attr == "weekday":
            return f"(((ts + {self.offset}) // {MICROS_PER_DAY} + 3) % 7 + 1)"
        return attr if attr in ("amount", "ts") else f"p_{attr}"

    def compile_rules(self, conditions: Sequence[T]) -> Evaluate:
        """One function returning the indices of the rules that fire, in rule order."""
        lines = ["def evaluate(p, f, L):", "    fired = []", "    add = fired.append"]
        for index, condition in enumerate(conditions):
            lines.append(f"    if {self.expr(condition)}:")
            lines.append(f"        add({index})")
        lines.append("    return fired")
        return self._build("\n".join(lines), "evaluate")

    def _build(self, source: str, name: str) -> Callable[..., Any]:
        namespace: dict[str, Any] = {"__builtins__": {"bool": bool}, **self.constants}
        code = compile(source, f"<bastion-rules:{name}>", "exec")
        # The source is generated from the checked tree, not from analyst text; see module doc.
        exec(code, namespace)  # noqa: S102
        function: Callable[..., Any] = namespace[name]
        function.__source__ = source  # type: ignore[attr-defined]
        return function
