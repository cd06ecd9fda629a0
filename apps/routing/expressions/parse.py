"""The routing expression language: the tree and the parser (see the package docstring)."""

from __future__ import annotations

import ast
import io
import tokenize
from dataclasses import dataclass, field
from typing import Any, Union

BUILTIN_INTERACTION_ATTRIBUTES: dict[str, str] = {
    "channel": "text",
    "tier": "text",
    "vip": "boolean",
    "churn_risk": "number",
    "cart_value": "number",
    "location": "text",
    "language": "text",
    "customer_id": "text",
}
MAX_LENGTH = 1000
MAX_NODES = 200


class ExpressionError(ValueError):
    def __init__(self, message: str, column: int | None = None) -> None:
        self.column = column
        super().__init__(f"{message} (at column {column + 1})" if column is not None else message)


@dataclass(frozen=True)
class KnownNames:
    skills: frozenset[str]
    interaction_attributes: dict[str, str]  # name -> "text" | "number" | "boolean"
    # Other scopes a use of the language offers (proactive engagement: page, session, cart, contact):
    # scope -> {name: type}, or scope -> None for any name (its type is "any": checked when compared).
    facts: dict[str, dict[str, str] | None] = field(default_factory=dict)
    agents: bool = True  # skills.*, agent.*, language, location and interaction.* may be named


# --- the tree ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Const:
    value: Any


@dataclass(frozen=True)
class AgentSkill:
    name: str


@dataclass(frozen=True)
class AgentLanguages:
    pass


@dataclass(frozen=True)
class AgentLocation:
    pass


@dataclass(frozen=True)
class AgentAttr:
    name: str


@dataclass(frozen=True)
class InteractionAttr:
    name: str
    type: str


@dataclass(frozen=True)
class Fact:
    """A fact of another scope than agent and interaction (page.path, cart.value, contact.vip)."""

    scope: str
    name: str
    type: str  # text | number | boolean | any


Operand = Const | AgentSkill | AgentLanguages | AgentLocation | AgentAttr | InteractionAttr | Fact
TEXT_OPS = ("startswith", "endswith", "contains")


@dataclass(frozen=True)
class Cmp:
    op: str  # == != < <= > >= in notin startswith endswith contains
    left: Operand
    right: Operand


@dataclass(frozen=True)
class And:
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    part: Node


Node = Union["Cmp", "And", "Or", "Not", Const]  # forward references

_OPS = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "notin",
}


# The text operators are words, not Python: each is written over with an operator Python parses
# with the same precedence as a comparison's operands, padded so columns in errors stay true.
_TEXT_OP_MARKS = {"startswith": ast.LShift, "endswith": ast.RShift, "contains": ast.FloorDiv}
_MARK_TEXT = {"startswith": "<<", "endswith": ">>", "contains": "//"}


def _text_operators(text: str) -> str:
    """`a startswith "x"` -> `a << "x"` (same length); a bare `<<`, `>>` or `//` is refused."""
    lines = text.split("\n")
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return text  # the parser reports the syntax error itself
    for i in range(len(tokens) - 1, -1, -1):
        tok = tokens[i]
        (row, col), (_erow, ecol) = tok.start, tok.end
        if tok.type == tokenize.OP and tok.string in {"<<", ">>", "//"}:
            raise ExpressionError(f"Unexpected '{tok.string}'.", col if row == 1 else None)
        after_dot = i > 0 and tokens[i - 1].string == "."  # skills.contains is a name, not the operator
        if tok.type == tokenize.NAME and tok.string in _MARK_TEXT and not after_dot:
            line = lines[row - 1]
            mark = _MARK_TEXT[tok.string]
            lines[row - 1] = line[:col] + mark + " " * (ecol - col - len(mark)) + line[ecol:]
    return "\n".join(lines)


