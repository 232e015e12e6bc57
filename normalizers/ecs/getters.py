"""Typed access to a raw record's fields: a wrong type or a missing required field raises a
:class:`~normalizers.reasons.RecordError`, which the loop turns into the record's dead letter.

Absent, ``null`` and ``""`` all mean "no value".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from normalizers.ecs.timestamps import timestamp
from normalizers.reasons import INVALID_RECORD, MISSING_FIELD, UNPARSEABLE_TIMESTAMP, RecordError


def json_type(value: Any) -> str:
    """The JSON name of a value's type, for reasons: ``string``, ``number``, ``array``..."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    names: dict[type, str] = {str: "string", list: "array", dict: "object"}
    return names.get(type(value), type(value).__name__)


def wrong_type(key: str, value: Any, expected: str) -> RecordError:
    return RecordError(INVALID_RECORD, f"{key} is a {json_type(value)}, expected {expected}")


def optional_str(parent: Mapping[str, Any] | None, key: str) -> str | None:
    """A string field, ``None`` when absent or empty."""
    if parent is None:
        return None
    value = parent.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    raise wrong_type(key, value, "a string")


def required_str(parent: Mapping[str, Any] | None, key: str) -> str:
    value = optional_str(parent, key)
    if value is None:
        raise RecordError(MISSING_FIELD, key)
    return value


def nullable_obj(parent: Mapping[str, Any] | None, key: str) -> dict[str, Any] | None:
    """An object field, ``None`` when absent (``{}`` stays ``{}``)."""
    if parent is None:
        return None
    value = parent.get(key)
    if value is None or isinstance(value, dict):
        return value
    raise wrong_type(key, value, "an object")


def optional_obj(parent: Mapping[str, Any] | None, key: str) -> dict[str, Any]:
    """An object field, ``{}`` when absent."""
    return nullable_obj(parent, key) or {}


def optional_list(parent: Mapping[str, Any] | None, key: str) -> list[Any]:
    """An array field, ``[]`` when absent."""
    value = parent.get(key) if parent is not None else None
    if value is None:
        return []
    if not isinstance(value, list):
        raise wrong_type(key, value, "an array")
    return value


def optional_number(parent: Mapping[str, Any] | None, key: str) -> float | int | None:
    value = parent.get(key) if parent is not None else None
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise wrong_type(key, value, "a number")
    return value


def time_field(parent: Mapping[str, Any] | None, key: str, required: bool = False) -> str | None:
    """A timestamp field as RFC 3339 UTC; unparseable (or missing when required) is a RecordError."""
    value = parent.get(key) if parent is not None else None
    if value is None or value == "":
        if required:
            raise RecordError(MISSING_FIELD, key)
        return None
    return parsed_time(key, value)


def parsed_time(key: str, value: Any) -> str:
    try:
        return timestamp(value)
    except ValueError as error:
        raise RecordError(UNPARSEABLE_TIMESTAMP, f"{key}: {error}") from None
