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


LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1
"""What a ``long`` field holds: the engine refuses a number beyond (it truncates a fraction)."""
FLOAT_MAX = 3.4028234663852886e38
"""The largest 32-bit float: a ``float`` field holds a larger number as infinity, which the
engine refuses ("supports only finite values")."""


def optional_long(parent: Mapping[str, Any] | None, key: str) -> float | int | None:
    """A number that a ``long`` field takes: a number beyond 64 bits fails the whole document
    in the engine, so it is the record's dead letter here, with its bytes."""
    value = optional_number(parent, key)
    if value is not None and not LONG_MIN <= value <= LONG_MAX:
        raise RecordError(INVALID_RECORD, f"{key} {value!r} is beyond a 64-bit integer")
    return value


def optional_float(parent: Mapping[str, Any] | None, key: str) -> float | int | None:
    """A number that a ``float`` field (32 bits) takes, as :func:`optional_long` a ``long``."""
    value = optional_number(parent, key)
    if value is not None and not -FLOAT_MAX <= value <= FLOAT_MAX:
        raise RecordError(INVALID_RECORD, f"{key} {value!r} is beyond a 32-bit float")
    return value


def optional_bool(parent: Mapping[str, Any] | None, key: str) -> bool | None:
    """A boolean field, ``None`` when absent: the engine's ``boolean`` refuses any other value
    but ``"true"``/``"false"``, so another type is the record's dead letter."""
    value = parent.get(key) if parent is not None else None
    if value is None or isinstance(value, bool):
        return value
    raise wrong_type(key, value, "a boolean")


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
