"""Compile typed rules to Polars expressions for the batch path.

Columns: payment attributes under their rule-language names (``amount`` in fen, ``ts`` in UTC
microseconds) and feature values as ``f0``, ``f1``... Python's semantics are the reference, so text
comparisons use null-aware equality (``None == None`` is True in Python) and list membership of a
missing value is False, exactly like ``None in frozenset(...)``.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from ..config import MICROS_PER_DAY, MICROS_PER_HOUR
from ..errors import EngineError
from ..features import Feature
from ..schema import ENUMS
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


def _enum_field(node: T) -> bool:
    return isinstance(node, TField) and node.attr in ENUMS


def feature_column(index: int) -> str:
    return f"f{index}"


class PolarsCompiler:
    def __init__(
        self,
        feature_index: Mapping[Feature, int],
        utc_offset_us: int,
        lists: Mapping[str, frozenset[str]],
    ) -> None:
        self.feature_index = feature_index
        self.offset = utc_offset_us
        self.lists = lists

    def expr(self, node: T) -> pl.Expr:
        if isinstance(node, TLit):
            return pl.lit(node.value)
        if isinstance(node, TField):
            return self._field(node.attr)
        if isinstance(node, TFeature):
            return pl.col(feature_column(self.feature_index[node.feature]))
        if isinstance(node, TPresent):
            return pl.col(node.attr).is_not_null()
        if isinstance(node, TNot):
            return ~self.expr(node.operand)
        if isinstance(node, TNeg):
            return -self.expr(node.operand)
        if isinstance(node, TBool):
            left, right = self.expr(node.left), self.expr(node.right)
            return left & right if node.op == "and" else left | right
        if isinstance(node, TCompare):
            return self._compare(node)
        if isinstance(node, TArith):
            left, right = self.expr(node.left), self.expr(node.right)
            if node.op == "+":
                return left + right
            if node.op == "-":
                return left - right
            return left * right
        if isinstance(node, TIn):
            member = self.expr(node.item).is_in(sorted(self._values(node.container))).fill_null(False)
            return ~member if node.negated else member
        raise TypeError(node)  # pragma: no cover

    def _values(self, node: T) -> frozenset[str]:
        if isinstance(node, TStrList):
            return node.values
        assert isinstance(node, TList)
        try:
            return self.lists[node.name]
        except KeyError:
            raise EngineError(f"named list {node.name!r} was not supplied") from None

    def _compare(self, node: TCompare) -> pl.Expr:
        left, right = self.expr(node.left), self.expr(node.right)
        if _enum_field(node.left) and _enum_field(node.right):
            # Batch holds enumerated fields as Polars Enums; two different Enums compare as text.
            left, right = left.cast(pl.String), right.cast(pl.String)
        if node.left.type in ("str", "bool"):
            return left.eq_missing(right) if node.op == "==" else left.ne_missing(right)
        ops = {
            "==": left.__eq__,
            "!=": left.__ne__,
            "<": left.__lt__,
            "<=": left.__le__,
            ">": left.__gt__,
            ">=": left.__ge__,
        }
        return ops[node.op](right)

    def _field(self, attr: str) -> pl.Expr:
        if attr == "hour":
            return (pl.col("ts") + self.offset) // MICROS_PER_HOUR % 24
        if attr == "weekday":
            return ((pl.col("ts") + self.offset) // MICROS_PER_DAY + 3) % 7 + 1
        return pl.col(attr)
