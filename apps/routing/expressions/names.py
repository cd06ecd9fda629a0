"""The names a tenant's expressions may use. Kept apart from the parser, which reads no database,
so routing.models never needs the parser (the parser used to import the models that import it)."""

from __future__ import annotations

from apps.agents.models import Skill

from ..models import InteractionAttribute
from .parse import BUILTIN_INTERACTION_ATTRIBUTES, KnownNames


def known_names() -> KnownNames:
    """The names expressions of the current tenant may use (reads the current schema)."""
    attrs = dict(BUILTIN_INTERACTION_ATTRIBUTES)
    attrs.update({a.name: a.type for a in InteractionAttribute.objects.all()})
    return KnownNames(skills=frozenset(Skill.objects.values_list("name", flat=True)), interaction_attributes=attrs)
