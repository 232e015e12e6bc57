"""A configuration item's ``configuration``, stored as CloudTrail's parameters are.

Each resource type has its own deep shape (hundreds of types, new ones every month), so the
configuration is one ``flat_object``: searchable by any key path, never a source of new
fields, whatever the type. The API gives it (and each supplementary configuration) as JSON
text: it is parsed; text that is not JSON is kept as ``{"value": text}``.
"""

from __future__ import annotations

from typing import Any

import orjson

from normalizers.ecs.values import flat
from normalizers.framing.json_stream import exact_loads


def configuration_value(value: Any) -> dict[str, Any] | None:
    """The ``flat_object`` value of a configuration, parsed from JSON text if need be."""
    return flat(_parsed(value))


def supplementary(value: Any) -> dict[str, Any] | None:
    """``supplementaryConfiguration``: an object of configurations, each maybe JSON text."""
    if not isinstance(value, dict):
        return flat(value)
    return flat({key: _parsed(item) for key, item in value.items()})


def _parsed(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    text = value.strip()
    if not text.startswith(("{", "[")):
        return value
    try:
        return exact_loads(text)
    except orjson.JSONDecodeError:
        return value
