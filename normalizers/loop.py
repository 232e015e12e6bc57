"""The one loop from framed records to items: each record becomes one document or one dead
letter, in the object's order, whatever goes wrong with it.

- :func:`json_items` runs a JSON source: the stream splitter, the envelopes, then the
  source's mapper, one record at a time;
- :func:`batch_items` puts a columnar batch's documents (VPC flow logs: a batch of rows at
  a time) and its bad rows and rejected lines back in record order.

A mapper raises :class:`~normalizers.reasons.RecordError` for a record it refuses; any other
exception (a shape no rule foresaw) costs that record alone, as ``invalid record: <type>:``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO, NamedTuple

from normalizers.base import DeadLetter, Document, Item, Origin
from normalizers.framing.json_stream import json_record_fields
from normalizers.reasons import RecordError, unexpected
from normalizers.spec import SourceSpec

Mapper = Callable[[dict[str, Any], bytes, dict[str, Any] | None], Document]
"""``(record, raw, envelope) -> document``: ``raw`` the bytes a dead letter would keep (and
``event.original``), ``envelope`` the EventBridge event the record came in, if any."""
FanOutMapper = Callable[[dict[str, Any], bytes, dict[str, Any] | None], Document | list[Document]]
"""A :data:`Mapper` whose record may hold several documents (AWS Config's compliance item: one
per rule): it returns their list."""


class Screen(NamedTuple):
    """Strings the stream splitter looks for in each read rather than the mapper in each
    record (normalizers.framing.json_stream), and the mapper of records none starts within."""

    strings: tuple[bytes, ...]
    """Lower-case ASCII without digits, searched ASCII case-insensitively."""
    mapper: FanOutMapper
    """What ``mapper`` returns for a record without them, without looking for them again."""


def reason_of(error: Exception) -> str:
    return str(error if isinstance(error, RecordError) else unexpected(error))


def json_items(
    spec: SourceSpec, stream: BinaryIO, origin: Origin, mapper: FanOutMapper, screen: Screen | None = None
) -> Iterator[Item]:
    """One document or dead letter per record of a JSON source's stream."""
    source, framing = spec.name, spec.framing
    if framing is None:
        raise ValueError(f"{source} is not a JSON source")
    strings, screened_mapper = screen if screen is not None else ((), mapper)
    records = json_record_fields(stream, framing.wrapper, origin.limits, strings)
    record_key = framing.wrapper.record_key
    for index, raw, value, problem, screened in records:
        # No envelope: straight to the mapper (framing.is_bare, inline: this runs per record).
        if (
            problem is None
            and type(value) is dict
            and record_key in value
            and "detail-type" not in value
            and "Type" not in value
        ):
            try:
                document = (screened_mapper if screened else mapper)(value, raw, None)
            except Exception as error:
                yield DeadLetter(source, reason_of(error), origin.object, f"record {index}", raw)
                continue
            if isinstance(document, list):
                yield from document
            else:
                yield document
            continue
        position = f"record {index}"
        if problem is not None:
            yield DeadLetter(source, problem, origin.object, position, raw)
            continue
        try:
            framed = framing.unwrap(value, raw, position)
        except Exception as error:  # an envelope of another kind, a detail that is no object...
            yield DeadLetter(source, reason_of(error), origin.object, position, raw)
            continue
        for inner, inner_raw, where, envelope in framed:
            try:
                if type(inner) is not dict:
                    raise framing.not_an_object(inner)
                document = mapper(inner, inner_raw, envelope)
            except Exception as error:
                yield DeadLetter(source, reason_of(error), origin.object, where, inner_raw)
                continue
            if isinstance(document, list):
                yield from document
            else:
                yield document


@dataclass(frozen=True, slots=True)
class BatchFraming:
    """How the rows of one batch are located and copied (for a flow log: text or Parquet)."""

    source: str
    label: str
    """``line`` or ``row``."""
    positions: list[int]
    id_texts: list[bytes]
    """The record as a line of text, hashed into ``event.id``."""
    raw: Callable[[int], bytes]
    """The replayable record for a dead letter."""
    original: Callable[[int], str]
    """``event.original``."""


def batch_items(
    documents: Iterator[dict[str, Any]],
    framing: BatchFraming,
    problems: dict[int, str],
    pending: list[tuple[int, DeadLetter]],
    origin: Origin,
) -> Iterator[Item]:
    """The batch's documents with its bad rows and rejected lines as dead letters, in order.

    ``documents`` has one document per row (bad rows included: building them column-wise and
    dropping some costs less than checking each row first); ``problems`` maps a row's index
    to why it is bad; ``pending`` holds the lines rejected while parsing, by position.
    """
    waiting = 0
    for index, (position, document) in enumerate(zip(framing.positions, documents, strict=True)):
        while waiting < len(pending) and pending[waiting][0] < position:
            yield pending[waiting][1]
            waiting += 1
        if index in problems:
            reason, raw = problems[index], framing.raw(index)
            yield DeadLetter(framing.source, reason, origin.object, f"{framing.label} {position}", raw)
            continue
        if origin.keep_original:
            document["event"]["original"] = framing.original(index)
        yield document
    for _, letter in pending[waiting:]:
        yield letter
