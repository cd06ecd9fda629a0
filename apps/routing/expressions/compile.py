"""Compiling a parsed expression: fold what is known, write SQL for the rest (see the package docstring)."""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .parse import (
    TEXT_OPS,
    AgentAttr,
    AgentLanguages,
    AgentLocation,
    AgentSkill,
    And,
    Cmp,
    Const,
    ExpressionError,
    Fact,
    InteractionAttr,
    Node,
    Not,
    Operand,
    Or,
)

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

    def __init__(
        self,
        agent: AgentFacts | str,
        interaction: dict[str, Any] | str,
        facts: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self.agent = agent
        self.interaction = interaction
        self.facts = facts or {}

    def value(self, o: Operand) -> Any:
        """The constant value of an operand, or raise LookupError when it is a column."""
        if isinstance(o, Const):
            return o.value
        if isinstance(o, Fact):  # other scopes are always known facts (a missing one is None)
            value = self.facts.get(o.scope, {}).get(o.name)
            return value if isinstance(value, (str, int, float, bool)) else None
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
    if op in TEXT_OPS:
        if not (isinstance(left, str) and isinstance(right, str)):
            return False
        if op == "contains":
            return right in left
        return left.startswith(right) if op == "startswith" else left.endswith(right)
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
    if cmp.op in TEXT_OPS:  # the parser keeps a text constant on the right and a name on the left
        if not isinstance(right, str):
            return False
        column = b.column(cmp.left, "text")
        name_params = b.column_params(cmp.left)
        sql = {
            "startswith": f"starts_with({column}, %s)",
            "endswith": f"starts_with(reverse({column}), reverse(%s))",
            "contains": f"strpos({column}, %s) > 0",
        }[cmp.op]
        return Sql(f"COALESCE({sql}, false)", [*name_params, right])
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