def parse(text: str, known: KnownNames) -> Node:
    """Parse and check an expression; raise ExpressionError pointing at the problem."""
    if not isinstance(text, str) or not text.strip():
        example = "skills.billing >= 2" if known.agents else 'page.path startswith "/checkout"'
        raise ExpressionError(f"Write an expression, e.g. {example} (or true for anyone).")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"Expressions are limited to {MAX_LENGTH} characters.")
    try:
        tree = ast.parse(_text_operators(text.strip()), mode="eval")
    except SyntaxError as exc:
        hint = " Use == to compare." if "=" in text and "==" not in text else ""
        raise ExpressionError(f"Not a valid expression: {exc.msg}.{hint}", (exc.offset or 1) - 1) from None
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise ExpressionError("The expression is too long; split it into steps.")
    return _Parser(known).node(tree.body)


class _Parser:
    def __init__(self, known: KnownNames) -> None:
        self.known = known

    def node(self, n: ast.AST) -> Node:
        if isinstance(n, ast.BoolOp):
            children = tuple(self.node(v) for v in n.values)
            return And(children) if isinstance(n.op, ast.And) else Or(children)
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.Not):
            return Not(self.node(n.operand))
        if isinstance(n, ast.BinOp):
            for word, mark in _TEXT_OP_MARKS.items():
                if isinstance(n.op, mark):
                    return self.check(Cmp(word, self.operand(n.left), self.operand(n.right)), n)
        if isinstance(n, ast.Compare):
            parts: list[Node] = []
            left = self.operand(n.left)
            for op, comparator in zip(n.ops, n.comparators, strict=True):
                if type(op) not in _OPS:
                    raise ExpressionError(
                        "Use ==, !=, <, <=, >, >=, in, not in, startswith, endswith or contains.", n.col_offset
                    )
                right = self.operand(comparator)
                parts.append(self.check(Cmp(_OPS[type(op)], left, right), n))
                left = right
            return parts[0] if len(parts) == 1 else And(tuple(parts))
        if isinstance(n, ast.Name) and n.id.lower() in {"true", "false"}:
            return Const(n.id.lower() == "true")
        if isinstance(n, ast.Attribute):  # a yes/no name on its own: contact.vip, interaction.vip
            named = self.operand(n)
            if isinstance(named, (Fact, InteractionAttr)) and named.type in {"boolean", "any"}:
                return Cmp("==", named, Const(True))
            raise ExpressionError(
                f"{ast.unparse(n)} is not true or false on its own: compare it, e.g. {ast.unparse(n)} == ...",
                n.col_offset,
            )
        if isinstance(n, ast.Constant) and isinstance(n.value, bool):
            return Const(n.value)
        example = "skills.billing >= 2" if self.known.agents else "session.pages >= 3"
        raise ExpressionError(f"Expected a comparison such as {example}.", getattr(n, "col_offset", None))

    def operand(self, n: ast.AST) -> Operand:
        col = getattr(n, "col_offset", None)
        if isinstance(n, ast.Constant) and isinstance(n.value, (str, int, float, bool)):
            return Const(n.value)
        if (
            isinstance(n, ast.UnaryOp)
            and isinstance(n.op, ast.USub)
            and isinstance(n.operand, ast.Constant)
            and isinstance(n.operand.value, (int, float))
            and not isinstance(n.operand.value, bool)
        ):
            return Const(-n.operand.value)
        if isinstance(n, (ast.List, ast.Tuple)):
            values = []
            for item in n.elts:
                if not (isinstance(item, ast.Constant) and isinstance(item.value, (str, int, float))):
                    raise ExpressionError("Lists may hold only text and numbers.", getattr(item, "col_offset", col))
                values.append(item.value)
            return Const(tuple(values))
        if isinstance(n, ast.Name):
            if n.id.lower() in {"true", "false"}:
                return Const(n.id.lower() == "true")
            if not self.known.agents:
                raise ExpressionError(f"Unknown name '{n.id}'. Use {self._scopes()}.", col)
            if n.id in {"language", "languages"}:
                return AgentLanguages()
            if n.id == "location":
                return AgentLocation()
            raise ExpressionError(
                f"Unknown name '{n.id}'. Use skills.<name>, language, location, "
                "agent.<attribute> or interaction.<attribute>.",
                col,
            )
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name):
            scope, name = n.value.id, n.attr
            if scope in self.known.facts:
                names = self.known.facts[scope]
                if names is None:
                    return Fact(scope, name, "any")
                if name not in names:
                    raise ExpressionError(
                        f"Unknown name '{scope}.{name}'. {scope} has: {', '.join(sorted(names))}.", col
                    )
                return Fact(scope, name, names[name])
            if not self.known.agents:
                raise ExpressionError(f"Unknown name '{scope}'. Use {self._scopes()}.", col)
            if scope == "skills":
                if name not in self.known.skills:
                    raise ExpressionError(f"Unknown skill '{name}'.", col)
                return AgentSkill(name)
            if scope == "agent":
                if name in {"language", "languages"}:
                    return AgentLanguages()
                if name == "location":
                    return AgentLocation()
                return AgentAttr(name)
            if scope in {"interaction", "customer"}:
                type_ = self.known.interaction_attributes.get(name)
                if type_ is None:
                    raise ExpressionError(f"Unknown interaction attribute '{name}'.", col)
                return InteractionAttr(name, type_)
            raise ExpressionError(f"Unknown name '{scope}'.", col)
        raise ExpressionError("Expected a name, a number, a text in quotes or a list.", col)

    def _scopes(self) -> str:
        return ", ".join(f"{scope}.<name>" for scope in self.known.facts)

    def check(self, cmp: Cmp, n: ast.AST) -> Cmp:
        col = getattr(n, "col_offset", None)
        if cmp.op in TEXT_OPS:
            if not (isinstance(cmp.right, Const) and isinstance(cmp.right.value, str)):
                raise ExpressionError(
                    f'{cmp.op} needs a text in quotes on its right, e.g. page.path {cmp.op} "/help".', col
                )
            if isinstance(cmp.left, Const) or getattr(cmp.left, "type", "text") not in {"text", "any"}:
                raise ExpressionError(
                    f'{cmp.op} compares a text name with a text, e.g. page.path {cmp.op} "/help".', col
                )
            if isinstance(cmp.left, (AgentSkill, AgentLanguages)):
                raise ExpressionError(f"{cmp.op} compares a text name with a text.", col)
            return cmp
        if cmp.op in {"in", "notin"}:
            if not (
                isinstance(cmp.right, (AgentLanguages,))
                or (isinstance(cmp.right, Const) and isinstance(cmp.right.value, tuple))
            ):
                raise ExpressionError('\'in\' needs a list, e.g. location in ["Berlin", "Paris"].', col)
        elif isinstance(cmp.right, Const) and isinstance(cmp.right.value, tuple):
            raise ExpressionError("Compare a list with 'in'.", col)
        if isinstance(cmp.left, AgentLanguages) and cmp.op not in {"==", "!=", "in", "notin"}:
            raise ExpressionError("Languages can only be compared with ==, != or in.", col)
        if cmp.op in {"<", "<=", ">", ">="}:
            for side in (cmp.left, cmp.right):
                if isinstance(side, Const) and not isinstance(side.value, (int, float)):
                    raise ExpressionError("Only numbers can be compared with <, <=, > or >=.", col)
                if isinstance(side, InteractionAttr) and side.type != "number":
                    raise ExpressionError(f"interaction.{side.name} is not a number.", col)
                if isinstance(side, Fact) and side.type not in {"number", "any"}:
                    raise ExpressionError(f"{side.scope}.{side.name} is not a number.", col)
        return cmp


def comparisons(node: Any) -> list[Cmp]:
    """Every comparison of an expression, in order."""
    if isinstance(node, Cmp):
        return [node]
    if isinstance(node, (And, Or)):
        return [c for p in node.parts for c in comparisons(p)]
    if isinstance(node, Not):
        return comparisons(node.part)
    return []


def operands(node: Any) -> list[Operand]:
    """Every operand of an expression's comparisons, in order, once each."""
    found: list[Operand] = []
    for cmp in comparisons(node):
        for side in (cmp.left, cmp.right):
            if side not in found:
                found.append(side)
    return found


def skills_in(node: Node) -> list[str]:
    """Skills an expression tests, in order (proficiency in them breaks ties between agents)."""
    return [o.name for o in operands(node) if isinstance(o, AgentSkill)]
