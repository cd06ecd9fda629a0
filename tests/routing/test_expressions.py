"""The routing expression language: parsing, errors that point at the problem, and SQL that agrees
with the Python meaning of every expression."""

from __future__ import annotations

import random

import pytest
from django.db import connection

from apps.routing import engine
from apps.routing.expressions import (
    AgentFacts,
    Binding,
    ExpressionError,
    KnownNames,
    Sql,
    compile_node,
    evaluate,
    parse,
)
from tests.routing.conftest import World

KNOWN = KnownNames(
    skills=frozenset({"billing", "tech", "sales", "contains"}),
    interaction_attributes={
        "tier": "text",
        "vip": "boolean",
        "cart_value": "number",
        "location": "text",
        "language": "text",
        "channel": "text",
        "churn_risk": "number",
    },
)


def agent(**kw: object) -> AgentFacts:
    base: dict[str, object] = {"skills": {}, "languages": [], "location": "", "attributes": {}}
    base.update(kw)
    return AgentFacts(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        ("skills.biling >= 2", "Unknown skill 'biling'", 1),
        ("skills.billing >= 2 and languag == 'zh'", "Unknown name 'languag'", 25),
        ("interaction.colour == 'red'", "Unknown interaction attribute 'colour'", 1),
        ("language = 'zh'", "Use == to compare", None),
        ("skills.billing >=", "Not a valid expression", None),
        ("__import__('os').system('x')", "Expected a comparison", 1),
        ("skills.billing >= len('ab')", "Expected a name, a number", 19),
        ("(lambda: 1)()", "Expected a comparison", 1),
        ("skills.billing", "is not true or false on its own: compare it", 1),
        ("location in 'Berlin'", "'in' needs a list", 1),
        ("interaction.tier > 3", "not a number", 1),
        ("location > 'a'", "Only numbers", 1),
        ("", "Write an expression", None),
        ("interaction.location startswith 3", "needs a text in quotes on its right", 1),
        ("interaction.cart_value contains 'x'", "compares a text name with a text", 1),
        ("skills.billing << 2", "Unexpected '<<'", 16),
        ("interaction.tier", "is not true or false on its own", 1),
    ],
)
def test_bad_expressions_are_refused_with_a_pointer(text: str, message: str, column: int | None) -> None:
    with pytest.raises(ExpressionError) as err:
        parse(text, KNOWN)
    assert message in str(err.value)
    if column is not None:
        assert f"(at column {column})" in str(err.value)


def test_meaning_of_expressions() -> None:
    zh_billing = agent(
        skills={"billing": 4},
        languages=["zh", "en"],
        location="Shanghai",
        attributes={"senior": True, "tier": "gold", "years": 7},
    )
    novice = agent(skills={"billing": 1}, languages=["en"], location="Berlin")
    cases = [
        ('skills.billing >= 4 and language == "zh"', {}, True, False),
        ("skills.billing >= 2", {}, True, False),
        ("skills.tech >= 1", {}, False, False),  # no skill means proficiency 0
        ('"zh" in languages', {}, True, False),
        ('language != "zh"', {}, False, True),
        ('languages in ["fr", "en"]', {}, True, True),
        ("location == interaction.location", {"location": "Berlin"}, False, True),
        ("interaction.vip == true or skills.billing >= 3", {"vip": True}, True, True),
        ("interaction.vip == true or skills.billing >= 3", {"vip": False}, True, False),
        ("interaction.cart_value > 100 and agent.senior == true", {"cart_value": 250.5}, True, False),
        ("interaction.cart_value > 100", {}, False, False),  # a missing fact never matches
        ("not interaction.cart_value > 100", {}, True, True),
        ('agent.tier in ["gold", "platinum"]', {}, True, False),
        ("agent.years >= 5", {}, True, False),
        ("true", {}, True, True),
        ("false", {}, False, False),
        ("0 < skills.billing < 3", {}, False, True),
        ("language == interaction.language", {"language": "zh"}, True, False),
        ('location startswith "Shang"', {}, True, False),
        ('location contains "erl"', {}, False, True),
        ('interaction.tier endswith "old"', {"tier": "gold"}, True, True),
        ('interaction.tier startswith "g"', {}, False, False),  # a missing fact never matches
        ('not interaction.location contains "x" and skills.contains >= 0', {"location": "Paris"}, True, True),
        ("interaction.vip", {"vip": True}, True, True),
        ("not interaction.vip", {"vip": True}, False, False),
    ]
    for text, interaction, want_zh, want_novice in cases:
        node = parse(text, KNOWN)
        assert evaluate(node, zh_billing, interaction) is want_zh, text
        assert evaluate(node, novice, interaction) is want_novice, text


def test_constant_parts_fold_before_sql() -> None:
    node = parse('interaction.tier == "gold" and skills.billing >= 3', KNOWN)
    assert compile_node(node, Binding("a", {"tier": "silver"})) is False
    sql = compile_node(node, Binding("a", {"tier": "gold"}))
    assert isinstance(sql, Sql) and "tier" not in sql.text and "skill_levels" in sql.text


RANDOM_TERMS = [
    "skills.billing >= {n}",
    "skills.tech < {n}",
    "skills.sales == {n}",
    '"{lang}" in languages',
    'language != "{lang}"',
    'location == "{loc}"',
    "location == interaction.location",
    "agent.years > {n}",
    'agent.tier == "{tier}"',
    "interaction.vip == true",
    "interaction.cart_value >= {n}0",
    'interaction.tier in ["gold", "{tier}"]',
    "language == interaction.language",
    "agent.senior == true",
    'interaction.location startswith "{loc3}"',
    'interaction.tier endswith "{end}"',
    'location contains "{mid}"',
    'agent.tier startswith "g"',
    "interaction.vip",
]


