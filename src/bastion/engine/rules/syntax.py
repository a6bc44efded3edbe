"""Parse rule text into a small, position-carrying AST.

Lark (LALR) does the parsing; this module only turns Lark's tree into frozen dataclasses that the
type checker consumes, and turns Lark's exceptions into RuleSyntaxError with line and column.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from ..errors import RuleSyntaxError
from .grammar import GRAMMAR

MAX_RULE_LENGTH = 4000


@dataclass(frozen=True)
class Node:
    line: int
    column: int


@dataclass(frozen=True)
class Number(Node):
    text: str


@dataclass(frozen=True)
class Duration(Node):
    text: str


@dataclass(frozen=True)
class String(Node):
    value: str


@dataclass(frozen=True)
class Bool(Node):
    value: bool


@dataclass(frozen=True)
class Name(Node):
    name: str


@dataclass(frozen=True)
class Call(Node):
    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class ListLiteral(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not(Node):
    operand: Node


@dataclass(frozen=True)
class Neg(Node):
    operand: Node


@dataclass(frozen=True)
class BoolOp(Node):
    op: str  # "and" | "or"
    left: Node
    right: Node


@dataclass(frozen=True)
class Compare(Node):
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class In(Node):
    item: Node
    container: Node
    negated: bool


@dataclass(frozen=True)
class Arith(Node):
    op: str  # "+" | "-" | "*"
    left: Node
    right: Node


TOKEN_NAMES = {
    "COMP_OP": "a comparison (==, !=, <, <=, >, >=)",
    "PLUS": "'+'",
    "MINUS": "'-'",
    "STAR": "'*'",
    "NUMBER": "a number",
    "DURATION": "a duration such as 10m",
    "STRING": 'a "string"',
    "NAME": "a name",
    "LPAR": "'('",
    "RPAR": "')'",
    "LSQB": "'['",
    "RSQB": "']'",
    "COMMA": "','",
    "AND": "'and'",
    "OR": "'or'",
    "NOT": "'not'",
    "IN": "'in'",
    "TRUE": "'true'",
    "FALSE": "'false'",
    "$END": "end of rule",
}


@cache
def _parser() -> Lark:
    return Lark(GRAMMAR, parser="lalr", propagate_positions=True, maybe_placeholders=True)


def parse(text: str) -> Node:
    """Parse one rule expression; raise RuleSyntaxError with line and column on bad input."""
    if len(text) > MAX_RULE_LENGTH:
        raise RuleSyntaxError(f"rule is longer than {MAX_RULE_LENGTH} characters", line=1, column=1)
    if not text.strip():
        raise RuleSyntaxError("rule is empty", line=1, column=1)
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(exc, text) from None
    return _build(tree)


def _syntax_error(exc: UnexpectedInput, text: str) -> RuleSyntaxError:
    line: int = exc.line or 1
    column: int = exc.column or 1
    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream or 0
        char = text[pos] if pos < len(text) else "?"
        message = f"unexpected character {char!r}"
        if char == "'":
            message += '; strings use double quotes ("...")'
        elif char in "/%":
            message += "; the rule language has no division; write 'a > 3 * b' instead of 'a / b > 3'"
        elif char == "=":
            message += "; use '==' to compare"
    elif isinstance(exc, UnexpectedEOF):
        message = "the rule ends too early" + _expected({str(getattr(t, "type", t)) for t in exc.expected})
        lines = text.splitlines() or [""]
        line, column = len(lines), len(lines[-1]) + 1
    elif isinstance(exc, UnexpectedToken):
        token = exc.token
        if token.type == "$END":
            message = "the rule ends too early" + _expected(exc.expected)
            lines = text.rstrip().splitlines() or [""]
            line, column = len(lines), len(lines[-1]) + 1
        else:
            message = f"unexpected {str(token)!r}" + _expected(exc.expected)
    else:  # pragma: no cover - Lark raises only the three kinds above
        message = str(exc)
    if line is None or line < 1:
        line, column = 1, 1
    return RuleSyntaxError(message, line=line, column=column, source=text)


def _expected(names: set[str] | frozenset[str]) -> str:
    readable = sorted({TOKEN_NAMES.get(n, n.lower()) for n in names if not n.startswith("__")})
    return f"; expected {', '.join(readable)}" if readable else ""


def _pos(item: Tree[Token] | Token) -> tuple[int, int]:
    if isinstance(item, Token):
        return item.line or 1, item.column or 1
    return item.meta.line, item.meta.column


def _build(item: Tree[Token] | Token) -> Node:
    line, column = _pos(item)
    if isinstance(item, Token):  # pragma: no cover - every token is wrapped by an alias
        raise RuleSyntaxError(f"unexpected {item!s}", line=line, column=column)
    kind, kids = item.data, item.children
    if kind == "number":
        return Number(line, column, str(kids[0]))
    if kind == "duration":
        return Duration(line, column, str(kids[0]))
    if kind == "string":
        return String(line, column, _unquote(_token(kids[0])))
    if kind in ("true", "false"):
        return Bool(line, column, kind == "true")
    if kind == "name":
        return Name(line, column, str(kids[0]))
    if kind == "call":
        args = _args(kids[1])
        return Call(line, column, str(kids[0]), args)
    if kind == "list_lit":
        return ListLiteral(line, column, _args(kids[0]))
    if kind == "not_":
        return Not(line, column, _build(kids[0]))
    if kind == "neg":
        return Neg(line, column, _build(kids[1]))
    if kind in ("and_", "or_"):
        return BoolOp(line, column, kind[:-1], _build(kids[0]), _build(kids[1]))
    if kind == "compare":
        op = _token(kids[1])
        return Compare(op.line or line, op.column or column, str(op), _build(kids[0]), _build(kids[2]))
    if kind in ("in_", "not_in"):
        return In(line, column, _build(kids[0]), _build(kids[1]), kind == "not_in")
    if kind == "arith":
        op = _token(kids[1])
        return Arith(op.line or line, op.column or column, str(op), _build(kids[0]), _build(kids[2]))
    raise RuleSyntaxError(f"unsupported construct {kind}", line=line, column=column)  # pragma: no cover


def _token(item: Tree[Token] | Token) -> Token:
    assert isinstance(item, Token)
    return item


def _args(item: Tree[Token] | Token | None) -> tuple[Node, ...]:
    if item is None:
        return ()
    assert isinstance(item, Tree)
    return tuple(_build(child) for child in item.children)


def _unquote(token: Token) -> str:
    # JSON string escapes are a strict, well-known subset; a bad escape is a syntax error.
    try:
        value = json.loads(str(token))
    except json.JSONDecodeError:
        raise RuleSyntaxError(
            "invalid escape in string", line=token.line or 1, column=token.column or 1
        ) from None
    assert isinstance(value, str)
    return value


def to_text(node: Node) -> str:
    """Canonical text of an expression (used to name filters and features)."""
    if isinstance(node, Number | Duration):
        return node.text.replace("_", "")
    if isinstance(node, String):
        return json.dumps(node.value, ensure_ascii=False)
    if isinstance(node, Bool):
        return "true" if node.value else "false"
    if isinstance(node, Name):
        return node.name
    if isinstance(node, Call):
        return f"{node.name}({', '.join(to_text(a) for a in node.args)})"
    if isinstance(node, ListLiteral):
        return f"[{', '.join(to_text(a) for a in node.items)}]"
    if isinstance(node, Not):
        return f"not {_wrap(node.operand)}"
    if isinstance(node, Neg):
        return f"-{_wrap(node.operand)}"
    if isinstance(node, BoolOp | Compare | Arith):
        return f"{_wrap(node.left)} {node.op} {_wrap(node.right)}"
    if isinstance(node, In):
        op = "not in" if node.negated else "in"
        return f"{_wrap(node.item)} {op} {_wrap(node.container)}"
    raise TypeError(node)  # pragma: no cover


def _wrap(node: Node) -> str:
    text = to_text(node)
    simple = Number | Duration | String | Bool | Name | Call | ListLiteral
    return text if isinstance(node, simple) else f"({text})"
