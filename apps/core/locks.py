"""Row locks in one global order, so that no two transactions wait on each other in a circle.

The order (docs/architecture.md, "Lock order"): contact -> offer -> interaction -> call -> agent profile. A
transaction that needs several of these takes them in that order, and several rows of one kind in
ascending primary key (Saleor's `lock_objects.py`). One that must lock against the order does it
without waiting (SKIP LOCKED, as the routing engine does, or NOWAIT and a retry).
"""

from __future__ import annotations

from typing import TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


def lock_rows(queryset: models.QuerySet[M]) -> list[M]:
    """Lock the rows of `queryset` (of its own table only) in ascending primary key; returns them.
    Precondition: inside `transaction.atomic()`."""
    return list(queryset.select_for_update(of=("self",)).order_by("pk"))
