"""CloudTrail's entry point: one document or dead letter per record of an object."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

from normalizers.base import Document, Item, Origin
from normalizers.cloudtrail.actor import ActorCache
from normalizers.cloudtrail.exports import with_event_time
from normalizers.cloudtrail.mapping import build_document
from normalizers.cloudtrail.spec import SPEC
from normalizers.loop import Mapper, json_items


def record_mapper(origin: Origin) -> Mapper:
    """The mapper of one object's records, its actors cached across them (also what the
    delivery paths call for the CloudTrail records they carry)."""
    actors = ActorCache()

    def mapper(record: dict[str, Any], raw: bytes, envelope: dict[str, Any] | None) -> Document:
        return build_document(with_event_time(record), raw, envelope, origin, actors)

    return mapper


def normalize(stream: BinaryIO, origin: Origin) -> Iterator[Item]:
    """Yield one document or dead letter per CloudTrail record of ``stream`` (decompressed)."""
    return json_items(SPEC, stream, origin, record_mapper(origin))
