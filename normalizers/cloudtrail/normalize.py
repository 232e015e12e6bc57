"""CloudTrail's entry point: one document or dead letter per record of an object."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

from stringzilla import find_first_of

from normalizers.base import Document, Item, Origin
from normalizers.cloudtrail.actor import ActorCache
from normalizers.cloudtrail.compiled import CompiledBuilders
from normalizers.cloudtrail.credentials import (
    HIDING_BYTES,
    SECRET_MARKERS,
    without_credentials,
    without_screened_credentials,
)
from normalizers.cloudtrail.exports import with_event_time
from normalizers.cloudtrail.mapping import build_document
from normalizers.cloudtrail.spec import SPEC
from normalizers.loop import Mapper, Screen, json_items


def record_mapper(origin: Origin) -> Mapper:
    """The mapper of one object's records, its actors cached across them (also what the
    delivery paths call for the CloudTrail records they carry)."""
    return _mappers(origin)[0]


def _mappers(origin: Origin) -> tuple[Mapper, Mapper]:
    """:func:`record_mapper`, and the mapper of the records the stream splitter screened for
    secrets (:data:`SECRET_MARKERS` in none of their bytes)."""
    builders = CompiledBuilders()
    actors = ActorCache(builders.identity_parties)

    def mapper(record: dict[str, Any], raw: bytes, envelope: dict[str, Any] | None) -> Document:
        if "eventTime" not in record:  # with_event_time's own test, without its call
            record = with_event_time(record)
        # Before any field (or event.original) is built from them.
        record, raw = without_credentials(record, raw, origin.keep_original)
        if envelope is None:
            return builders.build(record, raw, origin, actors)
        return build_document(record, raw, envelope, origin, actors)

    def screened(record: dict[str, Any], raw: bytes, envelope: dict[str, Any] | None) -> Document:
        if envelope is not None:  # json_items passes none: the bytes screened are the record's
            return mapper(record, raw, envelope)
        if "eventTime" not in record:
            record = with_event_time(record)
        if find_first_of(raw, HIDING_BYTES) >= 0:  # without_screened_credentials' first test, inline
            record, raw = without_screened_credentials(record, raw, origin.keep_original)
        return builders.build(record, raw, origin, actors)

    return mapper, screened


def normalize(stream: BinaryIO, origin: Origin) -> Iterator[Item]:
    """Yield one document or dead letter per CloudTrail record of ``stream`` (decompressed).

    The stream splitter looks for the secret keys' names once per read rather than the mapper
    once per record: a fraction of the time for the same records (see credentials.py)."""
    mapper, screened = _mappers(origin)
    return json_items(SPEC, stream, origin, mapper, Screen(SECRET_MARKERS, screened))
