"""A source's spec: everything the rest of the system knows about a source, in one typed value.

Each ``normalizers/<source>/spec.py`` defines one :class:`SourceSpec`; the registry
(:mod:`normalizers.registry`) lists them. Detection, the object pipeline, the index
templates, the generated docs, the detections and the investigation read the specs instead
of naming the sources themselves (docs/sources/README.md, "Adding a source").
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from normalizers.base import Normalizer, Origin
from normalizers.fields import Field
from normalizers.framing.envelopes import JsonFraming


@dataclass(frozen=True, slots=True)
class ParquetSchema:
    """What a Parquet file's footer says about its rows, for recognizing its source."""

    columns: tuple[str, ...]
    nested: bool
    """Some column is a struct, list or map (OCSF rows are; flow logs never)."""


@dataclass(frozen=True, slots=True)
class Recognition:
    """How an object is recognized as the source's from its first bytes (normalizers/detect.py).

    Content decides, the S3 key only breaks ties: keys lie (a bucket shared by an
    organization receives objects under prefixes nobody controls).
    """

    json_keys: re.Pattern[bytes] | None = None
    """JSON members that only the source's records or files have. A match counts only as a key
    where a format puts its marking members (a top-level member, or a member of a record in a
    top-level array or in the array of a member named in a wrapper's ``keys``:
    normalizers/detect.py), never inside a string or as a record's nested key; of every
    source's markers that count, the earliest in the head wins."""
    detail_types: frozenset[str] = frozenset()
    """EventBridge ``detail-type`` values of the source's events."""
    detail_type_suffix: str | None = None
    """A suffix every ``detail-type`` of the source's events has (`` via CloudTrail``)."""
    skip: tuple[tuple[re.Pattern[bytes], str], ...] = ()
    """``(marker, reason)``: objects of the source that hold no records (digest files)."""
    outranks: tuple[tuple[re.Pattern[bytes], str], ...] = ()
    """``(marker, other source)``: found anywhere in the head where a marker counts, the marker
    wins over the other source's markers even when they come first."""
    empty_batch: re.Pattern[bytes] | None = None
    """An empty batch carries no marker: the S3 key decides, else this source."""
    text_header: re.Pattern[bytes] | None = None
    """A text object's first line, for sources that are not JSON."""
    text_record: Callable[[bytes, Origin | None], bool] | None = None
    """Whether a text object with no header line is the source's, from its first bytes (its
    first line is a record) and its origin (a format configured for its S3 key prefix)."""
    parquet: Callable[[ParquetSchema], bool] | None = None
    """Whether a Parquet file's schema (column names) is the source's."""
    key_hint: re.Pattern[str] | None = None
    """The S3 key of an object whose content says nothing (an empty file)."""


@dataclass(frozen=True, slots=True)
class LeftToIndex:
    """What a source's documents leave to their index template instead of writing it (each byte
    of a document is paid in the indexing and storage bill): ``opensearch_assets`` maps it, and
    ingest writes back into the documents what an index created under an older template does
    not map that way (docs/ingest.md, "An index created under an older template")."""

    constants: Mapping[str, str] = field(default_factory=dict)
    """Field -> the one value it holds in every document: a ``constant_keyword`` of the index."""
    aliases: Mapping[str, str] = field(default_factory=dict)
    """Field -> the field of every document it equals: a field alias of the index."""
    copies: Mapping[str, str] = field(default_factory=dict)
    """Field -> the field the index also indexes its values into (``copy_to``: ``related.ip``)."""


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """One source: its names, how it is recognized and framed, its mapper and its fields."""

    name: str
    """``cloudtrail``: ``--source``, the dead letters' ``source``, ``normalizers/<name>/``,
    ``docs/sources/<name>.md``, ``tests/golden/<name>/``."""
    title: str
    """``CloudTrail``, for people."""
    index: str
    """The index name suffix: documents go to ``<prefix><index>`` (``siem-cloudtrail``)."""
    dataset: str
    """``event.dataset``; also the ``aws.*`` object holding the source's own fields."""
    recognition: Recognition
    framing: JsonFraming | None
    """How a JSON source's records are framed; ``None`` for a source that reads its own
    framing (VPC flows: lines of text, Parquet batches)."""
    fields: tuple[Field, ...]
    """Every field the source's documents hold (``normalizers/<name>/fields.py``): the index
    template, the docs' field table and the detections' field names come from it."""
    load: Callable[[], Normalizer]
    """Imports the source's normalizer on first use, so a run loads only what it needs."""
    left_to_index: LeftToIndex = field(default_factory=LeftToIndex)
    """What the documents do not write because the index template holds it."""


def normalizer_in(module: str) -> Callable[[], Normalizer]:
    """A :attr:`SourceSpec.load` for the ``normalize`` of ``module``, imported on first call
    (a normalizer's imports can be heavy: pyarrow for VPC flows)."""

    def load() -> Normalizer:
        normalize: Normalizer = importlib.import_module(module).normalize
        return normalize

    return load
