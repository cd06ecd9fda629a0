"""The routing expression language: who may take an interaction.

    skills.billing >= 4 and language == "zh"
    skills.billing >= 2 or interaction.vip == true
    location == interaction.location and agent.tier in ["senior", "lead"]

Expressions are parsed with Python's `ast` and only a small whitelist of nodes is accepted; nothing
is ever evaluated by Python's `eval`. Names are checked against the tenant's skills and attributes
when a step is saved, and errors say where the problem is.

One expression compiles two ways, depending on which side is known:
- an interaction arrives: interaction facts are constants, agent facts are SQL columns;
- an agent frees capacity: agent facts are constants, interaction facts are SQL columns.
Parts whose facts are all constants fold to True/False before any SQL is written, so a decision is
one SQL statement whatever the expression.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
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


Operand = Const | AgentSkill | AgentLanguages | AgentLocation | AgentAttr | InteractionAttr


@dataclass(frozen=True)
class Cmp:
    op: str  # == != < <= > >= in notin
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


def parse(text: str, known: KnownNames) -> Node:
    """Parse and check an expression; raise ExpressionError pointing at the problem."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("Write an expression, e.g. skills.billing >= 2 (or true for anyone).")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"Expressions are limited to {MAX_LENGTH} characters.")
    try:
        tree = ast.parse(text.strip(), mode="eval")
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
        if isinstance(n, ast.Compare):
            parts: list[Node] = []
            left = self.operand(n.left)
            for op, comparator in zip(n.ops, n.comparators, strict=True):
                if type(op) not in _OPS:
                    raise ExpressionError("Use ==, !=, <, <=, >, >=, in or not in.", n.col_offset)
                right = self.operand(comparator)
                parts.append(self.check(Cmp(_OPS[type(op)], left, right), n))
                left = right
            return parts[0] if len(parts) == 1 else And(tuple(parts))
        if isinstance(n, ast.Name) and n.id.lower() in {"true", "false"}:
            return Const(n.id.lower() == "true")
        if isinstance(n, ast.Constant) and isinstance(n.value, bool):
            return Const(n.value)
        raise ExpressionError("Expected a comparison such as skills.billing >= 2.", getattr(n, "col_offset", None))

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

    def check(self, cmp: Cmp, n: ast.AST) -> Cmp:
        col = getattr(n, "col_offset", None)
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
        return cmp


def skills_in(node: Node) -> list[str]:
    """Skills an expression tests, in order (proficiency in them breaks ties between agents)."""
    found: list[str] = []

    def walk(x: Any) -> None:
        if isinstance(x, AgentSkill) and x.name not in found:
            found.append(x.name)
        elif isinstance(x, (And, Or)):
            for p in x.parts:
                walk(p)
        elif isinstance(x, Not):
            walk(x.part)
        elif isinstance(x, Cmp):
            walk(x.left)
            walk(x.right)

    walk(node)
    return found


# --- compiling --------------------------------------------------------------------------------


@dataclass
class Sql:
    text: str
    params: list[Any] = field(default_factory=list)


Folded = bool | Sql


@dataclass(frozen=True)
class AgentFacts:
    skills: dict[str, int]
    languages: list[str]
    location: str
    attributes: dict[str, Any]


class Binding:
    """Where each side's facts come from: constants (a Python dict) or SQL columns (a table alias)."""

    def __init__(self, agent: AgentFacts | str, interaction: dict[str, Any] | str) -> None:
        self.agent = agent
        self.interaction = interaction

    def value(self, o: Operand) -> Any:
        """The constant value of an operand, or raise LookupError when it is a column."""
        if isinstance(o, Const):
            return o.value
        if isinstance(o, InteractionAttr):
            if isinstance(self.interaction, str):
                raise LookupError
            return self.interaction.get(o.name)
        if isinstance(self.agent, str):
            raise LookupError
        if isinstance(o, AgentSkill):
            return int(self.agent.skills.get(o.name, 0))
        if isinstance(o, AgentLanguages):
            return tuple(self.agent.languages)
        if isinstance(o, AgentLocation):
            return self.agent.location
        if isinstance(o, AgentAttr):
            return self.agent.attributes.get(o.name)
        raise AssertionError(o)

    def column(self, o: Operand, want: str) -> str:
        """SQL for an operand held in a column. `want` is the type it is compared as."""
        if isinstance(o, AgentSkill):
            return f"COALESCE(({self.agent}.skill_levels->>%s)::int, 0)"
        if isinstance(o, AgentLocation):
            return f"{self.agent}.location"
        if isinstance(o, AgentAttr):
            return _json_value(str(self.agent), want)
        if isinstance(o, InteractionAttr):
            if o.name == "channel":
                return f"{self.interaction}.channel"
            return _json_value(str(self.interaction), o.type)
        raise AssertionError(o)

    def column_params(self, o: Operand) -> list[Any]:
        if isinstance(o, (AgentSkill, AgentAttr)):
            return [o.name]
        if isinstance(o, InteractionAttr) and o.name != "channel":
            return [o.name]
        return []


