"""The routing expression language: who may take an interaction.

    skills.billing >= 4 and language == "zh"
    skills.billing >= 2 or interaction.vip == true
    location == interaction.location and agent.tier in ["senior", "lead"]
    interaction.location startswith "Ber"   (also endswith, contains: text only)

Expressions are parsed with Python's `ast` and only a small whitelist of nodes is accepted; nothing
is ever evaluated by Python's `eval`. Names are checked against the tenant's skills and attributes
when a step is saved, and errors say where the problem is.

Other uses name other scopes of facts, all known when evaluated (`KnownNames.facts`, `Fact`):
proactive engagement rules (journey) test `page.path startswith "/checkout" and cart.value >= 100`.

One expression compiles two ways, depending on which side is known:
- an interaction arrives: interaction facts are constants, agent facts are SQL columns;
- an agent frees capacity: agent facts are constants, interaction facts are SQL columns.
Parts whose facts are all constants fold to True/False before any SQL is written, so a decision is
one SQL statement whatever the expression.
"""

from .compile import AgentFacts, Binding, Folded, Sql, compile_node, evaluate
from .names import known_names
from .parse import (
    BUILTIN_INTERACTION_ATTRIBUTES,
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
    KnownNames,
    Node,
    Not,
    Operand,
    Or,
    comparisons,
    operands,
    parse,
    skills_in,
)

__all__ = [
    "BUILTIN_INTERACTION_ATTRIBUTES",
    "TEXT_OPS",
    "AgentAttr",
    "AgentFacts",
    "AgentLanguages",
    "AgentLocation",
    "AgentSkill",
    "And",
    "Binding",
    "Cmp",
    "Const",
    "ExpressionError",
    "Fact",
    "Folded",
    "InteractionAttr",
    "KnownNames",
    "Node",
    "Not",
    "Operand",
    "Or",
    "Sql",
    "comparisons",
    "compile_node",
    "evaluate",
    "known_names",
    "operands",
    "parse",
    "skills_in",
]
