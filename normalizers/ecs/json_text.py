"""JSON held as text inside a record (exports and OCSF rows keep nested members as strings)."""

from __future__ import annotations

from typing import Any

import orjson


def parsed_if_json(value: Any) -> Any:
    """``value`` parsed when it is the text of a JSON object or array, else ``value`` itself."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def put(target: dict[str, Any], path: list[str], value: Any) -> None:
    """``target[a][b] = value`` for ``path`` ``[a, b]``, making the objects on the way (a
    dotted name such as ``userIdentity.arn`` nested back)."""
    for part in path[:-1]:
        inner = target.get(part)
        if type(inner) is not dict:
            inner = target[part] = {}
        target = inner
    target[path[-1]] = value
