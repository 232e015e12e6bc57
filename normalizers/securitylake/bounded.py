"""The lists of an OCSF finding read within a bound: whatever a finding holds, the work and
the document it makes stay bounded (docs/sources/securityhub.md, "OCSF findings")."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

LIST_LIMIT = 100
"""Items read of each list (evidences, vulnerabilities, their packages and references,
related events, observables); the rest are left out. Security Hub caps a finding at 240 KB,
so a real finding stays far under it."""


def bounded_objects(value: Any) -> list[dict[str, Any]]:
    """The objects among the first :data:`LIST_LIMIT` items of a list; nothing for another type."""
    if not isinstance(value, list):
        return []
    return [item for item in value[:LIST_LIMIT] if isinstance(item, dict)]


def bounded_strings(value: Any) -> list[str]:
    """The non-empty strings among the first :data:`LIST_LIMIT` items of a list."""
    if not isinstance(value, list):
        return []
    return [item for item in value[:LIST_LIMIT] if isinstance(item, str) and item]


def string(value: Any, name: str) -> str | None:
    """``value[name]`` when it is non-empty text; ``None`` for any other type (an OCSF string
    member holding an object or a number is no value)."""
    found = value.get(name) if isinstance(value, dict) else None
    return found if isinstance(found, str) and found else None


def integer(value: Any, name: str) -> int | None:
    """``value[name]`` when it is an integer (a boolean is not one)."""
    found = value.get(name) if isinstance(value, dict) else None
    return found if isinstance(found, int) and not isinstance(found, bool) else None


def first_holding(items: Iterable[dict[str, Any]], name: str) -> dict[str, Any] | None:
    """The first of ``items`` (a finding's evidences) that holds ``name`` as an object."""
    return next((item for item in items if isinstance(item.get(name), dict)), None)
