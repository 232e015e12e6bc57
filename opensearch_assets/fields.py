"""The field kinds rendered for OpenSearch, and the tables of fields the indices map.

The fields themselves are defined once, with the normalizers that write them
(normalizers/fields.py, normalizers/ecs/fields.py, normalizers/<source>/fields.py): here a
table is ``dotted path -> kind``, :data:`KINDS` says how each kind is mapped, and
:func:`properties` turns a table into the nested ``properties`` of an OpenSearch mapping.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from enrichment.fields import enrichment_fields
from normalizers.ecs.fields import ECS_FIELDS
from normalizers.fields import kinds

FieldTable = dict[str, str]

# Longer values are stored in _source but not indexed: one huge string can never fail a
# document (Lucene refuses terms over 32 KiB) nor bloat the terms dictionary.
KEYWORD_IGNORE_ABOVE = 1024

KINDS: dict[str, dict[str, Any]] = {
    "keyword": {"type": "keyword", "ignore_above": KEYWORD_IGNORE_ABOVE},
    # Full text where analysts type words (titles, descriptions, user agents), with an
    # exact, aggregatable keyword beside it.
    "text": {
        "type": "text",
        "fields": {"keyword": {"type": "keyword", "ignore_above": KEYWORD_IGNORE_ABOVE}},
    },
    "date": {"type": "date"},
    "ip": {"type": "ip"},
    "long": {"type": "long"},
    "float": {"type": "float"},
    "boolean": {"type": "boolean"},
    "geo_point": {"type": "geo_point"},
    # Arbitrary JSON: every key path searchable, none of them a mapped field.
    "flat_object": {"type": "flat_object"},
    # Kept for the reader (event.original), never searched nor aggregated.
    "stored": {"type": "keyword", "index": False, "doc_values": False},
}


ECS_COMMON: FieldTable = {**kinds(ECS_FIELDS), **enrichment_fields()}
"""ECS fields any source may fill (normalizers/ecs/fields.py) and the fields enrichment adds to
any document (docs/enrichment.md: account name, OU path and the default tag keys, geo and AS,
address scope, user agent); every index has them."""


def properties(table: Mapping[str, str]) -> dict[str, Any]:
    """Nest a ``dotted.path -> kind`` table into mapping ``properties``.

    Raises ``ValueError`` when a path is both a leaf and an object, or a kind is unknown:
    such a table would make the index template fail on the engine.
    """
    root: dict[str, Any] = {}
    for path, kind in sorted(table.items()):
        if kind not in KINDS:
            raise ValueError(f"{path}: unknown field kind {kind!r}")
        node = root
        *parents, leaf = path.split(".")
        for index, part in enumerate(parents):
            child = node.setdefault(part, {"properties": {}})
            if "properties" not in child:
                raise ValueError(f"{path}: {'.'.join(parents[: index + 1])} is already a leaf field")
            node = child["properties"]
        if leaf in node:
            raise ValueError(f"{path}: already defined as an object")
        node[leaf] = dict(KINDS[kind])
    return root


def with_overrides(
    mapping_properties: dict[str, Any], overrides: Mapping[str, dict[str, Any]]
) -> dict[str, Any]:
    """``mapping_properties`` with the leaf of each dotted path of ``overrides`` replaced (or added)."""
    for path, mapping in overrides.items():
        node = mapping_properties
        *parents, leaf = path.split(".")
        for part in parents:
            node = node.setdefault(part, {"properties": {}})["properties"]
        node[leaf] = dict(mapping)
    return mapping_properties


def leaf_fields(mapping_properties: Mapping[str, Any], prefix: str = "") -> dict[str, dict[str, Any]]:
    """Flatten mapping ``properties`` to ``{dotted path: field mapping}``, multi-fields included.

    Used to count fields the way the engine does and to describe fields to Dashboards.
    """
    out: dict[str, dict[str, Any]] = {}
    for name, spec in mapping_properties.items():
        path = f"{prefix}{name}"
        if "properties" in spec:
            out.update(leaf_fields(spec["properties"], f"{path}."))
            continue
        out[path] = spec
        for sub, sub_spec in spec.get("fields", {}).items():
            out[f"{path}.{sub}"] = sub_spec
    return out
