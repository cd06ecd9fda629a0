from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: Any, key: str) -> Any:
    """`row|get_item:"offered"`: a report row's value by the metric's name (None when absent)."""
    if mapping is None:
        return None
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def index(items: Any, i: int) -> Any:
    """`list|index:2`: the item at a position (None past the end)."""
    try:
        return items[i]
    except (IndexError, TypeError, KeyError):
        return None
