"""CloudTrail's entry point: one document or dead letter per record of an object."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

from normalizers.base import Document, Item, Origin
from normalizers.cloudtrail.actor import ActorCache
from normalizers.cloudtrail.compiled import CompiledBuilders
from normalizers.cloudtrail.credentials import without_credentials
from normalizers.cloudtrail.exports import with_event_time
from normalizers.cloudtrail.mapping import build_document
from normalizers.cloudtrail.spec import SPEC
from normalizers.loop import Mapper, json_items


def record_mapper(origin: Origin) -> Mapper:
    """The mapper of one object's records, its actors cached across them (also what the
    delivery paths call for the CloudTrail records they carry)."""
    builders = CompiledBuilders()
    actors = ActorCache(builders.identity_fields)

    def mapper(record: dict[str, Any], raw: bytes, envelope: dict[str, Any] | None) -> Document:
        if "eventTime" not in record:  # with_event_time's own test, without its call
            record = with_event_time(record)
        # Before any field (or event.original) is built from them.
        record, raw = without_credentials(record, raw, origin.keep_original)
        if envelope is None:
            return builders.build(record, raw, origin, actors)
        return build_document(record, raw, envelope, origin, actors)

    return mapper


def normalize(stream: BinaryIO, origin: Origin) -> Iterator[Item]:
    """Yield one document or dead letter per CloudTrail record of ``stream`` (decompressed)."""
    return json_items(SPEC, stream, origin, record_mapper(origin))
