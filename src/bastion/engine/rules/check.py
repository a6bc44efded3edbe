"""Type-check a parsed rule and resolve its function calls to feature specifications.

The checker is where analysts get their most useful errors: unknown names with suggestions, wrong
argument kinds, money compared with counts, misspelt enum values. It produces a typed tree that the
Python and Polars compilers translate one-to-one, so both paths share every decision made here.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from ..config import MICROS_PER_SECOND
from ..errors import RuleTypeError
from ..features import (
    INFLOW_ATTRIBUTE,
    KEY_ATTRIBUTES,
    DayFeature,
    Feature,
    Filter,
    HistoryFeature,
    NoveltyFeature,
    WindowFeature,
    feature_type,
    render_duration,
)
from ..money import yuan_literal_to_fen
from ..schema import ENUMS
from . import syntax as s

FIELD_TYPES: dict[str, str] = {
    "amount": "money",
    "currency": "str",
    "cross_border": "bool",
    "hour": "int",
    "weekday": "int",
    **{attr: "str" for attr in KEY_ATTRIBUTES},
    "customer_type": "str",
}
TYPE_NAMES = {
    "money": "money",
    "int": "count",
    "duration": "duration",
    "number": "number",
    "str": "text",
    "bool": "true/false",
    "strlist": "list of text",
}
DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
MIN_WINDOW_S = 1
MAX_WINDOW_S = 366 * 86400


@dataclass
class T:
    """A typed node; ``type`` is one of the keys of TYPE_NAMES."""

    type: str


@dataclass
class TLit(T):
    value: object  # int fen for money, int micros for duration, Decimal for number, str, bool


@dataclass
class TField(T):
    attr: str


@dataclass
class TFeature(T):
    feature: Feature


@dataclass
class TList(T):
    name: str


@dataclass
class TStrList(T):
    values: frozenset[str]


@dataclass
class TPresent(T):
    attr: str


@dataclass
class TNot(T):
    operand: T


@dataclass
class TBool(T):
    op: str
    left: T
    right: T


@dataclass
class TCompare(T):
    op: str
    left: T
    right: T


@dataclass
class TIn(T):
    item: T
    container: T
    negated: bool


@dataclass
class TArith(T):
    op: str
    left: T
    right: T


@dataclass
class TNeg(T):
    operand: T


class Checker:
    """Checks one rule; collects the features and named lists it uses."""

    def __init__(self, *, in_filter: bool = False) -> None:
        self.in_filter = in_filter
        self.lists: set[str] = set()

    def check_rule(self, node: s.Node) -> T:
        typed = self.check(node)
        if typed.type != "bool":
            raise _err(node, f"a rule must be a condition (true/false), this is {TYPE_NAMES[typed.type]}")
        return typed

    def check(self, node: s.Node) -> T:
        if isinstance(node, s.Number):
            try:
                return TLit("number", Decimal(node.text.replace("_", "")))
            except InvalidOperation:  # pragma: no cover - grammar only admits digits
                raise _err(node, f"bad number {node.text}") from None
        if isinstance(node, s.Duration):
            return TLit("duration", parse_duration(node))
        if isinstance(node, s.String):
            return TLit("str", node.value)
        if isinstance(node, s.Bool):
            return TLit("bool", node.value)
        if isinstance(node, s.Name):
            return self._name(node)
        if isinstance(node, s.Call):
            return self._call(node)
        if isinstance(node, s.ListLiteral):
            return self._list_literal(node)
        if isinstance(node, s.Not):
            return TNot("bool", self._expect(node.operand, "bool", "'not' needs a condition"))
        if isinstance(node, s.BoolOp):
            left = self._expect(node.left, "bool", f"'{node.op}' joins conditions")
            right = self._expect(node.right, "bool", f"'{node.op}' joins conditions")
            return TBool("bool", node.op, left, right)
        if isinstance(node, s.Compare):
            return self._compare(node)
        if isinstance(node, s.In):
            return self._in(node)
        if isinstance(node, s.Arith):
            return self._arith(node)
        if isinstance(node, s.Neg):
            return self._neg(node)
        raise _err(node, "unsupported expression")  # pragma: no cover

    def _expect(self, node: s.Node, type_: str, why: str) -> T:
        typed = self.check(node)
        if typed.type != type_:
            raise _err(node, f"{why}, but this is {TYPE_NAMES[typed.type]}")
        return typed

    def _name(self, node: s.Name) -> T:
        if node.name in FIELD_TYPES:
            return TField(FIELD_TYPES[node.name], node.name)
        if node.name in FUNCTIONS:
            raise _err(node, f"{node.name} is a function; call it like {node.name}(...)")
        hint = _suggest(node.name, list(FIELD_TYPES))
        raise _err(node, f"unknown field {node.name!r}{hint}")

    def _list_literal(self, node: s.ListLiteral) -> T:
        values = []
        for item in node.items:
            if not isinstance(item, s.String):
                raise _err(item, 'a list literal holds only "strings"')
            values.append(item.value)
        return TStrList("strlist", frozenset(values))

    def _call(self, node: s.Call) -> T:
        handler = FUNCTIONS.get(node.name)
        if handler is None:
            hint = _suggest(node.name, list(FUNCTIONS))
            raise _err(node, f"unknown function {node.name!r}{hint}")
        if self.in_filter and node.name not in FILTER_FUNCTIONS and node.name != "list":
            raise _err(node, "a filter may only use the payment's own fields, not " + node.name + "()")
        return handler(self, node)

    def _compare(self, node: s.Compare) -> T:
        left, right = self.check(node.left), self.check(node.right)
        if left.type == "str" or right.type == "str":
            if node.op not in ("==", "!="):
                raise _err(node, f"text can only be compared with == or !=, not {node.op}")
            _check_enum(left, right, node.right)
            _check_enum(right, left, node.left)
        left, right = unify(node, left, right, "compare")
        if left.type == "bool" and node.op not in ("==", "!="):
            raise _err(node, f"true/false can only be compared with == or !=, not {node.op}")
        return TCompare("bool", node.op, left, right)

    def _in(self, node: s.In) -> T:
        item, container = self.check(node.item), self.check(node.container)
        if container.type != "strlist":
            raise _err(
                node.container, 'the right side of "in" must be a list such as ["a", "b"] or list("name")'
            )
        if item.type != "str":
            raise _err(node.item, f'the left side of "in" must be text, but this is {TYPE_NAMES[item.type]}')
        if isinstance(container, TStrList):
            for value in sorted(container.values):
                _check_enum(item, TLit("str", value), node.container)
        return TIn("bool", item, container, node.negated)

    def _arith(self, node: s.Arith) -> T:
        left, right = self.check(node.left), self.check(node.right)
        if isinstance(left, TLit) and isinstance(right, TLit) and left.type == right.type == "number":
            a, b = left.value, right.value
            assert isinstance(a, Decimal) and isinstance(b, Decimal)
            folded = a + b if node.op == "+" else a - b if node.op == "-" else a * b
            return TLit("number", folded)
        if node.op == "*":
            return _multiply(node, left, right)
        left, right = unify(node, left, right, "add")
        if left.type not in ("money", "int", "duration"):
            raise _err(node, f"cannot use {node.op} on {TYPE_NAMES[left.type]}")
        return TArith(left.type, node.op, left, right)

    def _neg(self, node: s.Neg) -> T:
        operand = self.check(node.operand)
        if isinstance(operand, TLit) and operand.type == "number":
            assert isinstance(operand.value, Decimal)
            return TLit("number", -operand.value)
        if operand.type not in ("money", "int", "duration"):
            raise _err(node, f"cannot negate {TYPE_NAMES[operand.type]}")
        return TNeg(operand.type, operand)

    # --- function arguments -------------------------------------------------------------------
    def key_arg(self, call: s.Call, index: int, what: str = "key") -> str:
        node = call.args[index]
        if not isinstance(node, s.Name) or node.name not in KEY_ATTRIBUTES:
            hint = _suggest(node.name, list(KEY_ATTRIBUTES)) if isinstance(node, s.Name) else ""
            raise _err(node, f"{call.name}() needs a {what} such as payer, device or ip here{hint}")
        return node.name

    def window_arg(self, call: s.Call, index: int) -> int:
        node = call.args[index]
        if not isinstance(node, s.Duration):
            raise _err(node, f"{call.name}() needs a window such as 10m, 24h or 7d here")
        micros = parse_duration(node)
        if not MIN_WINDOW_S * MICROS_PER_SECOND <= micros <= MAX_WINDOW_S * MICROS_PER_SECOND:
            raise _err(node, "a window must be between 1s and 366d")
        return micros

    def filter_arg(self, call: s.Call, index: int) -> Filter | None:
        if len(call.args) <= index:
            return None
        node = call.args[index]
        typed = Checker(in_filter=True).check(node)
        if typed.type != "bool":
            raise _err(node, f"the filter of {call.name}() must be a condition on the payment's fields")
        return Filter(s.to_text(node), typed)

    def arity(self, call: s.Call, low: int, high: int, usage: str) -> None:
        if not low <= len(call.args) <= high:
            raise _err(call, f"{call.name}() takes {usage}, got {len(call.args)} argument(s)")


def parse_duration(node: s.Duration) -> int:
    text = node.text.replace("_", "")
    return int(text[:-1]) * DURATION_UNITS[text[-1]] * MICROS_PER_SECOND


def _window_function(agg: str, inflow: bool = False) -> Callable[[Checker, s.Call], T]:
    def handler(checker: Checker, call: s.Call) -> T:
        checker.arity(call, 2, 3, "(key, window[, filter])")
        key = checker.key_arg(call, 0)
        window = checker.window_arg(call, 1)
        flt = checker.filter_arg(call, 2)
        data = key
        if inflow:
            if key not in INFLOW_ATTRIBUTE:
                raise _err(call.args[0], f"{call.name}() works on payer or customer")
            data = INFLOW_ATTRIBUTE[key]
        parts = [key, render_duration(window)] + ([flt.text] if flt else [])
        feature = WindowFeature(agg, data, key, window, name=f"{call.name}({', '.join(parts)})", filter=flt)
        return TFeature(feature_type(feature), feature)

    return handler


def _distinct(checker: Checker, call: s.Call) -> T:
    checker.arity(call, 3, 4, "(key, field, window[, filter])")
    key = checker.key_arg(call, 0)
    attr = checker.key_arg(call, 1, "field")
    window = checker.window_arg(call, 2)
    flt = checker.filter_arg(call, 3)
    parts = [key, attr, render_duration(window)] + ([flt.text] if flt else [])
    feature = WindowFeature(
        "distinct", key, key, window, name=f"distinct({', '.join(parts)})", distinct=attr, filter=flt
    )
    return TFeature("int", feature)


def _day_function(agg: str) -> Callable[[Checker, s.Call], T]:
    def handler(checker: Checker, call: s.Call) -> T:
        checker.arity(call, 1, 2, "(key[, filter])")
        key = checker.key_arg(call, 0)
        flt = checker.filter_arg(call, 1)
        parts = [key] + ([flt.text] if flt else [])
        feature = DayFeature(agg, key, name=f"{call.name}({', '.join(parts)})", filter=flt)
        return TFeature(feature_type(feature), feature)

    return handler


def _is_new(checker: Checker, call: s.Call) -> T:
    checker.arity(call, 2, 2, "(field, key) such as is_new(device, payer)")
    attr = checker.key_arg(call, 0, "field")
    key = checker.key_arg(call, 1)
    if attr == key:
        raise _err(call, "is_new() needs two different attributes, e.g. is_new(device, payer)")
    return TFeature("bool", NoveltyFeature(attr, key, name=f"is_new({attr}, {key})"))


def _history_function(stat: str) -> Callable[[Checker, s.Call], T]:
    def handler(checker: Checker, call: s.Call) -> T:
        checker.arity(call, 1, 1, "(key)")
        key = checker.key_arg(call, 0)
        feature = HistoryFeature(stat, key, name=f"{call.name}({key})")
        return TFeature(feature_type(feature), feature)

    return handler


def _zscore_limit(checker: Checker, call: s.Call) -> T:
    checker.arity(call, 2, 2, "(key, k) such as zscore_limit(payer, 3)")
    key = checker.key_arg(call, 0)
    node = call.args[1]
    if not isinstance(node, s.Number):
        raise _err(node, "zscore_limit() needs a number of standard deviations, e.g. 3")
    k = float(Decimal(node.text.replace("_", "")))
    if not 0 < k <= 100:
        raise _err(node, "the number of standard deviations must be above 0 and at most 100")
    feature = HistoryFeature("zlimit", key, name=f"zscore_limit({key}, {s.to_text(node)})", k=k)
    return TFeature("money", feature)


def _first(checker: Checker, call: s.Call) -> T:
    checker.arity(call, 1, 1, "(key)")
    key = checker.key_arg(call, 0)
    count = TFeature("int", HistoryFeature("count", key, name=f"history_count({key})"))
    return TCompare("bool", "==", count, TLit("int", 0))


def _dormant(checker: Checker, call: s.Call) -> T:
    checker.arity(call, 2, 2, "(key, duration) such as dormant(payer, 180d)")
    key = checker.key_arg(call, 0)
    node = call.args[1]
    if not isinstance(node, s.Duration):
        raise _err(node, "dormant() needs a duration such as 180d")
    count = TFeature("int", HistoryFeature("count", key, name=f"history_count({key})"))
    gap = TFeature("duration", HistoryFeature("since_last", key, name=f"since_last({key})"))
    return TBool(
        "bool",
        "and",
        TCompare("bool", ">", count, TLit("int", 0)),
        TCompare("bool", ">=", gap, TLit("duration", parse_duration(node))),
    )


def _present(checker: Checker, call: s.Call) -> T:
    checker.arity(call, 1, 1, "(field) such as present(device)")
    node = call.args[0]
    if not isinstance(node, s.Name) or node.name not in KEY_ATTRIBUTES:
        raise _err(node, "present() takes an optional text field such as payee, device, ip or city")
    return TPresent("bool", node.name)


def _list(checker: Checker, call: s.Call) -> T:
    if len(call.args) != 1 or not isinstance(call.args[0], s.String):
        raise _err(call, 'list() takes one list name in quotes, e.g. list("blocklist")')
    if checker.in_filter:
        raise _err(call, "a filter may not use named lists (they change while state is kept)")
    name = call.args[0].value
    checker.lists.add(name)
    return TList("strlist", name)


FUNCTIONS: dict[str, Callable[[Checker, s.Call], T]] = {
    "count": _window_function("count"),
    "sum": _window_function("sum"),
    "max": _window_function("max"),
    "distinct": _distinct,
    "in_count": _window_function("count", inflow=True),
    "in_sum": _window_function("sum", inflow=True),
    "day_count": _day_function("count"),
    "day_sum": _day_function("sum"),
    "is_new": _is_new,
    "history_count": _history_function("count"),
    "mean_amount": _history_function("mean"),
    "std_amount": _history_function("std"),
    "zscore_limit": _zscore_limit,
    "since_last": _history_function("since_last"),
    "unusual_hour": _history_function("unusual_hour"),
    "first": _first,
    "dormant": _dormant,
    "list": _list,
    "present": _present,
}
FILTER_FUNCTIONS = {"present"}


def unify(node: s.Node, left: T, right: T, purpose: str) -> tuple[T, T]:
    """Give both sides one type, turning number literals into money/count as the other side needs."""
    if left.type == "number" and right.type != "number":
        left = coerce(node, left, right.type)
    elif right.type == "number" and left.type != "number":
        right = coerce(node, right, left.type)
    if left.type != right.type:
        verb = "compare" if purpose == "compare" else "combine"
        raise _err(node, f"cannot {verb} {TYPE_NAMES[left.type]} with {TYPE_NAMES[right.type]}")
    return left, right


def coerce(node: s.Node, lit: T, target: str) -> T:
    assert isinstance(lit, TLit) and isinstance(lit.value, Decimal)
    value = lit.value
    if target == "money":
        try:
            return TLit("money", yuan_literal_to_fen(str(value)))
        except ValueError as exc:
            raise _err(node, str(exc)) from None
    if target == "int":
        # Counts compare fine with fractions (count > 2.5); keep ints exact when whole.
        return TLit("int", int(value) if value == value.to_integral_value() else float(value))
    if target == "duration":
        raise _err(node, "a duration needs a unit, e.g. 30s, 10m, 24h or 7d")
    raise _err(node, f"cannot use a number where {TYPE_NAMES[target]} is expected")


def _multiply(node: s.Arith, left: T, right: T) -> T:
    if right.type == "number":
        left, right = right, left
    if not isinstance(left, TLit) or left.type != "number":
        raise _err(node, "'*' needs a plain number on one side, e.g. 3 * max(payer, 30d)")
    factor = left.value
    assert isinstance(factor, Decimal)
    exact = int(factor) if factor == factor.to_integral_value() else float(factor)
    if right.type == "int" and not isinstance(exact, int):
        raise _err(node, "counts can only be multiplied by whole numbers")
    if right.type not in ("money", "int", "duration"):
        raise _err(node, f"cannot multiply {TYPE_NAMES[right.type]}")
    return TArith(right.type, "*", TLit("number", exact), right)


def _check_enum(field: T, other: T, where: s.Node) -> None:
    if isinstance(field, TField) and field.attr in ENUMS and isinstance(other, TLit):
        allowed = ENUMS[field.attr]
        if other.value not in allowed:
            raise _err(where, f"unknown {field.attr} {other.value!r}; expected one of: {', '.join(allowed)}")


def _suggest(name: str, options: list[str]) -> str:
    close = difflib.get_close_matches(name, options, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _err(node: s.Node, message: str) -> RuleTypeError:
    return RuleTypeError(message, line=node.line, column=node.column)


def collect_features(node: T, out: dict[Feature, None]) -> None:
    """Features used by a typed tree (filters are part of the feature, not listed separately)."""
    if isinstance(node, TFeature):
        out[node.feature] = None
    for child in children(node):
        collect_features(child, out)


def collect_fields(node: T, out: dict[str, None]) -> None:
    if isinstance(node, TField | TPresent):
        out[node.attr] = None
    for child in children(node):
        collect_fields(child, out)


def children(node: T) -> tuple[T, ...]:
    if isinstance(node, TNot | TNeg):
        return (node.operand,)
    if isinstance(node, TBool | TCompare | TArith):
        return (node.left, node.right)
    if isinstance(node, TIn):
        return (node.item, node.container)
    return ()
