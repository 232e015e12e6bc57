"""OCSF values as Security Lake's Parquet holds them, read one way for every class.

pyarrow gives a row as Python values: structs as dicts, lists as lists, a ``map`` as a list of
``(key, value)`` pairs, timestamps as ``datetime``. OCSF times are epoch milliseconds
(``time``, ``start_time``) or, with the ``datetime`` profile, timestamps (``time_dt``).
``unmapped`` (what the producer could not map) is a map of strings in OCSF 1.1, and appears
as a list of ``[key, value]`` pairs or as JSON text in files written by other tools.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from normalizers.ecs.json_text import bounded, put
from normalizers.ecs.json_text import parsed_if_json as json_value
from normalizers.ecs.timestamps import epoch_millis_timestamp, timestamp


def member(value: Any, path: str) -> Any:
    """``value["a"]["b"]`` for ``"a.b"``; ``None`` where a step is missing or not an object."""
    for name in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(name)
    return value


def text(value: Any, path: str) -> str | None:
    """A member as non-empty text (numbers and booleans written as OCSF producers write them)."""
    found = member(value, path)
    if found is None or found == "":
        return None
    if isinstance(found, bool):
        return "true" if found else "false"
    if isinstance(found, float) and found.is_integer():
        return str(int(found))
    return str(found)


def first(value: Any, *paths: str) -> Any:
    """The first of ``paths`` that has a value (OCSF versions name some members differently)."""
    for path in paths:
        found = member(value, path)
        if found is not None and found != "":
            return found
    return None


def ocsf_time(value: Any) -> str | None:
    """An OCSF time (epoch milliseconds, a timestamp, or text) as RFC 3339 UTC; ``None`` when
    absent or not a time (the caller decides whether the record can do without it)."""
    try:
        if isinstance(value, datetime):
            moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
            return timestamp(moment.astimezone(UTC).isoformat())
        if isinstance(value, int | float) and not isinstance(value, bool):
            return epoch_millis_timestamp(value)
        if isinstance(value, str) and value:
            return timestamp(value)
    except (ValueError, OverflowError, OSError):
        return None
    return None


def mapping(value: Any) -> dict[str, Any]:
    """``unmapped`` (or any open map) as a dict, whichever way the file stores it."""
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, str):
        try:
            parsed = bounded(value, orjson.loads(value))
        except orjson.JSONDecodeError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    if isinstance(value, list):
        pairs = (item for item in value if isinstance(item, list | tuple) and len(item) == 2)
        return {str(key): item for key, item in pairs}
    return {}


def nested(flat: Mapping[str, Any], prefix: str) -> dict[str, Any] | None:
    """``{"requestParameters.bucketName": "b"}`` -> ``{"bucketName": "b"}`` for ``prefix``
    ``requestParameters`` (``unmapped`` keys flattened with dots), or the member itself."""
    whole = flat.get(prefix)
    if whole is not None:
        parsed = json_value(whole)
        return parsed if isinstance(parsed, dict) else None
    start = prefix + "."
    out: dict[str, Any] = {}
    for key, value in flat.items():
        if key.startswith(start):
            put(out, key[len(start) :].split("."), json_value(value))
    return out or None
