"""Leaves read leniently, and documents cleaned of empty values.

A lenient read takes what has the expected type and ignores the rest: for values that only
decorate a document (a host name, a list of addresses), where a wrong type must not cost the
whole record. Values a document cannot do without are read with :mod:`normalizers.ecs.getters`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def as_text(value: Any) -> str | None:
    """A non-empty string, else ``None``."""
    return value if isinstance(value, str) and value else None


def as_bool(value: Any) -> bool | None:
    """A boolean, or ``"true"``/``"false"`` in any case (CloudTrail writes booleans as strings)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "false"):
            return lowered == "true"
    return None


def yes_no(value: Any) -> bool | None:
    """``"Yes"``/``"No"`` in any case (CloudTrail's console sign-in details) as a boolean."""
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("yes", "no"):
            return lowered == "yes"
    return None


def is_number(value: Any) -> bool:
    """A JSON number (a boolean is not one)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def as_dict(value: Any) -> dict[str, Any]:
    """An object, else an empty one."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """An array, else an empty one."""
    return value if isinstance(value, list) else []


def objects(values: list[Any]) -> list[dict[str, Any]]:
    """The objects of a list (other entries are ignored: they carry nothing to map)."""
    return [value for value in values if isinstance(value, dict)]


def unique(values: Iterable[Any]) -> list[Any]:
    """Distinct truthy values in first-seen order."""
    seen: dict[Any, None] = {}
    for value in values:
        if value and value not in seen:
            seen[value] = None
    return list(seen)


def one_or_many(values: list[Any]) -> Any:
    """A keyword field's value: the value when there is one, the list when there are several,
    ``None`` for none."""
    return values[0] if len(values) == 1 else values or None


def flat(value: Any) -> dict[str, Any] | None:
    """A ``flat_object`` field's value: an object as it is; any other JSON value wrapped as
    ``{"value": ...}``; nothing (``None``, ``""``, ``{}``) as ``None``.

    Wrapping keeps the field an object in every document, so a string or an array from one
    record can never conflict with the objects of all the others.
    """
    if value is None or value == {} or value == "":
        return None
    if isinstance(value, dict):
        return value
    return {"value": value}


def prune(value: Any) -> Any:
    """Drop ``None``, empty strings, empty lists and empty objects, recursively; booleans
    (``false``) and zeros stay. An empty list inside a list stays (it is a value there)."""
    if type(value) is dict:
        return compact(value)
    if type(value) is list:
        return _compact_list(value)
    return value


def compact(value: dict[str, Any]) -> dict[str, Any]:
    """:func:`prune` for an object, without a call per scalar leaf (the hot path of findings)."""
    out: dict[str, Any] = {}
    for key, item in value.items():
        kind = type(item)
        if kind is dict:
            item = compact(item)
            if not item:
                continue
        elif kind is list:
            item = _compact_list(item)
            if not item:
                continue
        elif item is None or item == "":
            continue
        out[key] = item
    return out


def _compact_list(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for item in values:
        kind = type(item)
        if kind is dict:
            item = compact(item)
            if not item:
                continue
        elif kind is list:
            item = _compact_list(item)
        elif item is None or item == "":
            continue
        out.append(item)
    return out