def random_expression(rng: random.Random) -> str:
    def term() -> str:
        t = rng.choice(RANDOM_TERMS).format(
            n=rng.randint(0, 5),
            lang=rng.choice(["zh", "en", "de"]),
            loc=rng.choice(["Berlin", "Paris"]),
            tier=rng.choice(["gold", "silver"]),
            loc3=rng.choice(["Ber", "Par", "X"]),
            end=rng.choice(["ld", "er", ""]),
            mid=rng.choice(["erl", "ar", "x"]),
        )
        return f"not {t}" if rng.random() < 0.2 else t

    parts = [term() for _ in range(rng.randint(1, 4))]
    text = parts[0]
    for p in parts[1:]:
        text = f"({text}) {rng.choice(['and', 'or'])} {p}"
    return text


def test_sql_selects_exactly_the_agents_python_says_match(world: World) -> None:
    """Both compilations of random expressions agree with the Python meaning, on real rows."""
    rng = random.Random(7)
    world.skill("billing", "tech", "sales")
    agents = []
    for _ in range(40):
        skills = {s: rng.randint(1, 5) for s in ("billing", "tech", "sales") if rng.random() < 0.6}
        attributes: dict[str, object] = {}
        if rng.random() < 0.7:
            attributes["years"] = rng.randint(0, 9)
        if rng.random() < 0.5:
            attributes["tier"] = rng.choice(["gold", "silver"])
        if rng.random() < 0.5:
            attributes["senior"] = rng.random() < 0.5
        if rng.random() < 0.1:
            attributes["years"] = "many"  # a wrongly typed value never breaks the query
        agents.append(
            world.agent(
                skills=skills,
                languages=rng.sample(["zh", "en", "de"], rng.randint(0, 2)),
                location=rng.choice(["Berlin", "Paris", ""]),
                attributes=attributes,
            )
        )
    ids = [a.pk for a in agents]
    for _ in range(60):
        text = random_expression(rng)
        node = parse(text, KNOWN)
        interaction = {
            k: v
            for k, v in {
                "vip": rng.random() < 0.5,
                "cart_value": rng.randint(0, 60),
                "tier": rng.choice(["gold", "silver", None]),
                "location": rng.choice(["Berlin", "Paris"]),
                "language": rng.choice(["zh", "en"]),
            }.items()
            if v is not None
        }
        expected = {
            a.pk
            for a in agents
            if evaluate(
                node,
                AgentFacts(skills=a.skill_levels, languages=a.languages, location=a.location, attributes=a.attributes),
                interaction,
            )
        }
        folded = compile_node(node, Binding("a", interaction))
        sql = folded if isinstance(folded, Sql) else Sql("true" if folded else "false")
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT a.id FROM agents_agentprofile a WHERE a.id = ANY(%s) AND {sql.text}", [ids, *sql.params]
            )
            got = {row[0] for row in cursor.fetchall()}
        assert got == expected, text


def test_sql_selects_exactly_the_interactions_python_says_an_agent_may_take(world: World) -> None:
    from apps.inbox.models import Interaction

    rng = random.Random(11)
    rows = []
    for _ in range(40):
        attrs: dict[str, object] = {}
        if rng.random() < 0.7:
            attrs["vip"] = rng.random() < 0.5
        if rng.random() < 0.7:
            attrs["cart_value"] = rng.randint(0, 60)
        if rng.random() < 0.6:
            attrs["tier"] = rng.choice(["gold", "silver"])
        if rng.random() < 0.8:
            attrs["location"] = rng.choice(["Berlin", "Paris"])
        if rng.random() < 0.8:
            attrs["language"] = rng.choice(["zh", "en", "de"])
        if rng.random() < 0.1:
            attrs["cart_value"] = "lots"  # wrongly typed: never matches, never breaks the query
        rows.append(Interaction.objects.create(channel="chat", attributes=attrs))
    ids = [r.pk for r in rows]
    for _ in range(60):
        facts = AgentFacts(
            skills={s: rng.randint(1, 5) for s in ("billing", "tech") if rng.random() < 0.6},
            languages=rng.sample(["zh", "en", "de"], rng.randint(0, 2)),
            location=rng.choice(["Berlin", "Paris"]),
            attributes={"years": rng.randint(0, 9), "tier": "gold", "senior": rng.random() < 0.5},
        )
        text = random_expression(rng)
        node = parse(text, KNOWN)
        expected = {r.pk for r in rows if evaluate(node, facts, r.attributes)}
        folded = compile_node(node, Binding(facts, "i"))
        sql = folded if isinstance(folded, Sql) else Sql("true" if folded else "false")
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT i.id FROM inbox_interaction i WHERE i.id = ANY(%s) AND {sql.text}", [ids, *sql.params]
            )
            got = {row[0] for row in cursor.fetchall()}
        assert got == expected, text
        # The agent decision binds the same parameters on the server, in a prepared statement.
        table = f"{connection.ops.quote_name(connection.schema_name)}.inbox_interaction"
        with engine._prepared_cursor() as cursor:
            cursor.execute(
                f"SELECT i.id FROM {table} i WHERE i.id = ANY(%s::bigint[]) AND {sql.text}",
                engine._stable(ids, *sql.params),
            )
            assert {row[0] for row in cursor.fetchall()} == expected, text
