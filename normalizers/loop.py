"""The one loop from framed records to items: each record becomes one document or one dead
letter, in the object's order, whatever goes wrong with it.

:func:`json_items` runs a JSON source: the stream splitter, the envelopes, then the source's
mapper, one record at a time.

A mapper raises :class:`~normalizers.reasons.RecordError` for a record it refuses; any other
exception (a shape no rule foresaw) costs that record alone, as ``invalid record: <type>:``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from normalizers.base import DeadLetter, Document, Item, Origin
from normalizers.framing.envelopes import Framed, JsonFraming
from normalizers.framing.json_stream import json_records
from normalizers.reasons import RecordError, unexpected

Mapper = Callable[[dict[str, Any], Framed], Document]
"""``(record, framed) -> document``; ``framed`` gives the raw bytes and the envelope."""


def reason_of(error: Exception) -> str:
    return str(error if isinstance(error, RecordError) else unexpected(error))


def json_items(
    source: str, framing: JsonFraming, stream: BinaryIO, origin: Origin, mapper: Mapper
) -> Iterator[Item]:
    """One document or dead letter per record of a JSON source's stream."""
    for record in json_records(stream, framing.wrapper):
        position = f"record {record.index}"
        if record.error is not None:
            yield DeadLetter(source, record.error, origin.object, position, record.raw)
            continue
        try:
            framed = list(framing.unwrap(record.value, record.raw, position))
        except Exception as error:  # an envelope of another kind, a detail that is no object...
            yield DeadLetter(source, reason_of(error), origin.object, position, record.raw)
            continue
        for item in framed:
            try:
                document = mapper(framing.check_object(item), item)
            except Exception as error:
                yield DeadLetter(source, reason_of(error), origin.object, item.position, item.raw)
                continue
            yield document