def _json_value(alias: str, type_: str) -> str:
    if type_ == "number":
        return (
            f"(CASE WHEN jsonb_typeof({alias}.attributes->%s) = 'number' THEN ({alias}.attributes->>%s)::numeric END)"
        )
    if type_ == "boolean":
        return (
            f"(CASE WHEN jsonb_typeof({alias}.attributes->%s) = 'boolean' THEN ({alias}.attributes->>%s)::boolean END)"
        )
    return f"({alias}.attributes->>%s)"


def _json_params(o: Operand, type_: str) -> int:
    """How many times the attribute name appears in the SQL of `_json_value`."""
    return 2 if type_ in {"number", "boolean"} else 1


_PY: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _py_compare(op: str, left: Any, right: Any) -> bool:
    if op in {"in", "notin"}:
        left_values = left if isinstance(left, tuple) else (left,)
        right_values = right if isinstance(right, tuple) else (right,)
        hit = any(v is not None and v in right_values for v in left_values)
        return hit if op == "in" else not hit
    if isinstance(left, tuple) or isinstance(right, tuple):  # languages == "zh"
        values, other = (left, right) if isinstance(left, tuple) else (right, left)
        hit = other in values
        return hit if op == "==" else not hit
    if left is None or right is None:
        return False
    numeric = (int, float)
    if (
        isinstance(left, numeric)
        and not isinstance(left, bool)
        and isinstance(right, numeric)
        and not isinstance(right, bool)
    ):
        return _PY[op](left, right)
    if type(left) is not type(right):
        return False
    try:
        return _PY[op](left, right)
    except TypeError:
        return False


def compile_node(node: Node, b: Binding) -> Folded:
    """Fold what is constant; return True/False or one SQL boolean expression (NULL-safe)."""
    if isinstance(node, Const):
        return bool(node.value)
    if isinstance(node, Not):
        inner = compile_node(node.part, b)
        return (not inner) if isinstance(inner, bool) else Sql(f"(NOT {inner.text})", inner.params)
    if isinstance(node, (And, Or)):
        is_and = isinstance(node, And)
        sql_parts: list[Sql] = []
        for part in node.parts:
            folded = compile_node(part, b)
            if isinstance(folded, bool):
                if folded != is_and:  # False in an AND, True in an OR decides it
                    return folded
                continue
            sql_parts.append(folded)
        if not sql_parts:
            return is_and
        if len(sql_parts) == 1:
            return sql_parts[0]
        joiner = " AND " if is_and else " OR "
        return Sql("(" + joiner.join(p.text for p in sql_parts) + ")", [x for p in sql_parts for x in p.params])
    return _compile_cmp(node, b)


