"""Which fields a rule may group, count or join on: the index templates decide.

Threshold, new-terms, sequence and silence rules aggregate on fields (``composite`` ``terms``
sources), which needs a mapped field with doc values: a ``keyword``, ``ip``, number, date or
boolean. ``text`` fields have none (their ``.keyword`` sub-field does), ``stored`` fields are
not indexed, and OpenSearch documents no aggregation on the sub-fields of a ``flat_object``
(``aws.cloudtrail.request_parameters.*``): such a path can only be *read* from the events
(a threshold's ``distinct`` allows it and then reads the events instead of aggregating).
Checked when a rule loads, so a typo fails ``siem rules test`` instead of an aggregation
that silently finds no buckets in production.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Literal

from opensearch_assets.templates import index_fields

FieldKind = Literal["aggregatable", "flat_object"]
AGGREGATABLE_TYPES = {
    "keyword",
    "ip",
    "long",
    "integer",
    "short",
    "byte",
    "double",
    "float",
    "date",
    "boolean",
}


@cache
def _fields(source: str) -> dict[str, dict[str, Any]]:
    return index_fields(source)


def field_kind(source: str, path: str) -> FieldKind | None:
    """``aggregatable``, ``flat_object`` (a path inside one) or ``None`` (not usable)."""
    fields = _fields(source)
    mapping = fields.get(path)
    if mapping is not None:
        if mapping.get("type") in AGGREGATABLE_TYPES and mapping.get("doc_values", True):
            return "aggregatable"
        return None
    parts = path.split(".")
    for end in range(len(parts) - 1, 0, -1):
        parent = fields.get(".".join(parts[:end]))
        if parent is not None:
            return "flat_object" if parent.get("type") == "flat_object" else None
    return None


def check_field(sources: tuple[str, ...], path: str, what: str, flat_allowed: bool = False) -> FieldKind:
    """The field's kind in every source; ``ValueError`` naming ``what`` when one cannot use it."""
    kinds = {source: field_kind(source, path) for source in sources}
    for source, kind in kinds.items():
        if kind is None or (kind == "flat_object" and not flat_allowed):
            usable = "a mapped keyword, ip, number, date or boolean field"
            if flat_allowed:
                usable += ", or a path inside a flat_object field"
            raise ValueError(f"{what} {path!r} is not {usable} of the {source} index")
    return "flat_object" if "flat_object" in kinds.values() else "aggregatable"
