"""An OCSF finding's members read by type, within a bound: a member of another type is no
value, and its lists are read as :mod:`normalizers.ecs.bounded` reads every finding's
(docs/sources/securityhub.md, "OCSF findings")."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


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
