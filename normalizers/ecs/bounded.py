"""Lists a finding holds, read within a bound: whatever a finding holds (100,000 containers,
evidences or threats), the work and the document it makes stay bounded. Shared by the finding
sources (GuardDuty, Security Hub, Security Lake), and by CloudTrail for its open-ended maps
(``webIdFederationData.attributes``)."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice
from typing import Any

LIST_LIMIT = 100
"""Items read of each list (evidences, vulnerabilities, their packages and references,
related events, observables, containers, threats); the rest are left out. Security Hub caps a
finding at 240 KB, so a real finding stays far under it."""


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


def bounded_unique(values: Iterable[Any]) -> list[Any]:
    """The first :data:`LIST_LIMIT` distinct truthy ``values``, read lazily: what a mapping
    derives from nested lists (the addresses of each of 100 interfaces, the users of each of 100
    actors) stays within the same bound as one list, however the finding multiplies them."""
    seen: dict[Any, None] = {}
    for value in values:
        if value and value not in seen:
            seen[value] = None
            if len(seen) == LIST_LIMIT:
                break
    return list(seen)


def bounded_string_members(value: Any) -> dict[str, str]:
    """The non-empty string members among the first :data:`LIST_LIMIT` members of an object
    (an open-ended map of claims, tags...); nothing for another type."""
    if not isinstance(value, dict):
        return {}
    return {key: item for key, item in islice(value.items(), LIST_LIMIT) if isinstance(item, str) and item}
