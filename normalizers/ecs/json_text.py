"""JSON held as text inside a record (exports and OCSF rows keep nested members as strings)."""

from __future__ import annotations

from typing import Any

import orjson

from normalizers.framing.json_stream import TOO_DEEP, too_deep
from normalizers.reasons import INVALID_JSON, RecordError


def parsed_if_json(value: Any) -> Any:
    """``value`` parsed when it is the text of a JSON object or array, else ``value`` itself;
    a text nested deeper than a record may be is its record's dead letter (:func:`bounded`)."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            parsed = orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
        return bounded(value, parsed)
    return value


def bounded(text: str, parsed: Any) -> Any:
    """``parsed``, the value of ``text``, unless it nests more levels than a record may
    (``json_stream.MAX_DEPTH``: its document could not be encoded): then its record's error."""
    if too_deep(text, parsed):
        raise RecordError(INVALID_JSON, f"a member's JSON text: {TOO_DEEP}")
    return parsed


def put(target: dict[str, Any], path: list[str], value: Any) -> None:
    """``target[a][b] = value`` for ``path`` ``[a, b]``, making the objects on the way (a
    dotted name such as ``userIdentity.arn`` nested back)."""
    for part in path[:-1]:
        inner = target.get(part)
        if type(inner) is not dict:
            inner = target[part] = {}
        target = inner
    target[path[-1]] = value
