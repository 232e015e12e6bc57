"""Fields definitions: every field a document may hold, as data (dotted path -> kind + meaning).

A source's definition (``normalizers/<source>/fields.py``) is the one source of truth from
which the index templates (``opensearch_assets``, which renders each kind for OpenSearch), the
field tables of ``docs/sources/<source>.md`` (``python -m normalizers.docs``) and the field
names the detections and the investigation use are built or checked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal, get_args

Kind = Literal[
    "keyword", "text", "date", "ip", "long", "float", "boolean", "geo_point", "flat_object", "stored"
]
"""What a field holds, in a vocabulary small enough that one choice is made one way everywhere:
``keyword`` an exact value (every id), ``text`` words people search in (titles, messages) with
an exact keyword beside, ``long`` a 64-bit integer (every count), ``flat_object`` arbitrary
JSON whose key paths are searchable but never become fields, ``stored`` kept for the reader,
never searched."""
KINDS: tuple[Kind, ...] = get_args(Kind)


@dataclass(frozen=True, slots=True)
class Field:
    path: str
    """Dotted path in the document: ``aws.cloudtrail.error_code``."""
    kind: Kind
    description: str
    """One line for the docs: what the field holds and where it comes from."""
    raw: str | None = None
    """The raw record's path whose value the field holds, as is or converted to the kind
    (``errorCode``, ``userIdentity.arn``): a query on the raw name can be a query on the
    field. Several fields may read one raw value; at most one claims it here."""


def field(path: str, kind: Kind, description: str, raw: str | None = None) -> Field:
    if kind not in KINDS:
        raise ValueError(f"{path}: unknown field kind {kind!r}")
    return Field(path, kind, description, raw)


def refined(base: Iterable[Field], path: str, description: str, raw: str | None = None) -> Field:
    """A field of ``base`` (the common schema) as a source fills it: same path and kind, the
    source's own description and raw path."""
    for known in base:
        if known.path == path:
            return replace(known, description=description, raw=raw)
    raise KeyError(f"{path} is not a field of the common schema")


def merged(*groups: Iterable[Field]) -> tuple[Field, ...]:
    """The fields of all groups in order; a later field of the same path replaces the earlier
    one in place (a source's description of a shared field), never with another kind."""
    out: dict[str, Field] = {}
    for group in groups:
        for item in group:
            known = out.get(item.path)
            if known is not None and known.kind != item.kind:
                raise ValueError(f"{item.path}: {item.kind} here, {known.kind} before")
            out[item.path] = item
    return tuple(out.values())


def kinds(fields: Iterable[Field]) -> dict[str, str]:
    """``{path: kind}``, the table an index template is rendered from."""
    return {item.path: item.kind for item in fields}


def raw_names(fields: Iterable[Field]) -> dict[str, Field]:
    """``{raw path: field}`` for the fields that claim a raw path; a raw path claimed twice
    is an error (a query on it would have two meanings)."""
    out: dict[str, Field] = {}
    for item in fields:
        if item.raw is None:
            continue
        if item.raw in out:
            raise ValueError(f"raw {item.raw!r} claimed by {out[item.raw].path} and {item.path}")
        out[item.raw] = item
    return out
