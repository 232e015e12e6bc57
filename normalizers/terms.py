"""Values too long to be one indexed term: cut in the rare documents that can hold one.

Lucene refuses a whole document holding one indexed term longer than :data:`MAX_TERM_BYTES`
(UTF-8). Every ``keyword`` of the templates has ``ignore_above`` (a longer value is kept in
``_source``, not indexed), ``text`` is split into words and ``stored`` is not indexed, but a
``flat_object`` field indexes each of its leaves as terms with no such guard (its
``_valueAndPath`` sub-field: ``<field>.<key path>=<value>``). One 33 KB string in a logged
request parameter would make its record unsearchable and invisible to every rule.

A document whose encoding is no longer than :data:`MAX_TERM_BYTES` cannot hold such a term (the
encoding holds each value and each key of the path at least once), so the ingest path looks only
at the rare longer ones (:func:`cut_immense_values`).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import orjson

from normalizers.ecs.fields import ECS_FIELDS
from normalizers.registry import SPECS

MAX_TERM_BYTES = 32766
"""Lucene's ``IndexWriter.MAX_TERM_LENGTH``: the longest term, in UTF-8 bytes."""
KEPT_TERM_BYTES = 16384
"""What a cut value's term keeps (its path included): half the limit, so the sub-fields that
prefix the value with the field's name never reach it either."""
KEPT_PATH_BYTES = 8192
"""What a key path keeps (a key is cut too): a value below it keeps at least 8 KiB."""


@cache
def term_fields() -> tuple[str, ...]:
    """The dotted paths of every ``flat_object`` field of every source: the only fields whose
    values the templates index as whole terms with no ``ignore_above`` (tests/assets checks the
    templates against this)."""
    fields = [*ECS_FIELDS, *(item for spec in SPECS for item in spec.fields)]
    return tuple(sorted({item.path for item in fields if item.kind == "flat_object"}))


def cut_immense_values(document: dict[str, Any], position: str) -> dict[str, Any] | None:
    """``document`` with each string of a :func:`term_fields` field whose term would be longer
    than :data:`MAX_TERM_BYTES` cut to :data:`KEPT_TERM_BYTES` (on a character boundary), each
    key whose path would pass :data:`KEPT_PATH_BYTES` cut to fit (of two keys cut alike, the
    first is kept), and ``siem.cut`` saying where (``fields``), how much (``bytes`` removed)
    and which record of its object it is (``position``, beside ``siem.object.id``); ``None``
    when nothing is cut.

    Pure: ``document`` is left as it is (its sub-objects may be shared), the new one shares
    what was not cut. ``event.original``, where kept, still holds the whole record."""
    cuts: dict[str, int] = {}
    changed = document
    for field in term_fields():
        changed = _cut_at(changed, field.split("."), field, cuts)
    if not cuts:
        return None
    siem = dict(changed.get("siem") or {})
    siem["cut"] = {"fields": sorted(cuts), "bytes": sum(cuts.values()), "position": position}
    return {**changed, "siem": siem}


def _cut_at(node: Any, keys: list[str], field: str, cuts: dict[str, int]) -> Any:
    """``node`` with the values of ``field`` found at ``keys`` below it (through arrays of
    objects too) capped: the same object when nothing is cut, else a copy of what leads to it."""
    if not keys:
        return _capped(node, field, cuts)
    if isinstance(node, list):
        items = [_cut_at(item, keys, field, cuts) for item in node]
        return node if all(new is old for new, old in zip(items, node, strict=True)) else items
    if isinstance(node, dict) and keys[0] in node:
        child = _cut_at(node[keys[0]], keys[1:], field, cuts)
        return node if child is node[keys[0]] else {**node, keys[0]: child}
    return node


def _capped(value: Any, path: str, cuts: dict[str, int]) -> Any:
    """``value`` (at dotted ``path``) with its over-long strings cut: the same object when
    nothing is, else a copy; ``cuts`` gets the bytes removed per path."""
    if isinstance(value, str):
        return _cut_string(value, path, cuts)
    if isinstance(value, dict):
        items: dict[str, Any] = {}
        for key, item in value.items():
            name = _cut_key(key, path, cuts)
            if name in items:  # two keys cut to the same beginning: the first is kept, whole
                dropped = len(name.encode("utf-8", "surrogatepass")) + len(orjson.dumps(item))
                cuts[f"{path}.{name}"] += dropped  # the rest of its key is counted already
                continue
            items[name] = _capped(item, f"{path}.{name}", cuts)
        unchanged = len(items) == len(value) and all(items.get(key) is item for key, item in value.items())
        return value if unchanged else items
    if isinstance(value, list):
        elements = [_capped(item, path, cuts) for item in value]
        return value if all(new is old for new, old in zip(elements, value, strict=True)) else elements
    return value


def _cut_key(key: str, path: str, cuts: dict[str, int]) -> str:
    """``key`` of the object at ``path``, cut so that the path it makes stays within
    :data:`KEPT_PATH_BYTES`."""
    if (len(key) + len(path)) * 4 < KEPT_PATH_BYTES:
        return key
    room = KEPT_PATH_BYTES - len(path.encode("utf-8", "surrogatepass")) - 1  # "<path>."
    encoded = key.encode("utf-8", "surrogatepass")
    if len(encoded) <= room:
        return key
    kept = encoded[: max(0, room)].decode("utf-8", "ignore")
    cuts[f"{path}.{kept}"] = (
        cuts.get(f"{path}.{kept}", 0) + len(encoded) - len(kept.encode("utf-8", "surrogatepass"))
    )
    return kept


def _cut_string(value: str, path: str, cuts: dict[str, int]) -> str:
    if (len(value) + len(path)) * 4 < MAX_TERM_BYTES:  # it fits whatever it holds: no need to encode
        return value
    prefix = len(path.encode("utf-8", "surrogatepass")) + 1  # "<path>="
    encoded = value.encode("utf-8", "surrogatepass")
    if prefix + len(encoded) <= MAX_TERM_BYTES:
        return value
    # A cut in the middle of a character leaves a partial sequence at the end only: dropped.
    kept = encoded[: max(0, KEPT_TERM_BYTES - prefix)].decode("utf-8", "ignore")
    cuts[path] = cuts.get(path, 0) + len(encoded) - len(kept.encode("utf-8", "surrogatepass"))
    return kept