def _compile_cmp(cmp: Cmp, b: Binding) -> Folded:
    try:
        left = b.value(cmp.left)
        left_const = True
    except LookupError:
        left_const = False
    try:
        right = b.value(cmp.right)
        right_const = True
    except LookupError:
        right_const = False
    if left_const and right_const:
        return _py_compare(cmp.op, left, right)
    # The agent's languages are known constants and the other side is an interaction column.
    for langs, other, other_const in ((cmp.left, cmp.right, right_const), (cmp.right, cmp.left, left_const)):
        if isinstance(langs, AgentLanguages) and not isinstance(b.agent, str) and not other_const:
            column = b.column(other, "text")
            sql = f"COALESCE(({column} = ANY(%s::text[])), false)"
            lang_params = [*b.column_params(other), list(b.agent.languages)]
            return Sql(f"(NOT {sql})" if cmp.op in {"!=", "notin"} else sql, lang_params)
    # Normalise so that a multi-valued agent languages operand is handled in one place.
    if isinstance(cmp.right, AgentLanguages) and not right_const:
        return _languages_sql(cmp.op, left if left_const else None, cmp.left if not left_const else None, b)
    if isinstance(cmp.left, AgentLanguages) and not left_const:
        return _languages_sql(cmp.op, right if right_const else None, cmp.right if not right_const else None, b)
    want = _compare_type(cmp, left if left_const else None, right if right_const else None)
    parts: list[str] = []
    params: list[Any] = []
    for side, const, value in (
        (cmp.left, left_const, left if left_const else None),
        (cmp.right, right_const, right if right_const else None),
    ):
        if const:
            if isinstance(value, tuple):
                if any(v is None for v in value):
                    return False
                parts.append("(" + ", ".join(["%s"] * len(value)) + ")" if value else "(NULL)")
                params.extend(value)
            elif value is None:
                # A missing constant fact compares as false, as in Python.
                return cmp.op == "notin"
            else:
                parts.append("%s")
                params.append(value)
        else:
            if isinstance(side, AgentLanguages):  # languages on the left of "in" a column list cannot occur
                raise ExpressionError("Unsupported comparison of languages.")
            parts.append(b.column(side, want))
            name_params = b.column_params(side)
            if isinstance(side, (AgentAttr, InteractionAttr)) and name_params:
                type_ = want if isinstance(side, AgentAttr) else side.type
                params.extend(name_params * _json_params(side, type_))
            else:
                params.extend(name_params)
    op = {"in": "IN", "notin": "NOT IN", "==": "="}.get(cmp.op, cmp.op)
    if cmp.op in {"in", "notin"} and isinstance(cmp.right, Const) and not cmp.right.value:
        return cmp.op == "notin"
    return Sql(f"COALESCE(({parts[0]} {op} {parts[1]}), false)", params)


def _compare_type(cmp: Cmp, left: Any, right: Any) -> str:
    for side, value in ((cmp.left, left), (cmp.right, right)):
        if isinstance(side, InteractionAttr):
            return side.type
        if isinstance(side, AgentSkill):
            return "number"
        if isinstance(value, bool):
            return "boolean"
        if isinstance(value, (int, float)):
            return "number"
        if isinstance(value, tuple) and value and all(isinstance(v, (int, float)) for v in value):
            return "number"
    return "text"


def _languages_sql(op: str, const: Any, column: Operand | None, b: Binding) -> Folded:
    """`languages == X`, `X in languages`, `languages in [..]` with the agent's languages in SQL."""
    alias = b.agent
    if column is not None:  # the other side is an interaction column, e.g. language == interaction.language
        other = b.column(column, "text")
        params = b.column_params(column)
        sql = f"COALESCE(({other} = ANY({alias}.languages)), false)"
        return Sql(f"(NOT {sql})" if op in {"!=", "notin"} else sql, params)
    if const is None:
        return op in {"!=", "notin"}
    values = list(const) if isinstance(const, tuple) else [const]
    sql = f"({alias}.languages && %s::varchar[])"
    return Sql(f"(NOT {sql})" if op in {"!=", "notin"} else sql, [values])


def evaluate(node: Node, agent: AgentFacts, interaction: dict[str, Any]) -> bool:
    """Python evaluation with both sides known (tests, explanations)."""
    folded = compile_node(node, Binding(agent, interaction))
    assert isinstance(folded, bool)
    return folded


def known_names() -> KnownNames:
    """The names expressions of the current tenant may use (reads the current schema)."""
    from apps.agents.models import Skill

    from .models import InteractionAttribute

    attrs = dict(BUILTIN_INTERACTION_ATTRIBUTES)
    attrs.update({a.name: a.type for a in InteractionAttribute.objects.all()})
    return KnownNames(skills=frozenset(Skill.objects.values_list("name", flat=True)), interaction_attributes=attrs)
